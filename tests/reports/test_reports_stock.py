"""Stock value at dates, ageing by receipt date and slow movers, computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reports_ledger import ZONE, Ledger, local, period

from stockform.reports.ageing import ageing
from stockform.reports.movers import slow_movers
from stockform.reports.period import as_of
from stockform.reports.scope import Scope
from stockform.reports.valuation import ValueRow, stock_value

d = Decimal


def test_stock_value_and_cogs_at_any_date(ledger: Ledger) -> None:
    ledger.sku("MUG", "home")
    ledger.receive(local(date(2026, 2, 20)), "MUG", 100, "SH", "6")  # 100 × 6.00 = 600.00
    ledger.sell(local(date(2026, 3, 3)), "MUG", 40, "SH")  # at 6.00: COGS 240.00, 360.00 left
    ledger.receive(local(date(2026, 3, 6)), "MUG", 60, "SH", "8")  # +480.00: 120 worth 840.00
    ledger.sell(local(date(2026, 3, 8)), "MUG", 30, "SH")  # at 7.00: COGS 210.00, 630.00 left
    on_6_march = ledger.read(stock_value, period(date(2026, 3, 6), date(2026, 3, 6)))
    assert on_6_march.rows == [ValueRow("MUG", d(60), d(360), d(120), d(840), d(0), d(0))]
    march = ledger.read(stock_value, period(date(2026, 3, 1), date(2026, 3, 10)))
    assert march.rows == [ValueRow("MUG", d(100), d(600), d(90), d(630), d(450), d(70))]
    by_warehouse = ledger.read(
        stock_value, period(date(2026, 3, 1), date(2026, 3, 10)), group="warehouse"
    )
    assert [r.key for r in by_warehouse.rows] == ["SH"]


def _shop(ledger: Ledger) -> None:
    ledger.sku("MUG", "home")
    ledger.sku("TEE", "apparel")
    ledger.sku("RICE", "food")
    ledger.sku("SOCK", "apparel")
    # MUG at SH, 2.00 each: 5 on 1 Dec, 10 on 1 Jan, 10 on 10 Feb, 10 on 20 Mar; 16 sold 25 Mar.
    for day, qty in [(date(2025, 12, 1), 5), (date(2026, 1, 1), 10), (date(2026, 2, 10), 10)]:
        ledger.receive(local(day), "MUG", qty, "SH", "2")
    ledger.receive(local(date(2026, 3, 20)), "MUG", 10, "SH", "2")
    ledger.sell(local(date(2026, 3, 25)), "MUG", 16, "SH")
    # TEE, 3.00 each: 8 at SH on 15 Jan; 4 of them leave for BJ on 30 Mar.
    ledger.receive(local(date(2026, 1, 15)), "TEE", 8, "SH", "3")
    ledger.move(
        local(date(2026, 3, 30)), "TEE", 4, ("SH", "available"), ("BJ", "in_transit"), "transfer"
    )
    # RICE in batches: B1, 6 at 1.50 on 15 Dec; B2, 4 at 2.50 on 5 Mar.
    for code, day, qty, cost in [
        ("B1", date(2025, 12, 15), 6, "1.5"),
        ("B2", date(2026, 3, 5), 4, "2.5"),
    ]:
        ledger.receive(local(day), "RICE", qty, "SH", cost, batch=code, expiry=date(2027, 1, 1))
    # SOCK: 5 at 1.00 on 10 Jan, 1 sold on 20 Feb.
    ledger.receive(local(date(2026, 1, 10)), "SOCK", 5, "SH", "1")
    ledger.sell(local(date(2026, 2, 20)), "SOCK", 1, "SH")


def test_ageing_by_receipt_date(ledger: Ledger) -> None:
    _shop(ledger)
    report = ledger.read(ageing, as_of(ZONE, date(2026, 3, 31)))
    found = {r.key: {age: q for age, (q, _v) in r.ages.items()} for r in report.rows}
    # MUG: 19 on hand (35 in, 16 out), the newest receipts first: all 10 of 20 Mar (11 days
    #   old: 0-30) and 9 of the 10 of 10 Feb (49 days: 31-60); 1 Jan and 1 Dec are gone.
    assert found["MUG"] == {"0-30": d(10), "31-60": d(9), "61-90": d(0), "over_90": d(0)}
    # TEE: 4 at SH from 15 Jan (75 days: 61-90); 4 at BJ, received there on 30 Mar (1 day).
    assert found["TEE"] == {"0-30": d(4), "31-60": d(0), "61-90": d(4), "over_90": d(0)}
    # RICE by batch: B1 from 15 Dec (106 days: over 90), B2 from 5 Mar (26 days).
    assert found["RICE"] == {"0-30": d(4), "31-60": d(0), "61-90": d(0), "over_90": d(6)}
    # SOCK: 4 left of the 5 of 10 Jan (80 days).
    assert found["SOCK"] == {"0-30": d(0), "31-60": d(0), "61-90": d(4), "over_90": d(0)}
    rice = next(r for r in report.rows if r.key == "RICE")
    # RICE's value at SH is 6 × 1.50 + 4 × 2.50 = 19.00, shared out by quantity:
    #   over 90: 19 × 6 / 10 = 11.40; 0-30: 19 × 4 / 10 = 7.60
    assert (rice.value, rice.ages["over_90"][1], rice.ages["0-30"][1]) == (
        d(19),
        d("11.4"),
        d("7.6"),
    )
    # By warehouse: BJ holds only the 4 tees; SH everything else (19 + 4 + 10 + 4 = 37).
    per_warehouse = ledger.read(ageing, as_of(ZONE, date(2026, 3, 31)), group="warehouse")
    assert [(r.key, r.qty) for r in per_warehouse.rows] == [("BJ", d(4)), ("SH", d(37))]
    assert per_warehouse.total.qty == d(41)
    # Scoped to apparel at SH: 4 tees (61-90) and 4 socks (61-90).
    scoped = ledger.read(
        ageing, as_of(ZONE, date(2026, 3, 31)), Scope(warehouse="SH", category="apparel")
    )
    assert scoped.total.ages["61-90"][0] == d(8)


def test_slow_movers(ledger: Ledger) -> None:
    _shop(ledger)
    report = ledger.read(slow_movers, as_of(ZONE, date(2026, 3, 31)), 30)
    found = [
        (r.sku, r.warehouse, r.qty, r.value, r.last_out, r.days_without_out) for r in report.rows
    ]
    # MUG went out on 25 Mar and TEE left SH on 30 Mar: not slow. Never out: RICE at SH
    # (worth 19.00, first) and TEE at BJ (12.00). SOCK last went out on 20 Feb, 39 days before.
    assert found == [
        ("RICE", "SH", d(10), d(19), None, None),
        ("TEE", "BJ", d(4), d(12), None, None),
        ("SOCK", "SH", d(4), d(4), date(2026, 2, 20), 39),
    ]
    assert report.total_value == d(35)
    # Over 40 days SOCK is not slow (20 Feb is within 40 days of 31 Mar); over 6 days MUG is.
    assert [r.sku for r in ledger.read(slow_movers, as_of(ZONE, date(2026, 3, 31)), 40).rows] == [
        "RICE",
        "TEE",
    ]
    six = ledger.read(slow_movers, as_of(ZONE, date(2026, 3, 31)), 6).rows
    assert ("MUG", 6) in [(r.sku, r.days_without_out) for r in six]
