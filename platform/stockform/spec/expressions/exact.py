"""Exact number rules shared by the Python and SQL sides: Decimal only, never float."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

# Wide enough that sums and products of stored quantities and prices are exact; one shared
# context so results never depend on whatever decimal context the calling thread set.
CONTEXT = Context(prec=100, traps=[InvalidOperation, DivisionByZero, Overflow])
DIVISION_PLACES = 6
DIVISION_SCALE = 10**DIVISION_PLACES
_DAY = Decimal(86_400_000_000)  # microseconds


def to_decimal(value: Any) -> Any:
    """Values as expressions see them: ints become Decimal; floats are refused."""
    if value is None or isinstance(value, bool | str | date):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"expressions need finite numbers, got {value}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise TypeError(f"expressions take Decimal, not float ({value!r}): floats are inexact")
    if isinstance(value, list | tuple):
        return [to_decimal(item) for item in value]
    return value  # a record: a mapping or an object with fields


def divide(a: Decimal, b: Decimal) -> Decimal | None:
    """a / b truncated toward zero to 6 decimal places, exactly as the SQL side computes it."""
    if b == 0:
        return None
    quotient = CONTEXT.divide_int(CONTEXT.multiply(a, DIVISION_SCALE), b)
    return quotient.scaleb(-DIVISION_PLACES, CONTEXT)


def round_half_up(value: Decimal, places: int = 0) -> Decimal:
    """value rounded to places decimals, halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent <= places:
        return value  # already that exact; quantize could exceed the precision
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=CONTEXT)


def add_days(day: date, days: Decimal) -> date:
    """A date moved by a number of days; a date moves by whole days (truncated toward zero)."""
    if isinstance(day, datetime):
        return day + timedelta(microseconds=int(CONTEXT.multiply(days, _DAY)))
    return day + timedelta(days=int(days))


def days_between(start: date, end: date) -> Decimal | None:
    """end - start in days; between datetimes, fractions to 6 places, truncated."""
    delta = end - start
    if isinstance(start, datetime):
        return divide(Decimal(delta // timedelta(microseconds=1)), _DAY)
    return Decimal(delta.days)
