"""Report periods: whole days in the business time zone, from the reader's bounds (the days
themselves, and the SQL that numbers them, are `stock.days`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..stock.days import Period, day_index, midnight, offsets
from .errors import ReportError

__all__ = ["Period", "as_of", "day_index", "make_period", "midnight", "offsets", "today"]

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years of days: a daily series stays a few thousand points
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)


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
