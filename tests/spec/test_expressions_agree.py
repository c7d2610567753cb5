"""Property: for any well-typed numeric expression, Python and SQLite give the same number.

The generator tracks, for every part, the scale the SQL compiler will give it and a bound on
the largest stored integer it can produce, and only keeps expressions that stay inside 64
bits: past that SQLite silently switches to floating point, which is an overflow, not a bug
in the compiler.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stockform.spec.expressions import (
    SqlTerm,
    check,
    compile_python,
    compile_sql,
    from_scaled,
    parse,
)
from stockform.spec.types import NUMBER

SCALES = {"a": 1000, "b": 1000, "p": 10000}
LIMIT = 2**62
DIVISION = 10**6
STORED = 20_000  # stored integers are drawn from -STORED..STORED


@dataclass(frozen=True)
class Part:
    """A generated piece of source with the SQL scale and stored-integer bound it will have."""

    source: str
    scale: int
    bound: int
    null: bool = False


def _common(parts: list[Part]) -> tuple[int, int]:
    """Mirror of unify(): the common scale, and the bound of every part rescaled to it."""
    scales = [p.scale for p in parts if not p.null]
    scale = math.lcm(*scales) if scales else 1
    return scale, max(p.bound * (scale // p.scale) for p in parts)


def _arith(op: str, a: Part, b: Part) -> Part:
    source = f"({a.source} {op} {b.source})"
    if a.null or b.null:
        # Mirror of compile_sql: NULL, typed and scaled like the other side.
        return Part(source, b.scale if a.null else a.scale, 0, null=True)
    if op == "*":
        return Part(source, a.scale * b.scale, a.bound * b.bound)
    if op == "/":
        numerator = DIVISION * b.scale
        factor = numerator // math.gcd(numerator, a.scale)
        return Part(source, DIVISION, max(a.bound * factor, b.bound * a.scale))
    scale, bound = _common([a, b])
    return Part(source, scale, 2 * bound)


def _call(name: str, args: list[Part]) -> Part:
    scale, bound = _common(args)
    return Part(
        f"{name}({', '.join(a.source for a in args)})", scale, bound, null=all(a.null for a in args)
    )


def _round(x: Part, places: int) -> Part:
    source = f"round({x.source}, {places})"
    if x.null or (places >= 0 and 10**places >= x.scale):
        return Part(source, x.scale, x.bound, x.null)
    return Part(source, 10 ** max(places, 0), x.bound + x.scale * 10 ** max(-places, 0))


def _floor(name: str, x: Part) -> Part:
    return Part(f"{name}({x.source})", 1 if not x.null else x.scale, x.bound + 1, x.null)


def _unary(template: str, x: Part) -> Part:
    return Part(template.format(x.source), x.scale, x.bound, x.null)


names = st.sampled_from(sorted(SCALES)).map(lambda n: Part(n, SCALES[n], STORED))
literals: st.SearchStrategy[Part] = st.builds(
    lambda n, k: Part(f"({Decimal(n).scaleb(-k)})", 10**k, abs(n)),
    st.integers(-300, 300),
    st.integers(0, 3),
)
nulls = st.just(Part("null", 1, 0, null=True))
leaves: st.SearchStrategy[Part] = st.one_of(names, names, names, literals, literals, nulls)


@st.composite
def conditions(draw: st.DrawFn, depth: int) -> Part:
    """A true/false expression over numbers: comparisons, null tests, and/or/not."""
    kind = draw(st.sampled_from(["compare", "compare", "null", "and", "or", "not"]))
    if kind in ("and", "or") and depth > 0:
        x, y = draw(conditions(depth - 1)), draw(conditions(depth - 1))
        return Part(f"({x.source} {kind} {y.source})", 1, max(x.bound, y.bound))
    if kind == "not" and depth > 0:
        x = draw(conditions(depth - 1))
        return Part(f"(not {x.source})", 1, x.bound)
    a = draw(numbers(depth))
    if kind == "null":
        op = draw(st.sampled_from(["==", "!="]))
        return Part(f"({a.source} {op} null)", 1, a.bound)
    b = draw(numbers(depth))
    op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
    return Part(f"({a.source} {op} {b.source})", 1, _common([a, b])[1])


@st.composite
def numbers(draw: st.DrawFn, depth: int = 3) -> Part:
    """A well-typed numeric expression over a, b, p, literals and null, at most depth deep."""
    kind = draw(
        st.sampled_from(["leaf", "leaf", "arith", "arith", "unary", "call", "round", "floor", "if"])
    )
    if depth == 0 or kind == "leaf":
        return draw(leaves)
    sub = numbers(depth - 1)
    if kind == "arith":
        return _arith(draw(st.sampled_from(["+", "-", "*", "/"])), draw(sub), draw(sub))
    if kind == "unary":
        return _unary(draw(st.sampled_from(["(-{})", "abs({})"])), draw(sub))
    if kind == "call":
        name = draw(st.sampled_from(["min", "max", "coalesce"]))
        return _call(name, draw(st.lists(sub, min_size=2, max_size=3)))
    if kind == "round":
        return _round(draw(sub), draw(st.integers(-1, 3)))
    if kind == "floor":
        return _floor(draw(st.sampled_from(["floor", "ceil"])), draw(sub))
    return _conditional(draw(conditions(depth - 1)), draw(sub), draw(sub))


def _conditional(cond: Part, a: Part, b: Part) -> Part:
    scale, bound = _common([a, b])
    return Part(
        f"({a.source} if {cond.source} else {b.source})",
        scale,
        max(bound, cond.bound),
        a.null and b.null,
    )


def stored_values(scale: int) -> st.SearchStrategy[int | None]:
    """Stored integers, with extra weight on whole numbers and halves (rounding edges)."""
    whole = st.integers(-STORED // scale, STORED // scale - 1)
    return st.one_of(
        st.none(),
        st.just(0),
        st.integers(-STORED, STORED),
        whole.map(lambda k: k * scale),
        whole.map(lambda k: k * scale + scale // 2),
    )


@pytest.fixture(scope="module")
def sqlite() -> Iterator[tuple[sa.Connection, sa.Table]]:
    engine = sa.create_engine("sqlite://")
    table = sa.Table("v", sa.MetaData(), *(sa.Column(n, sa.BigInteger) for n in SCALES))
    with engine.connect() as conn:
        table.create(conn)
        yield conn, table
    engine.dispose()


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(part=numbers(), row=st.fixed_dictionaries({n: stored_values(s) for n, s in SCALES.items()}))
def test_python_and_sql_agree(
    sqlite: tuple[sa.Connection, sa.Table], part: Part, row: dict[str, int | None]
) -> None:
    assume(part.bound < LIMIT)
    conn, table = sqlite
    expr = parse(part.source)
    assert check(expr, {n: NUMBER for n in SCALES}) in (NUMBER, check(parse("null"), {}))
    env: dict[str, Any] = {n: None if v is None else Decimal(v) / SCALES[n] for n, v in row.items()}
    expected = compile_python(expr)(env)

    term = compile_sql(expr, lambda path: SqlTerm(table.c[path[0]], SCALES[path[0]]))
    conn.execute(table.delete())
    conn.execute(table.insert(), [row])
    raw = conn.execute(sa.select(term.expr)).scalar_one()
    assert not isinstance(raw, float), f"{part.source} gave a float: {raw!r}"
    assert from_scaled(raw, term.scale) == expected, (part.source, term.scale, raw)
