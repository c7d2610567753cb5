"""Stock over time: for each day of a period, the total of every bucket and computed quantity
(physical, sellable…) at its end, across the SKUs and warehouses in scope — sellable against
physical, day by day, rebuilt from the ledger (daily.py). A total adds up each SKU's and
warehouse's own figure; an empty figure counts as 0."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection

from ..spec.model import Template
from ..stock.units import qty_decimal
from .daily import Place, replay
from .period import Period
from .scope import EVERYTHING, Scope, check


@dataclass(frozen=True)
class DayTotals:
    day: date
    buckets: dict[str, Decimal]
    quantities: dict[str, Decimal]


@dataclass(frozen=True)
class TrendReport:
    period: Period
    days: list[DayTotals]


def stock_trend(
    connection: Connection, template: Template, period: Period, scope: Scope = EVERYTHING
) -> TrendReport:
    """Every bucket and quantity, summed over the scope, at the end of each day."""
    check(template, scope)
    buckets = dict.fromkeys(template.stock.buckets, 0)
    quantities = dict.fromkeys(template.stock.quantities, Decimal(0))
    seen_buckets: dict[Place, dict[str, int]] = {}
    seen_quantities: dict[Place, dict[str, Decimal]] = {}
    found = []
    for state in replay(connection, template, period, scope):
        for place in state.changed:
            # Running totals: take the place's old figures out, put the new ones in.
            old_b = seen_buckets.get(place, {})
            new_b = dict(state.buckets[place])
            for name in buckets:
                buckets[name] += new_b.get(name, 0) - old_b.get(name, 0)
            old_q = seen_quantities.get(place, {})
            new_q = {n: v or Decimal(0) for n, v in state.quantities[place].items()}
            for name in quantities:
                quantities[name] += new_q.get(name, Decimal(0)) - old_q.get(name, Decimal(0))
            seen_buckets[place], seen_quantities[place] = new_b, new_q
        found.append(
            DayTotals(
                period.day(state.index),
                {n: qty_decimal(v) for n, v in buckets.items()},
                dict(quantities),
            )
        )
    return TrendReport(period, found)
