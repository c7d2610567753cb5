"""compile_python(): exact Decimal arithmetic, SQL-like nulls, records, dates, functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from stockform.spec.expressions import ExpressionError, compile_python, parse

D = Decimal


@dataclass
class Sku:
    code: str
    min_stock: Decimal


ENV: dict[str, Any] = {
    "available": D("12.5"),
    "locked": 3,  # ints are accepted and read as Decimal
    "qty": D("2"),
    "price": D("19.99"),
    "zero": D(0),
    "nothing": None,
    "channel": "store",
    "approved": True,
    "rejected": False,
    "due": date(2024, 2, 27),
    "shipped_at": datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
    "sku": {"code": "A-1", "min_stock": D(5), "safety_stock": D("1.5")},
    "obj": Sku("B-2", D(7)),
    "user": {"$value": "ann", "name": "Ann"},
    "lines": [
        {"qty": 2, "amount": D("10.50"), "sku": {"code": "A-1"}},
        {"qty": D("0.5"), "amount": None, "sku": {"code": "B-2"}},
    ],
    "$today": date(2024, 3, 1),
    "$now": datetime(2024, 3, 1, 18, 0, tzinfo=UTC),
}

CASES: list[tuple[str, Any]] = [
    # arithmetic is exact
    ("0.1 + 0.2", D("0.3")),
    ("available + locked", D("15.5")),
    ("qty * price", D("39.98")),
    ("max(available - sku.safety_stock, 0)", D(11)),
    ("max(locked - 10, 0)", D(0)),
    ("-available + +qty", D("-10.5")),
    # division: 6 places, truncated toward zero, like the database
    ("10 / 4", D("2.5")),
    ("1 / 3", D("0.333333")),
    ("2 / 3", D("0.666666")),
    ("-2 / 3", D("-0.666666")),
    ("1 / 3 * 3", D("0.999999")),
    ("qty / zero", None),
    # nulls propagate through arithmetic and comparisons...
    ("nothing + 1", None),
    ("1 - nothing * 2", None),
    ("nothing > 1", None),
    ("-nothing", None),
    ("not nothing", None),
    ("missing_name + 1", None),
    # ...but `== null` tests for null, and and/or read null as false
    ("nothing == null", True),
    ("nothing != null", False),
    ("qty == null", False),
    ("null == null", True),
    ("nothing == qty", None),
    ("nothing and true", False),
    ("nothing or true", True),
    ("nothing or nothing", False),
    ("not (nothing and true)", True),
    ("nothing in (1, 2)", None),
    # comparisons and chains
    ("0 < qty < 10", True),
    ("0 < qty < 1", False),
    ("0 < nothing < 1", None),
    ("nothing < 1 < 0", False),
    ("qty == 2.000", True),
    ("channel == 'store' and available > 10", True),
    ("channel in ('store', 'web')", True),
    ("channel not in ('store', 'web')", False),
    ("qty in (1, 2)", True),
    ("approved != rejected", True),
    # records compare as their value: a mapping's code, or '$value', or an object's code
    ("sku == 'A-1'", True),
    ("obj == 'B-2'", True),
    ("obj.min_stock + 1", D(8)),
    ("user == 'ann'", True),
    ("user.name", "Ann"),
    ("sku + '/x'", "A-1/x"),
    # lists
    ("sum(lines.amount)", D("10.50")),
    ("count(lines)", D(2)),
    ("lines.qty", [D(2), D("0.5")]),
    ("lines.sku.code", ["A-1", "B-2"]),
    ("max(lines.qty)", D(2)),
    ("min(lines.amount)", None),
    ("sum(nothing)", D(0)),
    ("count(nothing)", D(0)),
    # conditionals
    ("qty if approved else null", D(2)),
    ("qty if nothing else 0", D(0)),
    ("'yes' if rejected else 'no'", "no"),
    # functions
    ("min(3, qty, 5)", D(2)),
    ("max(1, nothing)", None),
    ("abs(-2.5)", D("2.5")),
    ("round(2.5)", D(3)),
    ("round(-2.5)", D(-3)),
    ("round(2.45, 1)", D("2.5")),
    ("round(1 / 3, 2)", D("0.33")),
    ("round(1250, -2)", D(1300)),
    ("round(2.5, 3)", D("2.5")),
    ("round(nothing)", None),
    ("floor(-2.5)", D(-3)),
    ("ceil(-2.5)", D(-2)),
    ("floor(2.5)", D(2)),
    ("ceil(2.1)", D(3)),
    ("coalesce(nothing, qty, 1)", D(2)),
    ("coalesce(nothing, null)", None),
    # dates: whole days on dates, fractions on datetimes
    ("due + 3", date(2024, 3, 1)),
    ("due + 2.9", date(2024, 2, 29)),
    ("due - 1", date(2024, 2, 26)),
    ("today() - due", D(3)),
    ("days_between(due, today())", D(3)),
    ("due < today()", True),
    ("today()", date(2024, 3, 1)),
    ("now() - shipped_at", D("0.25")),
    ("shipped_at + 0.5", datetime(2024, 3, 2, 0, 0, tzinfo=UTC)),
    ("days_between(nothing, today())", None),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_evaluation(source: str, expected: Any) -> None:
    result = compile_python(parse(source))(ENV)
    assert result == expected
    assert type(result) is type(expected)


def test_results_are_decimal_even_from_int_input() -> None:
    result = compile_python(parse("locked + 0"))(ENV)
    assert isinstance(result, Decimal)


@pytest.mark.parametrize("env", [{"x": 1.5}, {"x": {"y": 0.1}}, {"x": [1.0]}])
def test_floats_are_refused(env: dict[str, Any]) -> None:
    source = "x.y + 1" if isinstance(env["x"], dict) else "x + 1"
    if isinstance(env["x"], list):
        source = "sum(x)"
    with pytest.raises(TypeError, match="float"):
        compile_python(parse(source))(env)


def test_today_and_now_fall_back_to_the_clock() -> None:
    assert compile_python(parse("today()"))({}) == date.today()
    now = compile_python(parse("now()"))({})
    assert isinstance(now, datetime) and now.tzinfo is UTC


def test_compiled_function_is_reused_across_envs() -> None:
    run = compile_python(parse("qty * 2 if qty > 1 else 0"))
    assert [run({"qty": q}) for q in (0, 1, 2, 3)] == [0, 0, 4, 6]


def test_compiling_an_unknown_function_fails_cleanly() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_python(parse("qty + open('x')"))
    assert (caught.value.message, caught.value.offset) == ("unknown function 'open'", 6)


def test_the_callers_decimal_context_does_not_matter() -> None:
    import decimal

    with decimal.localcontext(decimal.Context(prec=3)):
        assert compile_python(parse("123456.789 * 1000 + 0.001"))({}) == D("123456789.001")
