"""ABC analysis by consumption value, and FIFO costs feeding the reports, computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from reports_ledger import Ledger, local, period

from stockform.database import prepare
from stockform.reports.abc import abc, abc_class
from stockform.reports.period import make_period
from stockform.reports.turnover import turnover
from stockform.reports.valuation import stock_value

FIFO = Path(__file__).parents[1] / "data/templates/valid/fifo"


def test_abc_classes_by_consumption_value(ledger: Ledger) -> None:
    # Six SKUs, 600 of each received at 1.00 before the period; sold in it (at 1.00 each):
    sold = {"P1": 500, "P2": 250, "P3": 120, "P4": 80, "P5": 50, "P6": 0}
    for code, qty in sold.items():
        ledger.sku(code, "home")
        ledger.receive(local(date(2026, 2, 1)), code, 600, "SH", "1")
        if qty:
            ledger.sell(local(date(2026, 3, 2)), code, qty, "SH")

    report = ledger.read(abc, period(date(2026, 3, 1), date(2026, 3, 31)))

    # Total consumption value 500 + 250 + 120 + 80 + 50 = 1000.00
    #   SKU  value  share  cumulative  SKUs above it hold  class
    #   P1   500    50%     50%           0%  (< 80)       A
    #   P2   250    25%     75%          50%  (< 80)       A
    #   P3   120    12%     87%          75%  (< 80)       A   (it crosses 80%: still A)
    #   P4    80     8%     95%          87%  (< 95)       B
    #   P5    50     5%    100%          95%  (not < 95)   C
    #   P6     0     0%    100%         100%               C   (sold nothing)
    found = [
        (r.sku, r.consumption_value, r.share, r.cumulative_share, r.abc_class) for r in report.rows
    ]
    d = Decimal
    assert found == [
        ("P1", d(500), d("50.00"), d("50.00"), "A"),
        ("P2", d(250), d("25.00"), d("75.00"), "A"),
        ("P3", d(120), d("12.00"), d("87.00"), "A"),
        ("P4", d(80), d("8.00"), d("95.00"), "B"),
        ("P5", d(50), d("5.00"), d("100.00"), "C"),
        ("P6", d(0), d("0.00"), d("100.00"), "C"),
    ]
    assert report.total_value == Decimal(1000)
    assert report.counts == {"A": 3, "B": 1, "C": 2}
    assert [r.consumed_qty for r in report.rows[:2]] == [Decimal(500), Decimal(250)]


def test_abc_boundaries_are_exact() -> None:
    # 79.999…% above a SKU keeps it in A; exactly 80% makes it a B; exactly 95% a C.
    assert abc_class(79_999, 100_000) == "A"
    assert abc_class(80_000, 100_000) == "B"
    assert abc_class(94_999, 100_000) == "B"
    assert abc_class(95_000, 100_000) == "C"
    assert abc_class(0, 0) == "C"


def test_fifo_costs_flow_into_the_reports(database_url: str) -> None:
    prepared = prepare(database_url, FIFO)
    try:
        ledger = Ledger(prepared)
        ledger.sku("T-1")
        utc = ZoneInfo("UTC")
        # 10 at 1.00 on 1 March, 10 at 2.00 on 2 March (the FIFO template keeps layers).
        ledger.receive(local(date(2026, 3, 1)), "T-1", 10, "MAIN", "1")
        ledger.receive(local(date(2026, 3, 2)), "T-1", 10, "MAIN", "2")
        # 3 March: 16 sold, first in first out: 10 × 1.00 + 6 × 2.00 = 22.00 (the moving
        # average would say 16 × 1.50 = 24.00), recorded as a unit cost of 22 / 16 = 1.375;
        # the 4 left are worth 4 × 2.00 = 8.00.
        ledger.sell(local(date(2026, 3, 3)), "T-1", 16, "MAIN")
        march = make_period(utc, date(2026, 3, 1), date(2026, 3, 4))
        value = ledger.read(stock_value, march).total
        assert (value.cogs, value.closing_qty, value.closing_value) == (
            Decimal(22),
            Decimal(4),
            Decimal(8),
        )
        # Closing values 10, 30, 8, 8: Σ 56, average 14.00; 22 / 14 = 1.57142… → 1.5714;
        # days of inventory 4 × 14 / 22 = 2.5454… → 2.55.
        row = ledger.read(turnover, march).total
        assert (row.average_inventory_value, row.turnover, row.days_of_inventory) == (
            Decimal(14),
            Decimal("1.5714"),
            Decimal("2.55"),
        )
    finally:
        prepared.engine.dispose()
