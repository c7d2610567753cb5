"""check(): names resolved against a scope, types worked out, mistakes located; the registry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stockform.spec.expressions import FUNCTIONS, ExpressionError, FunctionRegistry, check, parse
from stockform.spec.types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    ListOf,
    Record,
    Type,
    describe,
)

SKU = Record("sku", (("code", TEXT), ("min_stock", NUMBER), ("safety_stock", NUMBER)), TEXT)
WAREHOUSE = Record("warehouse", (("code", TEXT), ("name", TEXT)), TEXT)
LINE = Record("line", (("sku", SKU), ("qty", NUMBER), ("amount", NUMBER)))
SCOPE: dict[str, Type] = {
    "available": NUMBER,
    "sellable": NUMBER,
    "qty": NUMBER,
    "total": NUMBER,
    "channel": TEXT,
    "approved": BOOL,
    "due": DATE,
    "shipped_at": DATETIME,
    "sku": SKU,
    "warehouse": WAREHOUSE,
    "line": LINE,
    "lines": ListOf(LINE),
    "tags": ListOf(TEXT),
    "extra": ANY,
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("qty * 2", NUMBER),
        ("max(available - sku.safety_stock, 0)", NUMBER),
        ("sellable >= qty", BOOL),
        ("sellable < sku.min_stock", BOOL),
        ("total > 10000 and channel == 'store'", BOOL),
        ("sku == 'A-1'", BOOL),
        ("warehouse != 'SH'", BOOL),
        ("line.sku == sku", BOOL),
        ("sum(lines.amount)", NUMBER),
        ("lines.amount", ListOf(NUMBER)),
        ("lines.sku.min_stock", ListOf(NUMBER)),
        ("count(lines) > 0", BOOL),
        ("count(tags)", NUMBER),
        ("max(lines.qty)", NUMBER),
        ("0 < qty < 10", BOOL),
        ("channel in ('store', 'web')", BOOL),
        ("qty not in (1, -2.5)", BOOL),
        ("sku in ('A-1', 'B-2')", BOOL),
        ("qty if approved else null", NUMBER),
        ("null if approved else 'x'", TEXT),
        ("sku if approved else 'x'", TEXT),
        ("line.sku if approved else sku", SKU),
        ("channel + '-' + sku", TEXT),
        ("due + 3", DATE),
        ("3 + due", DATE),
        ("due - 3", DATE),
        ("due - today()", NUMBER),
        ("shipped_at - now()", NUMBER),
        ("shipped_at + 0.5", DATETIME),
        ("days_between(due, today())", NUMBER),
        ("due < today()", BOOL),
        ("qty == null", BOOL),
        ("channel != null", BOOL),
        ("not approved or not (qty > 1)", BOOL),
        ("round(qty / 3, 2)", NUMBER),
        ("coalesce(qty, 0)", NUMBER),
        ("coalesce(sku, 'none')", TEXT),
        ("floor(qty) + ceil(qty) + abs(-qty)", NUMBER),
        ("extra * 2", NUMBER),
        ("extra + 1", ANY),
        ("extra.anything", ANY),
        ("extra and approved", BOOL),
        ("extra > 1", BOOL),
        ("null", ANY),
        ("-qty", NUMBER),
    ],
)
def test_types(source: str, expected: Type) -> None:
    assert check(parse(source), SCOPE) == expected


ERRORS = [
    # (source, message, hint, offset)
    ("selable >= qty", "unknown name 'selable'", "did you mean 'sellable'?", 0),
    ("qty > xyzzy", "unknown name 'xyzzy'", None, 6),
    ("sku.min_stok > 1", "'sku' has no field 'min_stok'", "did you mean 'min_stock'?", 4),
    (
        "line.sku.safty_stock",
        "'line.sku' has no field 'safty_stock'",
        "did you mean 'safety_stock'?",
        9,
    ),
    ("sum(lines.amout)", "'lines' has no field 'amout'", "did you mean 'amount'?", 10),
    ("qty.value", "'qty' has no field 'value': it is a number value", None, 4),
    ("due.year", "'due' has no field 'year': it is a date value", None, 4),
    ("qty > 'a'", "cannot compare number with text", None, 4),
    ("0 < qty < 'x'", "cannot compare number with text", None, 8),
    ("sku == 1", "cannot compare sku with number", None, 4),
    ("due == shipped_at", "cannot compare date with datetime", None, 4),
    ("line == line", "cannot compare line with line", None, 5),
    ("approved < true", "'<' cannot order true/false values", "use == or !=", 9),
    ("qty in ('a', 'b')", "cannot compare number with text", None, 8),
    ("qty and approved", "'and' needs true/false values, got number", None, 0),
    ("approved or channel", "'or' needs true/false values, got text", None, 12),
    ("not qty", "'not' needs a true/false value, got number", None, 4),
    ("-channel", "'-' needs a number, got text", None, 0),
    (
        "qty if channel else 1",
        "the condition after 'if' needs a true/false value, got text",
        None,
        7,
    ),
    (
        "qty if approved else 'x'",
        "the two branches give number and text; they must give the same kind",
        None,
        0,
    ),
    ("qty + channel", "cannot add number and text", None, 4),
    ("channel - 'x'", "cannot subtract text from text", None, 8),
    ("channel * 2", "cannot multiply text by number", None, 8),
    ("due / 2", "cannot divide date by number", None, 4),
    ("due + due", "cannot add date and date", None, 4),
    ("approved + 1", "cannot add true/false and number", None, 9),
    ("lines + 1", "cannot add list of line and number", None, 6),
    ("mx(qty, 1)", "unknown function 'mx'", "did you mean 'max'?", 0),
    ("max(qty)", "max() needs two or more numbers, or one list of numbers; got number", None, 0),
    (
        "max(qty, channel)",
        "max() needs two or more numbers, or one list of numbers; got number, text",
        None,
        0,
    ),
    (
        "min(lines)",
        "min() needs two or more numbers, or one list of numbers; got list of line",
        None,
        0,
    ),
    ("sum(qty)", "sum() needs a list of numbers, such as lines.amount; got number", None, 0),
    ("count()", "count() needs a list, such as lines; got nothing", None, 0),
    ("abs(channel)", "abs() needs numbers, got text", None, 0),
    ("round(qty, 1, 2)", "round() takes 1 to 2 number(s), got 3", None, 0),
    ("coalesce(qty, 'x')", "coalesce() needs values of one kind, got number, text", None, 0),
    ("today(1)", "this function takes no arguments, got 1", None, 0),
    (
        "days_between(due, shipped_at)",
        "days_between() needs two dates (or two datetimes), got date, datetime",
        None,
        0,
    ),
    ("qty > 1 and 1 + (channel * 2) > 0", "cannot multiply text by number", None, 25),
]


@pytest.mark.parametrize(("source", "message", "hint", "offset"), ERRORS)
def test_errors_name_the_problem_and_point_at_it(
    source: str, message: str, hint: str | None, offset: int
) -> None:
    with pytest.raises(ExpressionError) as caught:
        check(parse(source), SCOPE)
    assert (caught.value.message, caught.value.hint) == (message, hint)
    assert caught.value.offset == offset


def test_offsets_count_characters_not_bytes() -> None:
    source = "'数量' + selable"
    with pytest.raises(ExpressionError) as caught:
        check(parse(source), SCOPE)
    assert source[caught.value.offset :].startswith("selable")


@pytest.mark.parametrize(
    ("t", "text"),
    [
        (NUMBER, "number"),
        (BOOL, "true/false"),
        (SKU, "sku"),
        (ListOf(NUMBER), "list of number"),
        (ListOf(LINE), "list of line"),
        (ANY, "any value"),
    ],
)
def test_describe(t: Type, text: str) -> None:
    assert describe(t) == text


def test_types_are_hashable_values() -> None:
    again = Record("sku", (("code", TEXT), ("min_stock", NUMBER), ("safety_stock", NUMBER)), TEXT)
    assert again == SKU and hash(again) == hash(SKU)
    assert SKU.field("min_stock") == NUMBER and SKU.field("nope") is None
    assert SKU.field_names == ("code", "min_stock", "safety_stock")


def test_every_builtin_has_a_one_line_doc() -> None:
    assert FUNCTIONS.names() == sorted(
        [
            "min",
            "max",
            "abs",
            "round",
            "sum",
            "count",
            "coalesce",
            "today",
            "now",
            "days_between",
            "floor",
            "ceil",
        ]
    )
    for function in FUNCTIONS:
        assert function.doc and "\n" not in function.doc, function.name


def test_a_copy_is_extended_without_touching_the_original() -> None:
    rules = FUNCTIONS.copy()

    def days_check(args: list[Type]) -> Type:
        if args != [SKU]:
            raise ValueError("days_since_last_out() needs a sku")
        return NUMBER

    rules.register(
        "days_since_last_out",
        check=days_check,
        python=lambda sku: Decimal(3),
        doc="Days since the SKU last left the warehouse.",
    )
    expr = parse("days_since_last_out(sku) > 30")
    assert check(expr, SCOPE, rules) == BOOL
    assert "days_since_last_out" in rules and "days_since_last_out" not in FUNCTIONS
    with pytest.raises(ExpressionError) as caught:
        check(expr, SCOPE)
    assert caught.value.message == "unknown function 'days_since_last_out'"
    with pytest.raises(ExpressionError) as bad_args:
        check(parse("days_since_last_out(qty)"), SCOPE, rules)
    assert bad_args.value.message == "days_since_last_out() needs a sku"


@pytest.mark.parametrize("name", ["max", "_private", "not", "true", "a-b"])
def test_register_refuses_taken_or_impossible_names(name: str) -> None:
    registry = FUNCTIONS.copy()
    with pytest.raises(ValueError, match="already registered|cannot be a function name"):
        registry.register(name, check=lambda args: NUMBER, python=lambda: 1, doc="x")


def test_an_empty_registry_knows_nothing() -> None:
    assert FunctionRegistry().names() == []
