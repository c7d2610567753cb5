"""Daily demand per (SKU, warehouse) over a window of local days, aggregated in SQL: how many
days, the sum of the days' demand and the sum of its squares, in integers (thousandths).

A day's demand is the quantity of the chosen kinds of movement leaving the warehouse to
outside on that calendar day in the template's time zone; days without any count as 0, so
they add nothing to either sum and only `days` needs to know them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from math import isqrt
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, FromClause, cast, func, select

from ..stock.days import Period, day_index
from ..stock.rows import RowSource
from ..stock.tables import Movement, table_of

ZERO = Decimal(0)


# The days a demand window covers: whole local days, as reports count them.
Window = Period


def window(now: datetime, days: int, timezone: str) -> Window:
    """The `days` local days up to and including the day of `now`."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    return Window(today - timedelta(days=days - 1), today, zone)


def deviation(days: int, total: int, squares: int) -> Decimal:
    """s = √((Σx² − (Σx)²/n) / (n − 1)) in units, to 4 decimals (rounded half up), for showing.

    From integers: √((nΣx² − (Σx)²) / (n(n − 1))) thousandths; the integer square root with
    one digit more tells how to round the fourth.
    """
    spread = days * squares - total * total
    if days < 2 or spread <= 0:
        return ZERO
    # s × 10⁵ = √(spread / (n(n − 1))) / 1000 × 10⁵ = √(spread × 10⁴ / (n(n − 1)))
    digits = isqrt(spread * 10**4 // (days * (days - 1)))
    return Decimal((digits + 5) // 10).scaleb(-4)


def average(days: int, total: int) -> Decimal:
    """d = Σx / n in units, to 4 decimals (rounded half up), for showing."""
    # d × 10⁵ = Σx / (1000 n) × 10⁵ = 100 Σx / n
    return Decimal((total * 100 // days + 5) // 10).scaleb(-4) if total else ZERO


def demand(source: RowSource, kinds: Sequence[str], span: Window, name: str) -> FromClause:
    """Per (sku_id, warehouse_id) with demand in the window: Σx and Σx² of its days."""
    m = table_of(Movement)
    day = day_index(m.c.effective_at, span)
    daily = (
        select(
            m.c.sku_id,
            m.c.from_warehouse_id.label("warehouse_id"),
            day.label("day"),
            # PostgreSQL sums BIGINTs as NUMERIC: back to an integer, so x * x stays one.
            cast(func.sum(m.c.qty), BigInteger).label("x"),
        )
        .where(
            m.c.to_warehouse_id.is_(None),
            m.c.from_warehouse_id.is_not(None),
            m.c.effective_at >= span.start,
            m.c.effective_at < span.end,
            m.c.kind.in_(list(kinds)),
            *source.narrowing(m.c.sku_id, m.c.from_warehouse_id),
        )
        .group_by(m.c.sku_id, m.c.from_warehouse_id, day)
        .subquery(f"{name}_days")
    )
    # x² of a day stays within 64 bits up to 3 million units a day, and Σx² over 730 days
    # up to 110,000 units a day: PostgreSQL refuses an overflow, SQLite then sums floats
    # (from_scaled refuses those rather than show a wrong figure).
    return (
        select(
            daily.c.sku_id,
            daily.c.warehouse_id,
            cast(func.sum(daily.c.x), BigInteger).label("demand_total"),
            cast(func.sum(daily.c.x * daily.c.x), BigInteger).label("demand_squares"),
        )
        .group_by(daily.c.sku_id, daily.c.warehouse_id)
        .subquery(name)
    )
