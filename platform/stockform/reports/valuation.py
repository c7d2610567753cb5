"""Stock value and cost of goods sold: the value at the start and at the end of a period (any
date: a period of one day ends on it) and the cost of what was sold in between.

    value at the end of day D = Σ qty × unit cost of the movements effective up to then,
                                + for goods entering a warehouse, - for goods leaving it
    cost of goods sold        = Σ qty × unit cost of the period's sale movements out of stock
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection

from ..spec.model import Template
from .flows import SALE_KINDS, Flow, value_flows
from .numbers import money, quantity
from .period import Period
from .scope import EVERYTHING, Group, Scope, check
from .turnover import group_flows


@dataclass(frozen=True)
class ValueRow:
    key: str
    opening_qty: Decimal
    opening_value: Decimal
    closing_qty: Decimal
    closing_value: Decimal
    cogs: Decimal
    sold_qty: Decimal


@dataclass(frozen=True)
class ValueReport:
    period: Period
    group: Group
    rows: list[ValueRow]
    total: ValueRow


def value_row(key: str, flow: Flow) -> ValueRow:
    return ValueRow(
        key,
        quantity(flow.opening_qty),
        money(flow.opening_value),
        quantity(flow.closing_qty),
        money(flow.closing_value),
        money(flow.sold_value),
        quantity(flow.sold_qty),
    )


def stock_value(
    connection: Connection,
    template: Template,
    period: Period,
    scope: Scope = EVERYTHING,
    group: Group = "sku",
    sale_kinds: Iterable[str] = SALE_KINDS,
) -> ValueReport:
    """Opening and closing quantity and value, and COGS, per group; rows with none left out."""
    check(template, scope, group)
    flows = value_flows(connection, template, period, scope, sale_kinds)
    grouped = group_flows(connection, template, flows, group)
    rows = [
        value_row(key, flow)
        for key, flow in sorted(grouped.items())
        if flow.opening_qty
        or flow.opening_value
        or flow.closing_qty
        or flow.closing_value
        or flow.sold_value
    ]
    return ValueReport(period, group, rows, value_row("", flows.total()))
