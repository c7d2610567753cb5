"""Date arithmetic in SQL, one construct per operation compiled for each database.

SQLite keeps dates and timestamps as ISO text (`2026-01-31`, `2026-01-31 08:00:00.000000`, UTC)
and computes with julianday()/strftime(); PostgreSQL has real date and timestamp types. Both
forms are exact: a date difference is a whole number of days, a timestamp becomes whole
seconds since 1970 (fractions of a second are dropped, on both sides alike).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class days_diff(FunctionElement[int]):  # noqa: N801 - reads like the SQL function it is
    """end - start in whole days, for two dates."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "days_diff"


class epoch_seconds(FunctionElement[int]):  # noqa: N801
    """A UTC timestamp as whole seconds since 1970-01-01."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(days_diff)
def _days_diff_sqlite(element: days_diff, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    # julianday() of a date is an exact half-integer, so the difference is an exact integer.
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


@compiles(days_diff, "postgresql")
def _days_diff_postgresql(element: days_diff, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"


@compiles(epoch_seconds)
def _epoch_seconds_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(arg, **kw) for arg in element.clauses)
    # strftime rounds to the millisecond before it drops the fraction (09:30:00.9996 would
    # give the next second): cut the text to whole seconds first, as PostgreSQL's floor does.
    return f"CAST(strftime('%s', substr({moment}, 1, 19)) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(floor(extract(epoch FROM {moment})) AS BIGINT)"


def days_between_dates(start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[int]:
    """end - start in whole days."""
    return days_diff(start, end)


def seconds_since_epoch(moment: ColumnElement[Any]) -> ColumnElement[int]:
    """A timestamp column as whole seconds since 1970 (UTC)."""
    return epoch_seconds(moment)
