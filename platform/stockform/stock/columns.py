"""Columns the template owns: one per bucket on sf_balance, one per SKU field on sf_sku.

Quantities are plain SQL over real columns, so a stock list can filter and sort by any
computed quantity in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from ..spec.model import Template
from .tables import Balance, Base, Sku, UtcDateTime
from .units import MONEY_SCALE, QTY_SCALE


@dataclass(frozen=True)
class Storage:
    """How a value is kept: its column kind and, for numbers, the integer scale."""

    kind: str  # int, text, date, datetime, bool, json
    scale: int = 1

    def sql_type(self) -> TypeEngine[Any]:
        types: dict[str, TypeEngine[Any]] = {
            "int": BigInteger(),
            "text": Text(),
            "date": Date(),
            "datetime": UtcDateTime(),
            "bool": Boolean(),
            "json": JSON(),
        }
        return types[self.kind]


BUCKET_STORAGE = Storage("int", QTY_SCALE)
_FIELD_STORAGE = {
    "integer": Storage("int", 1),
    "decimal": Storage("int", QTY_SCALE),
    "money": Storage("int", MONEY_SCALE),
    "date": Storage("date"),
    "datetime": Storage("datetime"),
    "boolean": Storage("bool"),
    "multi_choice": Storage("json"),
}


def field_storage(field_type: str) -> Storage:
    return _FIELD_STORAGE.get(field_type, Storage("text"))


def bucket_column(bucket: str) -> str:
    return f"b_{bucket}"


def field_column(field: str) -> str:
    return f"f_{field}"


@dataclass(frozen=True)
class StockTables:
    """The balance and SKU tables of one template, with its bucket and field columns."""

    metadata: MetaData
    balance: Table
    sku: Table

    def bucket(self, name: str) -> Column[int]:
        return self.balance.c[bucket_column(name)]


_TABLES: dict[str, StockTables] = {}


def stock_tables(template: Template) -> StockTables:
    """Core tables for template: the static columns plus one per bucket and SKU field."""
    key = template.fingerprint or str(id(template))
    if key not in _TABLES:
        _TABLES[key] = _build(template)
    return _TABLES[key]


def _build(template: Template) -> StockTables:
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    balance = metadata.tables[Balance.__tablename__]
    for name in template.stock.buckets:
        balance.append_column(
            Column(bucket_column(name), BigInteger, nullable=False, server_default="0")
        )
    for name in template.stock.quantities:
        # Derived from the buckets by materialize.py; nullable because a formula may be null.
        balance.append_column(Column(f"q_{name}", BigInteger, nullable=True))
    sku = metadata.tables[Sku.__tablename__]
    for name, spec in template.sku.fields.items():
        storage = field_storage(spec.type)
        sku.append_column(Column(field_column(name), storage.sql_type(), nullable=True))
    return StockTables(metadata, balance, sku)
