"""What validation asks the database: does this SKU exist, and what are its fields?"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, select

from ..spec.model import Template
from ..stock.catalog import load_field
from ..stock.columns import field_column, stock_tables
from ..stock.tables import Batch, Warehouse, table_of
from .tables import Document, User


class DatabaseLookups:
    """Answers existence questions and reads records, caching within one request."""

    def __init__(self, connection: Connection, template: Template) -> None:
        self.connection = connection
        self.template = template
        self._records: dict[tuple[str, str], dict[str, Any] | None] = {}

    def exists(self, kind: str, value: str, target: str | None = None) -> bool:
        if kind == "document":
            table = table_of(Document)
            query = select(table.c.id).where(table.c.number == value)
            if target:
                query = query.where(table.c.form == target)
            return self.connection.execute(query).first() is not None
        if kind == "user":
            table = table_of(User)
            return (
                self.connection.execute(select(table.c.id).where(table.c.username == value)).first()
                is not None
            )
        return self.record(kind, value) is not None

    def record(self, kind: str, value: str) -> dict[str, Any] | None:
        """The record behind a sku, warehouse or batch code, as expressions see it."""
        key = (kind, value)
        if key not in self._records:
            self._records[key] = self._load(kind, value)
        return self._records[key]

    def prefetch(self, kind: str, values: Iterable[str]) -> None:
        """Read many SKUs in one query (a document's lines), so each line does not ask."""
        wanted = {v for v in values if isinstance(v, str) and (kind, v) not in self._records}
        if kind != "sku" or not wanted:
            return
        table = stock_tables(self.template).sku
        for chunk in _chunks(sorted(wanted), 500):
            for row in self.connection.execute(select(table).where(table.c.code.in_(chunk))):
                self._records[("sku", row.code)] = self._sku(row)
        for value in wanted:
            self._records.setdefault(("sku", value), None)

    def _sku(self, row: Any) -> dict[str, Any]:
        values = row._mapping
        record: dict[str, Any] = {
            k: values[k] for k in ("id", "code", "name", "unit", "barcode", "precision")
        }
        for name, spec in self.template.sku.fields.items():
            record[name] = load_field(spec.type, values[field_column(name)])
        return record

    def _load(self, kind: str, value: str) -> dict[str, Any] | None:
        if kind == "sku":
            table = stock_tables(self.template).sku
            row = self.connection.execute(select(table).where(table.c.code == value)).first()
            return None if row is None else self._sku(row)
        if kind == "warehouse":
            table = table_of(Warehouse)
            found = self.connection.execute(
                select(table.c.id, table.c.code, table.c.name).where(table.c.code == value)
            ).first()
            return None if found is None else dict(found._mapping)
        if kind == "batch":
            table = table_of(Batch)
            found = self.connection.execute(
                select(table.c.id, table.c.code, table.c.expiry).where(table.c.code == value)
            ).first()
            return None if found is None else dict(found._mapping)
        return None


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
