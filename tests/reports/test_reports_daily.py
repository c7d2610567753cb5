"""Stock-outs and stock over time, rebuilt day by day from the ledger, computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from reports_ledger import Ledger, local, period

from stockform.reports.errors import ReportError
from stockform.reports.scope import Scope
from stockform.reports.stockouts import StockOut, stock_outs
from stockform.reports.trend import stock_trend

d = Decimal
MARCH = (date(2026, 3, 1), date(2026, 3, 5))


def _shop(ledger: Ledger) -> None:
    # MUG keeps 2 as safety stock: sellable = max(available - 2, 0).
    ledger.sku("MUG", "home", safety_stock="2")
    ledger.sku("TEE", "apparel")
    ledger.receive(local(date(2026, 2, 20)), "MUG", 5, "SH", "1")
    ledger.sell(local(date(2026, 3, 2)), "MUG", 3, "SH")
    ledger.move(local(date(2026, 3, 3)), "MUG", 1, ("SH", "available"), ("SH", "damaged"), "damage")
    ledger.receive(local(date(2026, 3, 4)), "MUG", 10, "SH", "1")
    # TEE appears at BJ on 3 March and sells out the same day.
    ledger.receive(local(date(2026, 3, 3), 9), "TEE", 1, "BJ", "1")
    ledger.sell(local(date(2026, 3, 3), 17), "TEE", 1, "BJ")


# End of day      1 Mar  2 Mar  3 Mar  4 Mar  5 Mar
# MUG available     5      2      1     11     11
#     damaged       0      0      1      1      1
#     physical      5      2      2     12     12
#     sellable      3      0      0      9      9
# TEE available     -      -      0      0      0    (tracked from 3 March)


def test_stock_outs_count_the_days_that_ended_with_nothing_sellable(ledger: Ledger) -> None:
    _shop(ledger)
    report = ledger.read(stock_outs, period(*MARCH))
    assert report.quantity == "sellable"
    assert report.rows == [
        StockOut("TEE", "Tee", "apparel", "BJ", 3, date(2026, 3, 3), date(2026, 3, 5), True, d(0)),
        StockOut("MUG", "Mug", "home", "SH", 2, date(2026, 3, 2), date(2026, 3, 3), False, d(9)),
    ]
    # Available never reached 0 for MUG: only TEE is out of it.
    by_available = ledger.read(stock_outs, period(*MARCH), quantity="available")
    assert [r.sku for r in by_available.rows] == ["TEE"]
    assert [r.sku for r in ledger.read(stock_outs, period(*MARCH), Scope(warehouse="SH")).rows] == [
        "MUG"
    ]
    with pytest.raises(ReportError) as caught:
        ledger.read(stock_outs, period(*MARCH), quantity="colour")
    assert caught.value.parameter == "quantity"


def test_sellable_against_physical_day_by_day(ledger: Ledger) -> None:
    _shop(ledger)
    days = ledger.read(stock_trend, period(*MARCH)).days
    assert [x.day for x in days] == [date(2026, 3, n) for n in range(1, 6)]
    assert [x.quantities["physical"] for x in days] == [d(5), d(2), d(2), d(12), d(12)]
    assert [x.quantities["sellable"] for x in days] == [d(3), d(0), d(0), d(9), d(9)]
    assert [x.buckets["available"] for x in days] == [d(5), d(2), d(1), d(11), d(11)]
    assert [x.buckets["damaged"] for x in days] == [d(0), d(0), d(1), d(1), d(1)]
    only_bj = ledger.read(stock_trend, period(*MARCH), Scope(warehouse="BJ")).days
    assert [x.quantities["physical"] for x in only_bj] == [d(0)] * 5
