"""Value and quantity flows per SKU and warehouse, rebuilt from the ledger in one pass.

Every movement that crosses a warehouse's walls carries the unit cost the stock layer recorded
(moving average per SKU and warehouse, or FIFO layers): it adds qty × unit cost to the
warehouse it enters and takes it from the one it leaves. Movements between two buckets of one
warehouse move no value. So the stock value of a warehouse at a moment is the sum, over the
movements effective up to then, of their signed qty × unit cost — every bucket counts,
`in_transit` included, as the costing books goods in transit at the receiving warehouse.

Sums are exact integers: quantities in thousandths times costs in ten-thousandths, so values
here are in units of 10^-7 of the currency (`VALUE_SCALE`), rounded to money only for display.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement

from ..spec.model import Template
from ..stock.tables import Movement, table_of
from ..stock.units import MONEY_SCALE, QTY_SCALE
from .period import Period, day_index
from .scope import EVERYTHING, Scope, sku_condition, warehouse_id

VALUE_SCALE = QTY_SCALE * MONEY_SCALE  # qty (thousandths) × unit cost (ten-thousandths)
SALE_KINDS: tuple[str, ...] = ("sale",)  # the movement kinds whose way out is a sale


@dataclass
class Flow:
    """One SKU at one warehouse over a period: signed sums, values in VALUE_SCALE.

    `weighted` is Σ value × day number over the period's movements, from which the mean of
    the daily closing values follows (see `daily_value_sum`).
    """

    opening_qty: int = 0
    opening_value: int = 0
    change_qty: int = 0
    change_value: int = 0
    weighted: int = 0
    sold_qty: int = 0
    sold_value: int = 0

    def add(self, other: Flow) -> None:
        # Spelled out: called for every row of the ledger's sums (fields() is 3× slower).
        self.opening_qty += other.opening_qty
        self.opening_value += other.opening_value
        self.change_qty += other.change_qty
        self.change_value += other.change_value
        self.weighted += other.weighted
        self.sold_qty += other.sold_qty
        self.sold_value += other.sold_value

    @property
    def closing_qty(self) -> int:
        return self.opening_qty + self.change_qty

    @property
    def closing_value(self) -> int:
        return self.opening_value + self.change_value

    def daily_value_sum(self, days: int) -> int:
        """Σ over the period's days of the value at the end of the day.

        Closing value of day d = opening + Σ of the movements of days 0..d, so a movement of
        day k counts on days - k days: Σ = days × closing value - Σ value × k.
        """
        return days * self.closing_value - self.weighted

    @property
    def touched(self) -> bool:
        return any(getattr(self, item.name) for item in fields(self))


@dataclass
class Flows:
    """Flows per (sku_id, warehouse_id) over a period."""

    period: Period
    places: dict[tuple[int, int], Flow] = field(default_factory=dict)

    def total(self) -> Flow:
        found = Flow()
        for flow in self.places.values():
            found.add(flow)
        return found


def scanned(column: Any) -> Any:
    """A movement column to group by without its index.

    Grouping by `sku_id` tempts SQLite into walking `ix_sf_movement_sku` in order, a random
    table read per movement (1M movements: 1.7 s); a full scan and a sort take 0.4 s. `+ 0`
    makes it an expression no index serves, on either database.
    """
    return (column + literal_column("0")).label(column.name)


def movement_filters(
    connection: Connection, template: Template, period: Period, scope: Scope
) -> tuple[list[ColumnElement[bool]], int | None]:
    """The movements that change the scope's value up to the period's end, and the id of the
    scope's warehouse (None: every warehouse)."""
    m = table_of(Movement)
    crosses = or_(
        m.c.from_warehouse_id.is_(None),
        m.c.to_warehouse_id.is_(None),
        m.c.from_warehouse_id != m.c.to_warehouse_id,
    )
    conditions = [
        m.c.effective_at < period.end,
        crosses,
        *sku_condition(template, scope, m.c.sku_id),
    ]
    only = warehouse_id(connection, scope)
    if only is not None:
        conditions.append(or_(m.c.from_warehouse_id == only, m.c.to_warehouse_id == only))
    return conditions, only


def value_flows(
    connection: Connection,
    template: Template,
    period: Period,
    scope: Scope = EVERYTHING,
    sale_kinds: Iterable[str] = SALE_KINDS,
) -> Flows:
    """Opening and closing quantity and value, daily-value weights and sales, per SKU and
    warehouse, from every movement effective before the period's end (one SQL pass)."""
    m = table_of(Movement)
    conditions, only = movement_filters(connection, template, period, scope)
    # Movements crossing a warehouse's walls always carry a unit cost (costing.py).
    value = m.c.qty * m.c.unit_cost
    before = m.c.effective_at < period.start
    sale = and_(
        m.c.effective_at >= period.start,
        m.c.kind.in_(list(sale_kinds)),
        m.c.to_warehouse_id.is_(None),
    )
    k = day_index(m.c.effective_at, period)

    def total(expr: Any, when: ColumnElement[bool] | None = None) -> Any:
        return func.sum(expr if when is None else case((when, expr), else_=literal(0)))

    sku_id = scanned(m.c.sku_id)
    query = (
        select(
            sku_id,
            m.c.from_warehouse_id,
            m.c.to_warehouse_id,
            total(m.c.qty, before),
            total(value, before),
            total(m.c.qty, ~before),
            total(value, ~before),
            total(value * k, ~before),
            total(m.c.qty, sale),
            total(value, sale),
        )
        .where(*conditions)
        .group_by(sku_id, m.c.from_warehouse_id, m.c.to_warehouse_id)
    )
    places: dict[tuple[int, int], Flow] = defaultdict(Flow)
    for row in connection.execute(query):
        sku_id, source, target = row[0], row[1], row[2]
        o_qty, o_value, c_qty, c_value, weighted, s_qty, s_value = (int(v or 0) for v in row[3:])
        if target is not None and (only is None or target == only):
            places[(sku_id, target)].add(Flow(o_qty, o_value, c_qty, c_value, weighted))
        if source is not None and (only is None or source == only):
            out = Flow(-o_qty, -o_value, -c_qty, -c_value, -weighted, s_qty, s_value)
            places[(sku_id, source)].add(out)
    return Flows(period, dict(places))
