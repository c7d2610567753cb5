"""ABC analysis by consumption value: the cost of goods sold per SKU over a period.

SKUs are ranked by consumption value, highest first (ties by code). A SKU is in class A while
the SKUs ranked above it make up less than 80% of the total (so the SKU that crosses 80% is
still an A), in B while they make up less than 95%, and in C after that; a SKU that sold
nothing is in C. So A is the top 80% of consumption value, B the next 15%, C the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection

from ..spec.model import Template
from .flows import SALE_KINDS, Flow, value_flows
from .numbers import money, percent, quantity
from .period import Period
from .scope import EVERYTHING, Scope, check, sku_info

A_SHARE, B_SHARE = 80, 95  # percent of the total consumption value, cumulative


@dataclass(frozen=True)
class AbcRow:
    sku: str
    name: str
    category: str | None
    consumed_qty: Decimal
    consumption_value: Decimal
    share: Decimal  # percent of the total
    cumulative_share: Decimal  # percent, this SKU and those above it
    abc_class: str


@dataclass(frozen=True)
class AbcReport:
    period: Period
    rows: list[AbcRow]
    total_value: Decimal
    counts: dict[str, int]


def abc_class(before: int, total: int) -> str:
    """The class of a SKU after SKUs worth `before` of `total` (exact integers)."""
    if total <= 0:
        return "C"
    if before * 100 < A_SHARE * total:
        return "A"
    if before * 100 < B_SHARE * total:
        return "B"
    return "C"


def abc(
    connection: Connection,
    template: Template,
    period: Period,
    scope: Scope = EVERYTHING,
    sale_kinds: Iterable[str] = SALE_KINDS,
) -> AbcReport:
    """Every SKU with stock or movements in the scope, ranked by consumption value."""
    check(template, scope)
    flows = value_flows(connection, template, period, scope, sale_kinds)
    per_sku: dict[int, Flow] = {}
    for (sku_id, _warehouse), flow in flows.places.items():
        if flow.touched:
            per_sku.setdefault(sku_id, Flow()).add(flow)
    info = sku_info(connection, template, per_sku)
    ranked = sorted(per_sku.items(), key=lambda item: (-item[1].sold_value, info[item[0]].code))
    total = sum(flow.sold_value for flow in per_sku.values())
    rows, before = [], 0
    counts = {"A": 0, "B": 0, "C": 0}
    for sku_id, flow in ranked:
        value = flow.sold_value
        found = abc_class(before, total) if value > 0 else "C"
        counts[found] += 1
        sku = info[sku_id]
        rows.append(
            AbcRow(
                sku.code,
                sku.name,
                sku.category,
                quantity(flow.sold_qty),
                money(value),
                percent(value, total),
                percent(before + value, total),
                found,
            )
        )
        before += value
    return AbcReport(period, rows, money(total), counts)
