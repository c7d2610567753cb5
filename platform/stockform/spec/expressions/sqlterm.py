"""SQL values as scaled integers: a column plus the factor its integers are multiplied by."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement

from .exact import CONTEXT

# Our "/" must bind like SQL's own "/" so SQLAlchemy adds parentheses where they are needed.
_DIVISION_PRECEDENCE = operators._PRECEDENCE[operators.truediv]


@dataclass(frozen=True)
class SqlTerm:
    """A SQL expression; for a number, the stored integer is the value times `scale`."""

    expr: ColumnElement[Any]
    scale: int = 1
    # The exact value when this term is a number literal (round() needs its places).
    constant: Decimal | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        """'number', 'text', 'bool', 'date', 'datetime' or 'null', from the SQL type."""
        sql_type = self.expr.type
        if isinstance(sql_type, sa.types.TypeDecorator):
            sql_type = sql_type.impl_instance  # a UTC timestamp is a datetime
        if isinstance(sql_type, sa.String):
            return "text"
        if isinstance(sql_type, sa.Boolean):
            return "bool"
        if isinstance(sql_type, sa.DateTime):
            return "datetime"
        if isinstance(sql_type, sa.Date):
            return "date"
        if isinstance(sql_type, sa.types.NullType):
            return "null"
        return "number"


def from_scaled(value: Any, scale: int) -> Decimal | None:
    """A scaled integer read back from the database as an exact Decimal."""
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError(f"the database returned a float ({value!r}); expected an integer")
    number = Decimal(value)
    if scale == 1:
        return number
    return CONTEXT.divide(number, Decimal(scale))


def integer(value: int) -> ColumnElement[Any]:
    """An integer literal typed BIGINT, so PostgreSQL never does int4 (or numeric) arithmetic."""
    return sa.literal(value, sa.BigInteger())


def number(value: Decimal) -> SqlTerm:
    """A number literal at the smallest power-of-ten scale that holds it exactly."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    scale = 10 ** max(0, -exponent)
    scaled = int(CONTEXT.multiply(value, scale))
    return SqlTerm(integer(scaled), scale, constant=value)


def rescale(term: SqlTerm, scale: int) -> SqlTerm:
    """term at a larger scale (a multiple of its own), by an exact integer multiplication."""
    if term.scale == scale or term.kind != "number":
        return term
    factor, remainder = divmod(scale, term.scale)
    assert remainder == 0, (scale, term.scale)
    if term.constant is not None:
        return SqlTerm(integer(int(CONTEXT.multiply(term.constant, scale))), scale, term.constant)
    return SqlTerm(term.expr * integer(factor), scale)


def unify(*terms: SqlTerm) -> list[SqlTerm]:
    """Numbers brought to one common scale; a NULL literal takes the type of its neighbours.

    PostgreSQL cannot pick an operator or function for an untyped NULL (`-NULL`, `abs(NULL)`),
    so a NULL with no typed neighbour becomes a BIGINT NULL.
    """
    numbers = [t.scale for t in terms if t.kind == "number"]
    scale = math.lcm(*numbers) if numbers else 1
    typed = next((t.expr.type for t in terms if t.kind != "null"), sa.BigInteger())
    result = []
    for term in terms:
        if term.kind == "null":
            term = SqlTerm(sa.cast(sa.null(), typed), scale)
        result.append(rescale(term, scale))
    return result


def boolean(expr: ColumnElement[Any]) -> SqlTerm:
    """A true/false result, typed so drivers without a boolean type still return bools."""
    return SqlTerm(sa.type_coerce(expr.self_group(), sa.Boolean()))


def int_divide(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """Integer a / b: SQLite and PostgreSQL both truncate toward zero on integer operands.

    SQLAlchemy's own `/` is true division (it would cast to NUMERIC or add 0.0), hence the
    explicit operator.
    """
    return a.op("/", precedence=_DIVISION_PRECEDENCE, return_type=sa.BigInteger())(b)


def divide(a: SqlTerm, b: SqlTerm, places_scale: int) -> SqlTerm:
    """a / b at scale places_scale, truncated toward zero; NULL when b is zero.

    (a / sa) / (b / sb) * S == (a * S * sb) / (b * sa); the common factor of S * sb and sa is
    cancelled first so the intermediate product stays well inside 64 bits.
    """
    numerator, denominator = places_scale * b.scale, a.scale
    common = math.gcd(numerator, denominator)
    numerator, denominator = numerator // common, denominator // common
    top = a.expr if numerator == 1 else a.expr * integer(numerator)
    bottom = b.expr if denominator == 1 else b.expr * integer(denominator)
    return SqlTerm(int_divide(top, sa.func.nullif(bottom, 0, type_=sa.BigInteger())), places_scale)


def round_scaled(term: SqlTerm, places: int) -> SqlTerm:
    """term rounded to places decimals, halves away from zero, in exact integer arithmetic."""
    if places >= 0 and 10**places >= term.scale:
        return term  # already exact at that many places
    if str(term.scale).rstrip("0") != "1":
        raise ValueError("round() in the database needs numbers stored at a power-of-ten scale")
    if places >= 0:
        step, target, after = term.scale // 10**places, 10**places, 1
    else:
        step, target, after = term.scale * 10**-places, 1, 10**-places
    half = integer(step // 2)
    # Push halves away from zero, then let integer division truncate toward zero.
    nudged = sa.case((term.expr < 0, term.expr - half), else_=term.expr + half)
    rounded = int_divide(nudged, integer(step))
    return SqlTerm(rounded if after == 1 else rounded * integer(after), target)


def floor_or_ceil(term: SqlTerm, ceil: bool) -> SqlTerm:
    """The integer at or below (or above) term, as a scale-1 integer."""
    if term.scale == 1:
        return term
    scale = integer(term.scale)
    truncated = int_divide(term.expr, scale)
    exact = (term.expr % scale) == 0
    # Truncation already rounds toward the answer on one side of zero.
    keep = sa.or_(term.expr <= 0 if ceil else term.expr >= 0, exact)
    adjusted = truncated + integer(1) if ceil else truncated - integer(1)
    return SqlTerm(sa.case((keep, truncated), else_=adjusted), 1)
