"""Local days of the ledger: movements carry UTC timestamps, while reports and replenishment
count calendar days in the business time zone.

A `Period` is a run of whole local days; `day_index` numbers, in SQL, the day of the period a
timestamp falls on, from its epoch seconds and the zone's UTC offset, which changes at most at
the few daylight-saving transitions inside the period (found here, once, and written into the
SQL as a CASE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, literal
from sqlalchemy.sql.elements import ColumnElement

from ..spec.expressions.sqldates import seconds_since_epoch

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


def day_index(column: Any, period: Period) -> ColumnElement[int]:
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
    return (seconds_since_epoch(column) + offset - literal(base)) // literal(DAY_SECONDS)
