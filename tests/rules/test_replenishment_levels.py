"""Safety stock, reorder point and order quantities, computed by hand and written out: the z
table, the levels of a 5-day demand history, service levels by category, rounding to the
SKU's precision, and orders in multiples under a max."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from replenishment_support import Shop, d, open_shop
from sqlalchemy import create_engine, literal, select

from stockform.rules.demand import Window
from stockform.rules.ordering import (
    Demand,
    levels,
    order_quantity,
    safety_stock,
    step,
    z_score,
)
from stockform.stock.days import day_index
from stockform.stock.tables import UtcDateTime

SQRT5 = d("2.2361")  # √5 = 2.23606797…, shown to 4 decimals


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[Shop]:
    found = open_shop(database_url, tmp_path)
    yield found
    found.prepared.engine.dispose()


@pytest.mark.parametrize(
    ("level", "z"),
    [
        ("0.5", "0.0000"),  # the median: no safety stock at all
        ("0.95", "1.6449"),  # inv_cdf(0.95) = 1.644853626…
        ("0.97", "1.8808"),  # 1.880793608…
        ("0.98", "2.0537"),  # 2.053748910…
        ("0.99", "2.3263"),  # 2.326347874…
        ("0.9999", "3.7190"),  # 3.719016485…
    ],
)
def test_z_of_a_service_level_to_four_places(level: str, z: str) -> None:
    found = z_score(d(level))
    assert found == d(z)
    assert found.as_tuple().exponent == -4


# Five days of demand 2, 4, 0, 6, 3 in thousandths: Σx = 15,000, Σx² = (4 + 16 + 0 + 36 + 9)
# × 10⁶ = 65 × 10⁶. The arithmetic works in thousandths of a unit.
FIVE_DAYS = Demand(5, 15_000, 65_000_000)
Z95 = 16449  # z(0.95) = 1.6449, in ten-thousandths


def units(thousandths: int) -> Decimal:
    return Decimal(thousandths) / 1000


@pytest.mark.parametrize(
    ("precision", "lead_time", "safety", "reorder"),
    [
        # d = 3, s = √5 = 2.2360…, z = 1.6449, L = 4: SS = 1.6449 × 2.2360… × 2 = 7.3562… →
        # 8 (up to a whole unit); ROP = 3 × 4 + 8 = 20.
        (0, 4, "8", "20"),
        # The same at one decimal: SS 7.3562… → 7.4; ROP = 12 + 7.4 = 19.4.
        (1, 4, "7.4", "19.4"),
        # L = 2: SS = 1.6449 × 2.2360… × 1.4142… = 5.2016… → 6; ROP = 3 × 2 + 6 = 12.
        (0, 2, "6", "12"),
        # No lead time: nothing to cover.
        (0, 0, "0", "0"),
    ],
)
def test_levels_by_hand(precision: int, lead_time: int, safety: str, reorder: str) -> None:
    found = levels(FIVE_DAYS, Z95, (lead_time, 1), step(precision), None, None, 10)
    assert (units(found.safety_stock), units(found.reorder_point)) == (d(safety), d(reorder))


def test_safety_stock_is_rounded_up_exactly() -> None:
    # z × s × √L² = 1.6449² × 5 × 4 = 54.11393… ; 7.356² = 54.110736 < 54.11393… ≤ 7.357²
    # = 54.125449: at three decimals the least quantity whose square is not below it is 7.357.
    assert safety_stock(FIVE_DAYS, Z95, (4, 1), 1) == 7357
    # A lead time of 1.5 days written as 3 / 2: 1.6449² × 5 × 1.5 = 20.2927… → √ = 4.5047… → 5
    assert safety_stock(FIVE_DAYS, Z95, (3, 2), 1000) == 5000


def test_trigger_and_target() -> None:
    # ROP 20 (as above) under a min of 30: the trigger is 30; with a max of 100 above it the
    # target is the max; without one, trigger + d × cover days = 30 + 3 × 10 = 60.
    with_max = levels(FIVE_DAYS, Z95, (4, 1), 1000, 30_000, 100_000, 10)
    assert (with_max.trigger, with_max.target) == (30_000, 100_000)
    without = levels(FIVE_DAYS, Z95, (4, 1), 1000, 30_000, None, 10)
    assert (without.trigger, without.target) == (30_000, 60_000)
    # A max at or below the trigger cannot be the target: trigger + d × cover days again.
    low_max = levels(FIVE_DAYS, Z95, (4, 1), 1000, None, 15_000, 10)
    assert (low_max.trigger, low_max.target) == (20_000, 50_000)
    # The target rounds up: 7 sold over a window of 3 days, min 1 and no max: trigger 1,
    # target 1 + 7 / 3 × 10 = 24.33… → 25.
    assert levels(Demand(3, 7_000, 49_000_000), 0, (0, 1), 1000, 1_000, None, 10).target == 25_000


@pytest.mark.parametrize(
    ("need", "position", "transfers", "maximum", "multiple", "expected"),
    [
        (0, 50, 0, None, 12, 0),  # nothing short, nothing ordered
        (40, 10, 0, None, None, 40),  # no multiple: the need itself
        (40, 10, 0, None, 12, 48),  # 40 / 12 = 3.33 → 4 multiples
        # 48 would make 10 + 48 = 58 > max 55: down to 45 / 12 = 3.75 → 3 multiples
        (40, 10, 0, 55, 12, 36),
        # 12 would pass the max (48 + 12 = 60 > 53), 5 / 12 rounds down to 0: one multiple
        (5, 48, 0, 53, 12, 12),
        # transfers count toward the max: 10 + 20 + 24 = 54 ≤ 55, so 20 / 12 → 2 multiples
        (20, 10, 20, 55, 12, 24),
    ],
)
def test_order_quantity(
    need: int,
    position: int,
    transfers: int,
    maximum: int | None,
    multiple: int | None,
    expected: int,
) -> None:
    def th(value: int | None) -> int | None:
        return None if value is None else value * 1000

    found = order_quantity(
        need * 1000, position * 1000, transfers * 1000, th(maximum), th(multiple), 1000
    )
    assert found == expected * 1000


def test_the_worked_example_from_the_ledger(shop: Shop) -> None:
    shop.sku("TEA", lead_time_days="4")
    shop.put("TEA", "SH", 25)
    shop.demand("TEA", "SH", [2, 4, 0, 6, 3])  # the 5 days of the window, the last today
    row = shop.row("TEA", "SH")
    # d = (2 + 4 + 0 + 6 + 3) / 5 = 15 / 5 = 3
    assert row.average_daily_demand == d("3")
    # s = √(((−1)² + 1² + (−3)² + 3² + 0²) / 4) = √(20 / 4) = √5
    assert row.demand_deviation == SQRT5
    # home: 0.95 → z = 1.6449; SS = 1.6449 × √5 × √4 = 7.356… → 8; ROP = 3 × 4 + 8 = 20
    assert (row.service_level, row.z) == (d("0.95"), d("1.6449"))
    assert (row.safety_stock, row.reorder_point) == (d("8"), d("20"))
    assert row.current_safety_stock == d("0")  # the SKU's own, untouched
    # position = 25 − 15 sold = 10 ≤ 20: no max, so up to 20 + 3 × 10 cover days = 50
    assert (row.stock, row.position) == (d("10"), d("10"))
    assert (row.order_qty, row.transfer_in, row.needs_action) == (d("40"), d("0"), True)


def test_days_outside_the_window_and_other_kinds_are_not_demand(shop: Shop) -> None:
    shop.sku("TEA", lead_time_days="4")
    shop.put("TEA", "SH", 100)
    # Seven days: the first two fall before the 5-day window; a loss is not a sale.
    shop.demand("TEA", "SH", [9, 9, 2, 4, 0, 6, 3])
    shop.demand("TEA", "SH", [5], kind="loss", hour=13)
    row = shop.row("TEA", "SH")
    assert (row.average_daily_demand, row.demand_deviation) == (d("3"), SQRT5)
    assert row.stock == d("100") - 18 - 15 - 5


@pytest.mark.parametrize(
    ("category", "level", "z", "safety", "reorder"),
    [
        # SS = z × √5 × √4; ROP = 3 × 4 + SS
        ("home", "0.95", "1.6449", "8", "20"),  # 7.356… → 8 (the default level)
        ("food", "0.98", "2.0537", "10", "22"),  # 2.0537 × 2.2360… × 2 = 9.184… → 10
        ("electronics", "0.5", "0.0000", "0", "12"),  # z = 0: no safety stock
    ],
)
def test_service_level_by_category(
    shop: Shop, category: str, level: str, z: str, safety: str, reorder: str
) -> None:
    shop.sku("X", category=category, lead_time_days="4")
    shop.put("X", "SH", 100)
    shop.demand("X", "SH", [2, 4, 0, 6, 3])
    row = shop.row("X", "SH")
    assert (row.category, row.service_level, row.z) == (category, d(level), d(z))
    assert (row.safety_stock, row.reorder_point) == (d(safety), d(reorder))


def test_min_max_and_multiple_from_the_ledger(shop: Shop) -> None:
    shop.sku("CUP", lead_time_days="2", min_stock="30", max_stock="100", order_multiple="12")
    shop.put("CUP", "SH", 25)
    shop.demand("CUP", "SH", [1, 1, 1, 1, 1])
    row = shop.row("CUP", "SH")
    # d = 1, s = 0 (every day the same): SS = 0, ROP = 1 × 2 = 2; the min 30 is the trigger.
    assert (row.safety_stock, row.reorder_point) == (d("0"), d("2"))
    # position 25 − 5 = 20 ≤ 30; up to the max: need 80; 7 × 12 = 84 would reach 104 > 100,
    # so 6 × 12 = 72.
    assert (row.position, row.min_level, row.max_level) == (d("20"), d("30"), d("100"))
    assert row.order_qty == d("72")


def test_nothing_is_suggested_without_demand_or_min(shop: Shop) -> None:
    shop.sku("IDLE", lead_time_days="4")
    row = shop.row("IDLE", "SH")
    assert (row.average_daily_demand, row.reorder_point, row.order_qty) == (0, 0, 0)
    assert not row.needs_action


@pytest.mark.parametrize(
    ("local_moment", "day"),
    [
        ("2026-03-27T00:00", 0),  # the window's first day, at midnight
        ("2026-03-29T00:30", 2),  # before the clocks go forward (UTC+1)
        ("2026-03-29T23:30", 2),  # after (UTC+2): the same local day
        ("2026-03-30T00:30", 3),
        ("2026-03-31T23:59", 4),  # the last minute of the window
    ],
)
def test_local_days_across_daylight_saving(database_url: str, local_moment: str, day: int) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    span = Window(date(2026, 3, 27), date(2026, 3, 31), berlin)
    moment = datetime.fromisoformat(local_moment).replace(tzinfo=berlin).astimezone(UTC)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                select(day_index(literal(moment, UtcDateTime()), span))
            ).scalar_one()
    finally:
        engine.dispose()
    assert found == day
