"""Computed quantities kept as columns of the balance row (q_<name>), so a list of 100k SKUs
can filter and sort by `sellable` through an index instead of computing it for every row.

They are derived data: every balance UPDATE sets them from the new bucket values in the same
statement, a SKU field change recomputes that SKU's rows, applying a template recomputes all,
and `verify` checks them like the buckets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, Connection, Table, select, update
from sqlalchemy.sql.elements import ColumnElement

from ..spec.expressions import SqlTerm
from ..spec.model import Template
from .columns import bucket_column, field_column, field_storage, stock_tables
from .quantities import quantity_terms
from .units import QTY_SCALE


def quantity_column(name: str) -> str:
    return f"q_{name}"


def _terms(
    template: Template, balance: Table, sku: Table, buckets: Mapping[str, ColumnElement[Any]]
) -> dict[str, SqlTerm]:
    def resolve(path: tuple[str, ...]) -> SqlTerm:
        if len(path) == 1 and path[0] in buckets:
            return SqlTerm(buckets[path[0]], QTY_SCALE)
        if path[0] == "sku" and len(path) == 2:
            name = path[1]
            if name in template.sku.fields:
                column = sku.c[field_column(name)]
                scale = field_storage(template.sku.fields[name].type).scale
            else:
                column, scale = sku.c[name], 1
            return SqlTerm(
                select(column).where(sku.c.id == balance.c.sku_id).scalar_subquery(), scale
            )
        if path[0] == "warehouse":
            from .tables import Warehouse, table_of

            warehouses = table_of(Warehouse)
            name = path[1] if len(path) == 2 else "code"
            return SqlTerm(
                select(warehouses.c[name])
                .where(warehouses.c.id == balance.c.warehouse_id)
                .scalar_subquery()
            )
        raise LookupError(".".join(path))

    return quantity_terms(template, resolve)


def scales(template: Template) -> dict[str, int]:
    """The integer scale each quantity's column stores its value at."""
    tables = stock_tables(template)
    plain = {b: tables.balance.c[bucket_column(b)] for b in template.stock.buckets}
    return {n: t.scale for n, t in _terms(template, tables.balance, tables.sku, plain).items()}


def assignments(
    template: Template, deltas: Mapping[str, ColumnElement[Any]] | None = None
) -> dict[str, ColumnElement[Any]]:
    """SET clauses computing every quantity from the row's buckets after adding deltas.

    In an UPDATE every right-hand side sees the old row, so a changed bucket is written as
    `column + delta` here exactly as in its own SET clause.
    """
    tables = stock_tables(template)
    balance = tables.balance
    buckets: dict[str, ColumnElement[Any]] = {}
    for name in template.stock.buckets:
        column = balance.c[bucket_column(name)]
        buckets[name] = column + deltas[name] if deltas and name in deltas else column
    terms = _terms(template, balance, tables.sku, buckets)
    return {
        quantity_column(n): t.expr.cast(BigInteger) if t.kind != "number" else t.expr
        for n, t in terms.items()
    }


def recompute(connection: Connection, template: Template, *, sku_id: int | None = None) -> int:
    """Set every quantity column from the buckets (of one SKU, or of all); returns rows."""
    balance = stock_tables(template).balance
    if not template.stock.quantities:
        return 0
    statement = update(balance).values(assignments(template))
    if sku_id is not None:
        statement = statement.where(balance.c.sku_id == sku_id)
    return int(connection.execute(statement).rowcount)
