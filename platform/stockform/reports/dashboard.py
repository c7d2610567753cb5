"""The dashboard: a period's headline figures and the series of its four charts, taken from the
reports themselves so that each figure equals the one on the report page it links to.

    physical value   = the stock-value report's closing value (every bucket, end of the period)
    unit cost        = per SKU and warehouse: that closing value ÷ its closing quantity
    sellable value   = Σ per SKU and warehouse of `sellable` at the end of the period × unit cost
                       (None when the template has no `sellable` quantity)
    open locks       = the active locks now (`now`), and Σ open quantity × unit cost
    turnover, days   = the turnover report's total for the period
    value trend      = the stock value at the end of each day of the period
    days by category = the turnover report per category, days of inventory
    ageing           = the ageing report's total at the end of the period, value per age bucket
    slow movers      = the slow-movers report at the end of the period (30 days), its first 10

The ledger's value sums are read once (`value_flows`) and shared by the physical value, the
turnover figures, the ageing values and the slow movers. The daily values are one more SQL sum
per day of the period (every day, however long the period: a few thousand points at most);
the sellable quantities come from one SQL sum of every bucket per SKU and warehouse, evaluated
as stock over time evaluates them (`stock.quantities.evaluate`), for the places holding stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Column, Connection, Select, and_, case, func, literal, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from ..spec.model import Template
from ..stock.costing import div_round
from ..stock.locks import is_active
from ..stock.quantities import evaluate
from ..stock.tables import Lock, Movement, table_of
from ..stock.units import QTY_SCALE
from .ageing import AGES, ageing
from .daily import sku_records
from .flows import Flows, movement_filters, scanned, value_flows
from .movers import DEFAULT_DAYS, SlowMover, slow_movers
from .numbers import money
from .period import Period, day_index
from .scope import (
    EVERYTHING,
    Scope,
    check,
    has_categories,
    sku_condition,
    warehouse_id,
    warehouse_ids,
)
from .turnover import group_flows, turnover_row

SELLABLE = "sellable"
TOP_SLOW_MOVERS = 10


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its key and figure (None: no value, such as days with no sales)."""

    key: str
    value: Decimal | None


@dataclass(frozen=True)
class Dashboard:
    period: Period
    physical_value: Decimal
    sellable_value: Decimal | None
    cogs: Decimal
    average_inventory_value: Decimal
    turnover: Decimal | None
    days_of_inventory: Decimal | None
    open_locks: int
    open_locks_value: Decimal
    expired_locks: int  # of the open ones, past their expiry and waiting for the sweep
    value_by_day: list[tuple[date, Decimal]]
    days_by_category: list[Bar]
    value_by_age: list[Bar]
    slow_movers: list[SlowMover]


def summary(
    connection: Connection,
    template: Template,
    period: Period,
    scope: Scope = EVERYTHING,
    now: datetime | None = None,
) -> Dashboard:
    """The dashboard of the scope over the period; locks as they are at `now`."""
    check(template, scope)
    flows = value_flows(connection, template, period, scope)
    total = turnover_row("", flows.total(), period.days)
    costs = _unit_costs(flows)
    day = Period(period.last, period.last, period.zone)
    aged = ageing(connection, template, day, scope, "warehouse", flows=flows).total
    movers = slow_movers(connection, template, day, DEFAULT_DAYS, scope, flows=flows)
    locks, locks_value, expired = _locks(connection, template, scope, costs, now)
    return Dashboard(
        period=period,
        physical_value=money(flows.total().closing_value),
        sellable_value=_sellable_value(connection, template, period, scope, costs),
        cogs=total.cogs,
        average_inventory_value=total.average_inventory_value,
        turnover=total.turnover,
        days_of_inventory=total.days_of_inventory,
        open_locks=locks,
        open_locks_value=money(locks_value),
        expired_locks=expired,
        value_by_day=_value_by_day(connection, template, flows, scope),
        days_by_category=_days_by_category(connection, template, flows),
        value_by_age=[Bar(age, aged.ages[age][1]) for age in AGES],
        slow_movers=movers.rows[:TOP_SLOW_MOVERS],
    )


UnitCosts = dict[tuple[int, int], tuple[int, int]]  # place -> (closing value, closing qty)


def _unit_costs(flows: Flows) -> UnitCosts:
    """Each place's closing value and quantity: its unit cost is their quotient."""
    return {
        place: (flow.closing_value, flow.closing_qty)
        for place, flow in flows.places.items()
        if flow.closing_qty > 0
    }


def _valued(qty: int, place: tuple[int, int], costs: UnitCosts) -> int:
    """qty (thousandths) at the place's unit cost, in 10^-7 of the currency; 0 without one."""
    if place not in costs:
        return 0
    value, on_hand = costs[place]
    return div_round(qty * value, on_hand)


