"""The dashboard's figures, computed by hand from a small ledger, and equal to the same figures
on the report pages (stock value, turnover, ageing, slow movers) for the same filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from reports_ledger import Ledger, d, local, period

from stockform.reports.ageing import AGES, ageing
from stockform.reports.dashboard import Bar, Dashboard, summary
from stockform.reports.errors import ReportError
from stockform.reports.movers import slow_movers
from stockform.reports.period import Period
from stockform.reports.scope import EVERYTHING, Scope
from stockform.reports.turnover import turnover
from stockform.reports.valuation import stock_value

MARCH = (date(2026, 3, 1), date(2026, 3, 10))


def _shop(ledger: Ledger) -> None:
    ledger.sku("MUG", "home")
    ledger.sku("TEE", "apparel", safety_stock=5)
    # 25 Feb: 10 mugs at 5.00 in SH (50.00), 20 tees at 3.00 in BJ (60.00).
    ledger.receive(local(date(2026, 2, 25)), "MUG", 10, "SH", "5")
    ledger.receive(local(date(2026, 2, 25)), "TEE", 20, "BJ", "3")
    # 3 March: 4 mugs sold at 5.00: COGS 20.00, 6 left worth 30.00.
    ledger.sell(local(date(2026, 3, 3)), "MUG", 4, "SH")
    # 6 March: 2 tees found damaged (a move inside BJ: no value changes, sellable drops).
    ledger.move(local(date(2026, 3, 6)), "TEE", 2, ("BJ", "available"), ("BJ", "damaged"), "damage")
    # 12 March (after the period): 2 mugs locked at SH for 30 minutes.
    ledger.stock.lock("MUG", "SH", 2, now=local(date(2026, 3, 12)))


def _read(ledger: Ledger, scope: Scope = EVERYTHING, minute: int = 10) -> Dashboard:
    now = local(date(2026, 3, 12), 12, minute)
    return ledger.read(summary, period(*MARCH), scope, now)


# (scope, physical, sellable, locks, locks value, COGS, average, turnover, days of inventory)
KPIS = [
    # MUG: 6 at 5.00 = 30.00, sellable 6 (no safety stock) = 30.00.
    # TEE: 20 at 3.00 = 60.00 (damaged ones count), sellable max(18 - 5, 0) = 13 × 3.00 = 39.00.
    # Lock: 2 mugs × 5.00 = 10.00.
    # Daily values: MUG 50 50 30 30 30 30 30 30 30 30 (Σ 340), TEE 60 × 10 (Σ 600):
    #   average (340 + 600) / 10 = 94.00; turnover 20 / 94 = 0.21276… → 0.2128;
    #   days of inventory 10 × 94 / 20 = 47.00.
    (Scope(), "90", "69", 1, "10", "20", "94", "0.2128", "47.00"),
    # SH: MUG alone: average 34.00; 20 / 34 = 0.58823… → 0.5882; 10 × 34 / 20 = 17.00.
    (Scope(warehouse="SH"), "30", "30", 1, "10", "20", "34", "0.5882", "17.00"),
    # BJ: TEE alone, nothing sold: turnover 0, days of inventory without end.
    (Scope(warehouse="BJ"), "60", "39", 0, "0", "0", "60", "0.0000", None),
    (Scope(category="apparel"), "60", "39", 0, "0", "0", "60", "0.0000", None),
    (Scope(category="home", warehouse="BJ"), "0", "0", 0, "0", "0", "0", None, None),
]


@pytest.mark.parametrize(
    ("scope", "physical", "sellable", "locks", "locks_value", "cogs", "average", "rate", "days"),
    KPIS,
)
def test_the_figures_by_hand(
    ledger: Ledger,
    scope: Scope,
    physical: str,
    sellable: str,
    locks: int,
    locks_value: str,
    cogs: str,
    average: str,
    rate: str | None,
    days: str | None,
) -> None:
    _shop(ledger)
    found = _read(ledger, scope)
    assert found.physical_value == d(physical)
    assert found.sellable_value == d(sellable)
    assert (found.open_locks, found.open_locks_value) == (locks, d(locks_value))
    assert (found.cogs, found.average_inventory_value) == (d(cogs), d(average))
    assert found.turnover == (None if rate is None else d(rate))
    assert found.days_of_inventory == (None if days is None else d(days))


def test_the_series_by_hand(ledger: Ledger) -> None:
    _shop(ledger)
    found = _read(ledger)
    # 1-2 March 50 + 60 = 110; from the 3rd 30 + 60 = 90.
    values = [v for _, v in found.value_by_day]
    assert values == [d("110")] * 2 + [d("90")] * 8
    assert found.value_by_day[0][0] == date(2026, 3, 1)
    assert found.value_by_day[-1][0] == date(2026, 3, 10)
    # apparel: nothing sold (no days of inventory); home: 17.00 as above.
    assert found.days_by_category == [Bar("apparel", None), Bar("home", d("17.00"))]
    # Everything was received on 25 February: 13 days old on 10 March.
    assert found.value_by_age == [Bar("0-30", d("90"))] + [Bar(a, d("0")) for a in AGES[1:]]
    # TEE never went out; MUG went out 7 days before (not slow within 30 days).
    assert [(r.sku, r.warehouse, r.value) for r in found.slow_movers] == [("TEE", "BJ", d("60"))]


def test_a_lock_past_its_expiry_is_still_open_and_counted_as_expired(ledger: Ledger) -> None:
    _shop(ledger)
    # Locked at 12:00 for 30 minutes: open at 12:10, expired (not yet swept) at 13:00.
    assert _read(ledger, minute=10).expired_locks == 0
    late = ledger.read(summary, period(*MARCH), Scope(), local(date(2026, 3, 12), 13))
    assert (late.open_locks, late.expired_locks) == (1, 1)


SCOPES = [Scope(), Scope(warehouse="SH"), Scope(warehouse="BJ"), Scope(category="apparel")]
PERIODS = [MARCH, (date(2026, 2, 20), date(2026, 3, 4)), (date(2026, 3, 3), date(2026, 3, 3))]


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("bounds", PERIODS)
def test_each_figure_equals_its_report(
    ledger: Ledger, scope: Scope, bounds: tuple[date, date]
) -> None:
    _shop(ledger)
    ledger.sku("CAP", "apparel")
    ledger.receive(local(date(2026, 1, 2)), "CAP", 7, "SH", "1.2345")
    ledger.move(
        local(date(2026, 3, 2)), "CAP", 3, ("SH", "available"), ("BJ", "in_transit"), "transfer"
    )
    chosen = period(*bounds)
    found = ledger.read(summary, chosen, scope)
    values = ledger.read(stock_value, chosen, scope).total
    assert found.physical_value == values.closing_value
    assert found.cogs == values.cogs
    total = ledger.read(turnover, chosen, scope).total
    assert (found.turnover, found.days_of_inventory) == (total.turnover, total.days_of_inventory)
    assert found.average_inventory_value == total.average_inventory_value
    by_category = ledger.read(turnover, chosen, scope, "category").rows
    assert found.days_by_category == [Bar(r.key, r.days_of_inventory) for r in by_category]
    day = Period(chosen.last, chosen.last, chosen.zone)
    aged = ledger.read(ageing, day, scope).total
    assert found.value_by_age == [Bar(a, aged.ages[a][1]) for a in AGES]
    assert found.slow_movers == ledger.read(slow_movers, day, 30, scope).rows[:10]
    # The value at the end of each day is the stock-value report's closing value that day.
    for when, value in found.value_by_day:
        one = period(when, when)
        assert value == ledger.read(stock_value, one, scope).total.closing_value, when
    assert found.value_by_day[-1][1] == found.physical_value


def test_only_the_ten_slowest_movers(ledger: Ledger) -> None:
    for n in range(12):
        ledger.sku(f"S{n:02d}", "home")
        ledger.receive(local(date(2026, 1, 1)) + timedelta(days=n), f"S{n:02d}", 1, "SH", "1")
    found = ledger.read(summary, period(*MARCH), Scope())
    assert [r.sku for r in found.slow_movers] == [f"S{n:02d}" for n in range(10)]


def test_an_empty_database_gives_zeros(ledger: Ledger) -> None:
    found = ledger.read(summary, period(*MARCH), Scope())
    zero = Decimal(0)
    assert (found.physical_value, found.sellable_value, found.open_locks_value) == (zero,) * 3
    assert (found.open_locks, found.expired_locks, found.cogs) == (0, 0, zero)
    assert (found.turnover, found.days_of_inventory) == (None, None)
    assert found.value_by_day == [(day, zero) for day in period(*MARCH).dates()]
    assert found.days_by_category == [] and found.slow_movers == []
    assert found.value_by_age == [Bar(age, zero) for age in AGES]


def test_a_template_without_sellable_has_no_sellable_value(ledger: Ledger) -> None:
    _shop(ledger)
    quantities = {n: q for n, q in ledger.template.stock.quantities.items() if n != "sellable"}
    ledger.template = replace(
        ledger.template, stock=replace(ledger.template.stock, quantities=quantities)
    )
    found = _read(ledger)
    assert found.sellable_value is None
    assert found.physical_value == d("90")


@pytest.mark.parametrize(
    ("scope", "parameter"),
    [(Scope(warehouse="XX"), "warehouse"), (Scope(category="toys"), "category")],
)
def test_an_unknown_warehouse_or_category_is_refused(
    ledger: Ledger, scope: Scope, parameter: str
) -> None:
    with pytest.raises(ReportError) as refused:
        ledger.read(summary, period(*MARCH), scope)
    assert refused.value.parameter == parameter
