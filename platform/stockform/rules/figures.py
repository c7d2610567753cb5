"""The rows a replenishment plan starts from, in one SQL query: per (SKU, warehouse) with a
balance row of an active SKU, the SKU's details, the template's `position`, lead time, min,
max and multiple expressions, and the demand window's sums (demand.py) joined to it.

Rows come back as the driver returns them (half a million in a large shop); `Reading` turns
a value into thousandths, the unit the arithmetic (ordering.py) works in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, null, select

from ..spec.expressions import Expression, SqlTerm, compile_sql
from ..spec.model import Replenishment, Template
from ..stock.rows import RowSource, SkuFilter
from ..stock.units import QTY_SCALE
from .demand import Window, demand
from .functions import FUNCTIONS
from .holding import fetch_all

CATEGORY = "category"


class Figures(NamedTuple):
    """One row as read: ids, codes, and numbers as the database keeps them (see Reading)."""

    sku_id: int
    warehouse_id: int
    sku: str
    sku_name: str
    unit: str
    precision: int
    category: str | None
    current_safety_stock: Any
    warehouse: str
    stock: Any
    lead_time: Any
    min_level: Any
    max_level: Any
    multiple: Any
    total: Any  # Σx of the window's days, thousandths (None: no demand)
    squares: Any  # Σx²


@dataclass(frozen=True)
class Reading:
    """The scale each scaled column of Figures was read with."""

    safety_stock: int
    stock: int
    lead_time: int
    min_level: int
    max_level: int
    multiple: int


@dataclass(frozen=True)
class Narrowing:
    """Which rows to read: SKU ids, warehouse ids (None: all) and a category value."""

    skus: list[int] | None = None
    warehouses: list[int] | None = None
    category: str | None = None


def read_figures(
    connection: Connection,
    template: Template,
    settings: Replenishment,
    now: datetime,
    span: Window,
    which: Narrowing,
) -> tuple[list[Figures], Reading]:
    """The rows in `which`, by SKU code and warehouse code, and how to read their numbers."""
    source = RowSource(
        template,
        "warehouse",
        now=now,
        sku_filter=_ids(which.skus),
        warehouse_filter=_ids(which.warehouses),
    )
    sums = source.join(
        "replenishment.demand",
        lambda: demand(source, settings.demand, span, "replenishment_demand"),
    )
    position, lead, low, high, multiple = (
        _term(expr, source)
        for expr in (
            settings.position,
            settings.lead_time,
            settings.min,
            settings.max,
            settings.multiple,
        )
    )
    fields = template.sku.fields
    category = source(("sku", CATEGORY)).expr if CATEGORY in fields else null()
    name = settings.safety_stock_field
    safety = _term(None, source) if name is None else source(("sku", name))
    sku = source.sku
    query = (
        select(
            source.keys()["sku_id"],
            source.keys()["warehouse_id"],
            sku.c.code,
            sku.c.name,
            sku.c.unit,
            sku.c.precision,
            category,
            safety.expr,
            source.warehouse.c.code,
            position.expr,
            lead.expr,
            low.expr,
            high.expr,
            multiple.expr,
            sums.c.demand_total,
            sums.c.demand_squares,
        )
        .select_from(source.from_clause())
        .where(*source.conditions(), sku.c.active.is_(True))
        .order_by(sku.c.code, source.warehouse.c.code)
    )
    if which.category is not None:
        query = query.where(source(("sku", CATEGORY)).expr == which.category)
    rows = [Figures._make(row) for row in fetch_all(connection, query)]
    reading = Reading(
        safety.scale, position.scale, lead.scale, low.scale, high.scale, multiple.scale
    )
    return rows, reading


def thousandths(scale: int, up: bool = True) -> Callable[[Any], int | None]:
    """A reader of values kept at scale as thousandths (a finer value rounded up, or down)."""

    def read(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            # SQLite turns an integer overflow into a float: refuse it rather than guess.
            raise TypeError(f"the database returned a float ({value!r}); expected an integer")
        scaled = int(value) * QTY_SCALE
        return -(-scaled // scale) if up else scaled // scale

    if scale == QTY_SCALE:
        # Most values: an int already (PostgreSQL may return a NUMERIC as a Decimal).
        return lambda value: value if type(value) is int else read(value)
    return read


def _term(expr: Expression | None, source: RowSource) -> SqlTerm:
    """An optional expression as SQL; NULL when the template gives none."""
    if expr is None:
        return SqlTerm(null(), 1)
    return compile_sql(expr, source, FUNCTIONS)


def _ids(ids: list[int] | None) -> SkuFilter | None:
    if ids is None:
        return None
    chosen: Callable[[Any], Any] = lambda column: column.in_(ids)  # noqa: E731
    return chosen