def _sellable_value(
    connection: Connection, template: Template, period: Period, scope: Scope, costs: UnitCosts
) -> Decimal | None:
    """Σ sellable × unit cost over the places holding stock at the end of the period."""
    if SELLABLE not in template.stock.quantities:
        return None
    skus = sku_records(connection, template, {sku for sku, _ in costs})
    codes = warehouse_ids(connection)
    found = 0
    for place, buckets in _buckets_at_end(connection, template, period, scope).items():
        if place not in costs:
            continue  # nothing on hand: no unit cost, no value
        # The same evaluation as stock over time (daily.py), so the figures agree.
        figures = evaluate(template, buckets, skus[place[0]], {"code": codes[place[1]]})
        sellable = figures.get(SELLABLE) or Decimal(0)
        scaled = int((sellable * QTY_SCALE).to_integral_value(ROUND_HALF_UP))
        found += _valued(scaled, place, costs)
    return money(found)


def _buckets_at_end(
    connection: Connection, template: Template, period: Period, scope: Scope
) -> dict[tuple[int, int], dict[str, int]]:
    """Every bucket (thousandths) per SKU and warehouse at the end of the period: both ends
    of each movement, summed per place with a column per bucket (one row per place)."""
    m = table_of(Movement)
    only = warehouse_id(connection, scope)
    common = [m.c.effective_at < period.end, *sku_condition(template, scope, m.c.sku_id)]

    def side(warehouse: Any, bucket: Any, sign: int) -> Select[Any]:
        conditions = [*common, warehouse.isnot(None)]
        if only is not None:
            conditions.append(warehouse == only)
        return select(
            scanned(m.c.sku_id),
            warehouse.label("warehouse_id"),
            bucket.label("bucket"),
            (m.c.qty * literal(sign)).label("qty"),
        ).where(*conditions)

    sides = union_all(
        side(m.c.to_warehouse_id, m.c.to_bucket, 1),
        side(m.c.from_warehouse_id, m.c.from_bucket, -1),
    ).subquery()
    names = list(template.stock.buckets)
    sums = [
        func.sum(case((sides.c.bucket == name, sides.c.qty), else_=literal(0))) for name in names
    ]
    query = select(sides.c.sku_id, sides.c.warehouse_id, *sums).group_by(
        sides.c.sku_id, sides.c.warehouse_id
    )
    return {
        (int(row[0]), int(row[1])): {n: int(v or 0) for n, v in zip(names, row[2:], strict=True)}
        for row in connection.execute(query)
    }


def _locks(
    connection: Connection,
    template: Template,
    scope: Scope,
    costs: UnitCosts,
    now: datetime | None,
) -> tuple[int, int, int]:
    """Active locks in scope: how many, their open quantity's value, how many have expired."""
    lock = table_of(Lock)
    conditions = [is_active(lock), *sku_condition(template, scope, lock.c.sku_id)]
    only = warehouse_id(connection, scope)
    if only is not None:
        conditions.append(lock.c.warehouse_id == only)
    expired = (
        case((and_(lock.c.expires_at.isnot(None), lock.c.expires_at <= now), 1), else_=0)
        if now is not None
        else literal(0)
    )
    query = (
        select(
            lock.c.sku_id,
            lock.c.warehouse_id,
            func.count(),
            func.sum(lock.c.open_qty),
            func.sum(expired),
        )
        .where(*conditions)
        .group_by(lock.c.sku_id, lock.c.warehouse_id)
    )
    count = value = late = 0
    for sku_id, wh, n, open_qty, n_expired in connection.execute(query):
        count += int(n)
        late += int(n_expired or 0)
        value += _valued(int(open_qty or 0), (int(sku_id), int(wh)), costs)
    return count, value, late


def _value_by_day(
    connection: Connection, template: Template, flows: Flows, scope: Scope
) -> list[tuple[date, Decimal]]:
    """The stock value at the end of each day: the opening value plus each day's changes."""
    period = flows.period
    m = table_of(Movement)
    conditions, only = movement_filters(connection, template, period, scope)
    conditions.append(m.c.effective_at >= period.start)

    def end(column: Column[Any]) -> ColumnElement[int]:
        # +1 for a movement entering a warehouse in scope, -1 for one leaving it.
        inside = column.isnot(None) if only is None else column == only
        return case((inside, 1), else_=0)

    sign = end(m.c.to_warehouse_id) - end(m.c.from_warehouse_id)
    k = day_index(m.c.effective_at, period)
    query = select(k, func.sum(m.c.qty * m.c.unit_cost * sign)).where(*conditions).group_by(k)
    changes = {int(index): int(v or 0) for index, v in connection.execute(query)}
    running = flows.total().opening_value
    found = []
    for index in range(period.days):
        running += changes.get(index, 0)
        found.append((period.day(index), money(running)))
    return found


def _days_by_category(connection: Connection, template: Template, flows: Flows) -> list[Bar]:
    """Days of inventory per category (as the turnover report per category shows it)."""
    if not has_categories(template):
        return []
    days = flows.period.days
    grouped = group_flows(connection, template, flows, "category")
    return [
        Bar(key, turnover_row(key, flow, days).days_of_inventory)
        for key, flow in sorted(grouped.items())
        if flow.sold_value or flow.daily_value_sum(days)
    ]
