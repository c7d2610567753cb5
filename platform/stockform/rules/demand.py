"""Daily demand per (SKU, warehouse) over a window of local days, aggregated in SQL: how many
days, the sum of the days' demand and the sum of its squares, in integers (thousandths).

A day's demand is the quantity of the chosen kinds of movement leaving the warehouse to
outside on that calendar day in the template's time zone; days without any count as 0, so
they add nothing to either sum and only `days` needs to know them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from math import isqrt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, FromClause, case, cast, func, literal, select

from ..spec.expressions.sqldates import seconds_since_epoch
from ..stock.rows import RowSource
from ..stock.tables import Movement, table_of

DAY_SECONDS = 86400
ZERO = Decimal(0)
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Window:
    """The local days first to last (both included) in zone."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        return _midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return _midnight(self.last + timedelta(days=1), self.zone)


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
    day = local_day(m.c.effective_at, span)
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


def local_day(column: Any, span: Window) -> ColumnElement[int]:
    """A key of the local day a stored UTC timestamp falls on: days since 1970 in the zone.

    The zone's UTC offset is written into the SQL as one number, or a CASE over the moments
    it changes inside the window (daylight saving).
    """
    pieces = _offsets(span)
    offset: ColumnElement[int]
    if len(pieces) == 1:
        offset = literal(pieces[0][1])
    else:
        whens = [(column < until, literal(seconds)) for until, seconds in pieces[:-1]]
        offset = case(*whens, else_=literal(pieces[-1][1]))
    base = (span.first - EPOCH).days * DAY_SECONDS
    # Non-negative inside the window, so integer division is the floor on both databases.
    return (seconds_since_epoch(column) + offset - literal(base)) // literal(DAY_SECONDS)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    delta = moment.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _offsets(span: Window) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offset (seconds) over the window: [(until, offset)…], the last until None."""
    pieces: list[tuple[datetime | None, int]] = []
    moments = [span.start + timedelta(days=n) for n in range(span.days)] + [span.end]
    current = _offset(span.zone, moments[0])
    for low, high in zip(moments, moments[1:], strict=False):
        if _offset(span.zone, high) == current:
            continue
        while high - low > timedelta(seconds=1):  # the second the offset changes
            middle = low + (high - low) / 2
            low, high = (middle, high) if _offset(span.zone, middle) == current else (low, middle)
        pieces.append((high, current))
        current = _offset(span.zone, high)
    pieces.append((None, current))
    return pieces
