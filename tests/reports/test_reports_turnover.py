"""Turnover and days of inventory, computed by hand from ledgers written out below.

average inventory = Σ daily closing values / days
turnover          = COGS / average inventory
days of inventory = days / turnover
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from reports_ledger import Ledger, local, period

from stockform.reports.errors import ReportError
from stockform.reports.period import Period, make_period, offsets
from stockform.reports.scope import Scope
from stockform.reports.turnover import TurnoverRow, turnover


def row(key: str, cogs: str, average: str, rate: str | None, days: str | None) -> TurnoverRow:
    return TurnoverRow(
        key,
        Decimal(cogs),
        Decimal(average),
        None if rate is None else Decimal(rate),
        None if days is None else Decimal(days),
    )


def test_moving_average_turnover_of_one_sku(ledger: Ledger) -> None:
    ledger.sku("MUG", "home")
    # Before the period: 100 mugs at 6.00, value 600.00.
    ledger.receive(local(date(2026, 2, 20)), "MUG", 100, "SH", "6")
    # 3 March: 40 sold at the moving average 6.00: COGS 240.00, value 360.00 (60 left).
    ledger.sell(local(date(2026, 3, 3)), "MUG", 40, "SH")
    # 6 March: 60 more at 8.00 (480.00): 120 mugs worth 840.00, average 840 / 120 = 7.00.
    ledger.receive(local(date(2026, 3, 6)), "MUG", 60, "SH", "8")
    # 8 March: 30 sold at 7.00: COGS 210.00, value 630.00.
    ledger.sell(local(date(2026, 3, 8)), "MUG", 30, "SH")

    report = ledger.read(turnover, period(date(2026, 3, 1), date(2026, 3, 10)))

    # Closing values, 1-10 March: 600 600 360 360 360 840 840 630 630 630
    #   Σ = 2×600 + 3×360 + 2×840 + 3×630 = 1200 + 1080 + 1680 + 1890 = 5850
    #   average = 5850 / 10 = 585.00
    # COGS = 240 + 210 = 450.00
    # turnover = 450 / 585 = 0.76923… → 0.7692
    # days of inventory = 10 / (450 / 585) = 10 × 585 / 450 = 13.00
    expected = row("MUG", "450", "585", "0.7692", "13.00")
    assert report.rows == [expected]
    assert report.total == row("", "450", "585", "0.7692", "13.00")


def _two_warehouses(ledger: Ledger) -> None:
    ledger.sku("MUG", "home")
    ledger.sku("TEE", "apparel")
    # 25 Feb: 10 mugs at 5.00 in SH (value 50.00), 20 tees at 3.00 in BJ (value 60.00).
    ledger.receive(local(date(2026, 2, 25)), "MUG", 10, "SH", "5")
    ledger.receive(local(date(2026, 2, 25)), "TEE", 20, "BJ", "3")
    # 2 March: 4 mugs leave SH for BJ: 20.00 of value moves with them (in transit at BJ).
    ledger.move(
        local(date(2026, 3, 2)), "MUG", 4, ("SH", "available"), ("BJ", "in_transit"), "transfer"
    )
    # 3 March: they arrive (a move inside BJ: no value changes), and 2 are sold at 5.00.
    ledger.move(
        local(date(2026, 3, 3), 9),
        "MUG",
        4,
        ("BJ", "in_transit"),
        ("BJ", "available"),
        "transfer",
    )
    ledger.sell(local(date(2026, 3, 3), 15), "MUG", 2, "BJ")
    # 4 March: 5 tees sold at 3.00 (COGS 15.00).
    ledger.sell(local(date(2026, 3, 4)), "TEE", 5, "BJ")


# Closing values, 1-4 March (4 days):
#   MUG at SH: 50  30  30  30   Σ 140  average 35.00   COGS  0
#   MUG at BJ:  0  20  10  10   Σ  40  average 10.00   COGS 10.00
#   TEE at BJ: 60  60  60  45   Σ 225  average 56.25   COGS 15.00
TWO_WAREHOUSES = [
    (
        "sku",
        Scope(),
        [
            # MUG: Σ 140 + 40 = 180, average 45.00; 10 / 45 = 0.2222; 4 × 45 / 10 = 18.00
            row("MUG", "10", "45", "0.2222", "18.00"),
            # TEE: 15 / 56.25 = 0.26666… → 0.2667; 4 × 56.25 / 15 = 15.00
            row("TEE", "15", "56.25", "0.2667", "15.00"),
        ],
    ),
    (
        "warehouse",
        Scope(),
        [
            # BJ: Σ 40 + 225 = 265, average 66.25; 25 / 66.25 = 0.37735… → 0.3774;
            #     4 × 66.25 / 25 = 10.60
            row("BJ", "25", "66.25", "0.3774", "10.60"),
            # SH: nothing sold: turnover 0, days of inventory without end (null)
            row("SH", "0", "35", "0.0000", None),
        ],
    ),
    (
        "category",
        Scope(),
        [
            row("apparel", "15", "56.25", "0.2667", "15.00"),
            row("home", "10", "45", "0.2222", "18.00"),
        ],
    ),
    (
        "sku",
        Scope(warehouse="BJ"),
        # MUG at BJ: 10 / 10 = 1.0000; 4 / 1 = 4.00
        [row("MUG", "10", "10", "1.0000", "4.00"), row("TEE", "15", "56.25", "0.2667", "15.00")],
    ),
    (
        "warehouse",
        Scope(category="home"),
        [row("BJ", "10", "10", "1.0000", "4.00"), row("SH", "0", "35", "0.0000", None)],
    ),
    ("sku", Scope(sku="TEE"), [row("TEE", "15", "56.25", "0.2667", "15.00")]),
    ("sku", Scope(sku="NONE"), []),
]


def test_turnover_by_sku_category_and_warehouse(ledger: Ledger) -> None:
    _two_warehouses(ledger)
    march = period(date(2026, 3, 1), date(2026, 3, 4))
    for group, scope, expected in TWO_WAREHOUSES:
        report = ledger.read(turnover, march, scope, group)
        assert report.rows == expected, (group, scope)
    # All of it: Σ 140 + 40 + 225 = 405, average 101.25; COGS 25;
    #   25 / 101.25 = 0.24691… → 0.2469; 4 × 101.25 / 25 = 16.20
    assert ledger.read(turnover, march).total == row("", "25", "101.25", "0.2469", "16.20")


def test_a_group_without_stock_has_no_turnover(ledger: Ledger) -> None:
    ledger.sku("MUG", "home")
    # Received and sold out on 2 March, within the day: every closing value is 0.
    ledger.receive(local(date(2026, 3, 2), 9), "MUG", 3, "SH", "4")
    ledger.sell(local(date(2026, 3, 2), 18), "MUG", 3, "SH")
    report = ledger.read(turnover, period(date(2026, 3, 1), date(2026, 3, 3)))
    # COGS 12.00 against an average of 0: turnover and days of inventory are null.
    assert report.rows == [row("MUG", "12", "0", None, None)]
    # Before it, nothing had happened at all: no row.
    assert ledger.read(turnover, period(date(2026, 2, 1), date(2026, 2, 3))).rows == []


def test_unknown_filters_are_refused(ledger: Ledger) -> None:
    march = period(date(2026, 3, 1), date(2026, 3, 4))
    for scope, group, parameter in [
        (Scope(warehouse="XX"), "sku", "warehouse"),
        (Scope(category="toys"), "sku", "category"),
        (Scope(), "colour", "group"),
    ]:
        with pytest.raises(ReportError) as caught:
            ledger.read(turnover, march, scope, group)
        assert caught.value.parameter == parameter


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("first", "moment", "day"),
    [
        # Summer time starts at 02:00 on 29 March 2026: 00:30 on the 30th is 22:30 UTC on the
        # 29th; with the winter offset it would fall on the 29th.
        (date(2026, 3, 29), datetime(2026, 3, 29, 22, 30, tzinfo=UTC), 1),
        (date(2026, 3, 29), datetime(2026, 3, 28, 23, 30, tzinfo=UTC), 0),
        # Summer time ends at 03:00 on 25 October: 23:30 that evening is 22:30 UTC, still
        # the 25th; with the summer offset it would be the 26th.
        (date(2026, 10, 25), datetime(2026, 10, 25, 22, 30, tzinfo=UTC), 0),
        (date(2026, 10, 25), datetime(2026, 10, 25, 23, 30, tzinfo=UTC), 1),
    ],
)
def test_days_follow_daylight_saving_time(
    ledger: Ledger, first: date, moment: datetime, day: int
) -> None:
    ledger.sku("MUG", "home")
    ledger.receive(moment, "MUG", 1, "SH", "10")
    two_days = Period(first, date.fromordinal(first.toordinal() + 1), BERLIN)
    assert len(offsets(two_days)) == 2
    # Value 10 from day 0: average (10 + 10) / 2 = 10; from day 1: (0 + 10) / 2 = 5.
    average = ledger.read(turnover, two_days).total.average_inventory_value
    assert average == (Decimal(10) if day == 0 else Decimal(5))


def test_the_default_period_is_the_last_30_days_up_to_today() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    # 20:00 UTC on 31 March is already 1 April in Shanghai.
    now = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    found = make_period(zone, now=now)
    assert (found.first, found.last, found.days) == (date(2026, 3, 3), date(2026, 4, 1), 30)
    assert make_period(zone, date(2026, 3, 20), now=now).last == date(2026, 4, 1)
    assert make_period(zone, None, date(2026, 1, 30), now=now).first == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("first", "last", "parameter"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "from"),
        (date(2000, 1, 1), date(2026, 1, 1), "to"),
        (date(1, 1, 1), date(2026, 1, 1), "from"),
    ],
)
def test_periods_that_cannot_be_are_refused(first: date, last: date, parameter: str) -> None:
    with pytest.raises(ReportError) as caught:
        make_period(ZoneInfo("Asia/Shanghai"), first, last)
    assert caught.value.parameter == parameter
