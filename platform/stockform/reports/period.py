"""Report periods: whole days in the business time zone, and the SQL that tells which day of a
period a movement falls on.

Timestamps are stored in UTC; a day is a calendar day in the template's time zone. A period's
days are numbered 0 to days - 1; `day_index` computes a movement's number in SQL from its
epoch seconds and the zone's UTC offset, which changes at most at the few daylight-saving
transitions inside the period (found here, once, and written into the SQL as a CASE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, case, cast, extract, func, literal
from sqlalchemy.sql.elements import ColumnElement

from .errors import ReportError

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years of days: a daily series stays a few thousand points
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)
EPOCH = date(1970, 1, 1)
DAY_SECONDS = 86400


@dataclass(frozen=True)
class Period:
    """The days first to last, both included, in zone."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first moment of the period, in UTC."""
        return midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The first moment after the period, in UTC."""
        return midnight(self.last + timedelta(days=1), self.zone)

    def day(self, index: int) -> date:
        return self.first + timedelta(days=index)

    def dates(self) -> list[date]:
        return [self.day(n) for n in range(self.days)]


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The moment a local day begins, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()


def make_period(
    zone: ZoneInfo,
    first: date | None = None,
    last: date | None = None,
    *,
    now: datetime | None = None,
) -> Period:
    """A period from optional bounds: by default the 30 days up to and including today.

    Only `first`: from then to today. Only `last`: the 30 days up to it. Raises ReportError
    for a period that ends before it starts or is longer than MAX_DAYS.
    """
    for name, value in (("from", first), ("to", last)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ReportError(name, f"must be from {EARLIEST} to {LATEST}, not {value}")
    if last is None:
        last = today(zone, now) if first is None else max(first, today(zone, now))
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ReportError("from", f"{first} is after the end of the period ({last})")
    found = Period(first, last, zone)
    if found.days > MAX_DAYS:
        raise ReportError("to", f"a period has at most {MAX_DAYS} days, not {found.days}")
    return found


def as_of(zone: ZoneInfo, day: date | None = None, *, now: datetime | None = None) -> Period:
    """The single day a stock-on-a-date report looks at (default: today)."""
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ReportError("date", f"must be from {EARLIEST} to {LATEST}, not {day}")
    found = day or today(zone, now)
    return Period(found, found, zone)


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    delta = moment.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def offsets(period: Period) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offset (seconds) over the period: [(until, offset)…], the last until None."""
    pieces: list[tuple[datetime | None, int]] = []
    moments = [period.start + timedelta(days=n) for n in range(period.days + 1)]
    moments[-1] = period.end
    current = _offset(period.zone, moments[0])
    for low, high in zip(moments, moments[1:], strict=False):
        if _offset(period.zone, high) == current:
            continue
        # A transition between low and high: find its second by halving.
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if _offset(period.zone, middle) == current:
                low = middle
            else:
                high = middle
        pieces.append((high, current))
        current = _offset(period.zone, high)
    pieces.append((None, current))
    return pieces


def epoch_seconds(column: Any, dialect: str) -> ColumnElement[int]:
    """Whole seconds since 1970 of a stored UTC timestamp, in SQL."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", column)), BigInteger)
    return cast(func.strftime("%s", column), Integer)


def day_index(column: Any, period: Period, dialect: str) -> ColumnElement[int]:
    """The number (0 = first) of the local day a timestamp inside the period falls on."""
    pieces = offsets(period)
    offset: ColumnElement[int]
    if len(pieces) == 1:
        offset = literal(pieces[0][1])
    else:
        whens = [(column < until, literal(seconds)) for until, seconds in pieces[:-1]]
        offset = case(*whens, else_=literal(pieces[-1][1]))
    base = (period.first - EPOCH).days * DAY_SECONDS
    # Non-negative inside the period, so integer division is the floor on both databases.
    return (epoch_seconds(column, dialect) + offset - literal(base)) // literal(DAY_SECONDS)
