"""Stock-outs: the days of a period on which a SKU at a warehouse ended the day with nothing
of a quantity (sellable by default: nothing that could be promised) — `quantity <= 0` at the
end of the day, rebuilt from the ledger (daily.py).

A SKU at a warehouse counts from the day of its first movement there, and is listed when it
was out on at least one day of the period; `out_at_end` says it is still out on the last day
(for a period ending today: out of stock now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection

from ..spec.model import Template
from .daily import Place, figure, replay
from .errors import ReportError
from .period import Period
from .scope import EVERYTHING, Scope, check, sku_info, warehouse_ids


@dataclass(frozen=True)
class StockOut:
    sku: str
    name: str
    category: str | None
    warehouse: str
    days_out: int
    first_out: date
    last_out: date
    out_at_end: bool
    at_end: Decimal  # the quantity at the end of the period


@dataclass(frozen=True)
class StockOutReport:
    period: Period
    quantity: str
    rows: list[StockOut]


def default_quantity(template: Template) -> str:
    """`sellable` where the template has it, else `available`, else its first bucket."""
    for name in ("sellable", "available"):
        if name in template.stock.quantities or name in template.stock.buckets:
            return name
    return next(iter(template.stock.buckets))


def check_quantity(template: Template, name: str) -> None:
    known = [*template.stock.buckets, *template.stock.quantities]
    if name not in known:
        raise ReportError("quantity", f"'{name}' is not one of {', '.join(known)}")


def stock_outs(
    connection: Connection,
    template: Template,
    period: Period,
    scope: Scope = EVERYTHING,
    quantity: str | None = None,
) -> StockOutReport:
    """SKUs × warehouses out of `quantity` on some day; most days out first."""
    check(template, scope)
    name = quantity or default_quantity(template)
    check_quantity(template, name)
    days_out: dict[Place, list[int]] = {}
    outs: dict[Place, bool] = {}
    last = None
    for state in replay(connection, template, period, scope):
        for place in state.changed:
            value = figure(state, place, name)
            outs[place] = value is None or value <= 0
        for place, out in outs.items():
            if out:
                days_out.setdefault(place, []).append(state.index)
        last = state
    info = sku_info(connection, template, (sku for sku, _ in days_out))
    codes = warehouse_ids(connection)
    rows = []
    for place, days in days_out.items():
        sku = info[place[0]]
        at_end = figure(last, place, name) if last is not None else None
        rows.append(
            StockOut(
                sku.code,
                sku.name,
                sku.category,
                codes[place[1]],
                len(days),
                period.day(days[0]),
                period.day(days[-1]),
                days[-1] == period.days - 1,
                at_end if at_end is not None else Decimal(0),
            )
        )
    rows.sort(key=lambda r: (-r.days_out, r.sku, r.warehouse))
    return StockOutReport(period, name, rows)
