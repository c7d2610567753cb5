"""Inventory turnover and days of inventory, by SKU, category or warehouse.

    cost of goods sold   = Σ qty × unit cost of the period's sale movements out of stock
    average inventory    = mean of the period's daily closing stock values
                         = (Σ over its days of the value at the end of the day) / days
    turnover             = cost of goods sold / average inventory   (null when average <= 0)
    days of inventory    = days in the period / turnover
                         = days × average inventory / cost of goods sold (null when COGS = 0)

Turnover is for the period as given, not annualised. Everything is computed from exact
integer sums (flows.py); each figure is rounded once, at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection

from ..spec.model import Template
from .flows import SALE_KINDS, Flow, Flows, value_flows
from .numbers import DAYS_PLACES, money, ratio
from .period import Period
from .scope import EVERYTHING, Group, Scope, check, sku_info, warehouse_ids


@dataclass(frozen=True)
class TurnoverRow:
    key: str
    cogs: Decimal
    average_inventory_value: Decimal
    turnover: Decimal | None
    days_of_inventory: Decimal | None


@dataclass(frozen=True)
class TurnoverReport:
    period: Period
    group: Group
    rows: list[TurnoverRow]
    total: TurnoverRow


def turnover_row(key: str, flow: Flow, days: int) -> TurnoverRow:
    """The figures of one group from its summed flows."""
    daily_sum = flow.daily_value_sum(days)  # = average × days, exactly
    cogs = flow.sold_value
    rate = ratio(cogs * days, daily_sum) if daily_sum > 0 else None
    cover = ratio(daily_sum, cogs, DAYS_PLACES) if daily_sum > 0 and cogs > 0 else None
    return TurnoverRow(key, money(cogs), money(daily_sum, days), rate, cover)


def group_flows(
    connection: Connection, template: Template, flows: Flows, group: Group
) -> dict[str, Flow]:
    """Flows summed per group key: SKU code, category (blank: none) or warehouse code."""
    key_of = grouping(connection, template, flows.places, group)
    grouped: dict[str, Flow] = {}
    for place, flow in flows.places.items():
        grouped.setdefault(key_of(place), Flow()).add(flow)
    return grouped


def grouping(
    connection: Connection,
    template: Template,
    places: Iterable[tuple[int, int]],
    group: Group,
) -> Callable[[tuple[int, int]], str]:
    """How to name the group of a (sku_id, warehouse_id) place."""
    if group == "warehouse":
        codes = warehouse_ids(connection)
        return lambda place: codes[place[1]]
    info = sku_info(connection, template, (sku for sku, _ in places))
    if group == "category":
        return lambda place: info[place[0]].category or ""
    return lambda place: info[place[0]].code


def turnover(
    connection: Connection,
    template: Template,
    period: Period,
    scope: Scope = EVERYTHING,
    group: Group = "sku",
    sale_kinds: Iterable[str] = SALE_KINDS,
) -> TurnoverReport:
    """Turnover per group over the period; groups without stock or sales in it are left out."""
    check(template, scope, group)
    flows = value_flows(connection, template, period, scope, sale_kinds)
    days = period.days
    rows = [
        turnover_row(key, flow, days)
        for key, flow in sorted(group_flows(connection, template, flows, group).items())
        if flow.sold_value or flow.daily_value_sum(days)
    ]
    return TurnoverReport(period, group, rows, turnover_row("", flows.total(), days))
