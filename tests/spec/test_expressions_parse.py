"""parse(): the whitelist, exact literals, references, and where errors point."""

from __future__ import annotations

import ast
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockform.spec.expressions import FUNCTIONS, Expression, ExpressionError, check, parse
from stockform.spec.types import NUMBER, TEXT, ListOf, Record, Type

FORBIDDEN = [
    # (source, message, offset)
    ("__import__('os')", "'__import__' is not allowed: names cannot start with '_'", 0),
    ("x.__class__", "'__class__' is not allowed: names cannot start with '_'", 2),
    ("sku._secret", "'_secret' is not allowed: names cannot start with '_'", 4),
    ("_x + 1", "'_x' is not allowed: names cannot start with '_'", 0),
    ("x.y()", "'x.y' is not a function", 0),
    ("qty + (1).real", "fields can only be read from names, such as sku.min_stock", 7),
    ("max(a, b).x", "fields can only be read from names, such as sku.min_stock", 0),
    ("lines[0]", "indexing with [ ] is not allowed", 0),
    ("1 + (lambda: 1)", "'lambda' is not allowed", 5),
    ("[x for x in lines]", "comprehensions are not allowed", 0),
    ("sum(x for x in lines)", "generator expressions are not allowed", 3),
    ("{k: 1 for k in a}", "comprehensions are not allowed", 0),
    ("f'{qty}'", "f-strings are not allowed", 0),
    ("qty ** 2", "'**' is not allowed", 4),
    ("qty // 2", "'//' is not allowed", 4),
    ("qty % 2", "'%' is not allowed", 4),
    ("a & b", "'&' is not allowed", 2),
    ("a | b", "'|' is not allowed", 2),
    ("a ^ b", "'^' is not allowed", 2),
    ("a << 2", "'<<' is not allowed", 2),
    ("~a", "'~' is not allowed", 0),
    ("(x := 1)", "':=' is not allowed", 1),
    ("round(x, places=2)", "keyword arguments are not allowed", 9),
    ("max(*xs)", "'*' unpacking is not allowed", 4),
    ("{'a': 1}", "dictionaries are not allowed", 0),
    ("{1, 2}", "sets are not allowed", 0),
    ("x in {1, 2}", "sets are not allowed", 5),
    ("[1, 2]", "lists are only allowed after 'in'", 0),
    ("a, b", "lists are only allowed after 'in'", 0),
    ("x in lines", "'in' needs a list of values written out", 2),
    ("x in (1, y)", "the values in an 'in' list must be written out", 9),
    ("x in (1, null)", "null cannot be in an 'in' list", 9),
    ("x in ()", "'in' needs at least one value", 5),
    ("x is None", "'is' is not allowed", 2),
    ("x is not null", "'is not' is not allowed", 2),
    ("1j", "imaginary numbers are not allowed", 0),
    ("b'x'", "bytes literals are not allowed", 0),
    ("...", "'...' is not allowed", 0),
    ("await x", "'await' is not allowed", 0),
    ("true.x", "'true' has no fields", 0),
    ("true(1)", "'true' is not a function", 0),
    ("10 ** 30", "'**' is not allowed", 3),
    ("1e30", "the number 1e30 is too large", 0),
    ("0.0000000000000000001", "the number 0.0000000000000000001 has too many decimal places", 0),
    ("import os", "'import' statements are not allowed", 0),
    ("from os import path", "'from' statements are not allowed", 0),
    ("x = 1", "'=' is not allowed", 2),
    ("qty +", "the expression ends too early", 5),
    ("max(a,", "'(' was never closed", 3),
    ("'abc", "unterminated string literal", 0),
    ("a b", "invalid syntax at 'b'", 2),
    ("", "the expression is empty", 0),
    ("   ", "the expression is empty", 0),
    ("a\x00", "the expression contains a null character", 1),
    ("  qty ** 2", "'**' is not allowed", 6),
    ("'é' + x ** 2", "'**' is not allowed", 8),
    ("(a +\n b ** 2)", "'**' is not allowed", 8),
    ("(" * 300 + "1" + ")" * 300, "too many nested parentheses", 200),
    ("-" * 1000 + "1", "the expression is nested too deeply", 61),
    ("+".join(["1"] * 100), "the expression is nested too deeply", 0),
]


@pytest.mark.parametrize(("source", "message", "offset"), FORBIDDEN)
def test_forbidden_constructs_are_rejected_where_they_are(
    source: str, message: str, offset: int
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert caught.value.message == message
    assert caught.value.offset == offset


@pytest.mark.parametrize(
    ("source", "message", "hint"),
    [
        ("mx(1, 2)", "unknown function 'mx'", "did you mean 'max'?"),
        ("open('x')", "unknown function 'open'", None),
        ("eval('1')", "unknown function 'eval'", None),
        ("x = 1", "'=' is not allowed", "use '==' to compare"),
        ("qty // 2", "'//' is not allowed", "use floor(a / b)"),
    ],
)
def test_messages_carry_hints(source: str, message: str, hint: str | None) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source, FUNCTIONS)
    assert (caught.value.message, caught.value.hint) == (message, hint)
    assert str(caught.value) == (f"{message} ({hint})" if hint else message)


def test_without_a_registry_unknown_functions_wait_for_check() -> None:
    expr = parse("days_since_last_out(sku)")
    with pytest.raises(ExpressionError) as caught:
        check(expr, {"sku": TEXT})
    assert caught.value.message == "unknown function 'days_since_last_out'"


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("0.1", Decimal("0.1")),
        ("1_000.25", Decimal("1000.25")),
        ("1e3", Decimal("1E+3")),
        ("0x10", Decimal(16)),
        ("123456789012345678", Decimal("123456789012345678")),
        ("0.30000000000000004", Decimal("0.30000000000000004")),
    ],
)
def test_number_literals_are_exact_decimals(source: str, value: Decimal) -> None:
    tree = parse(source).tree
    assert isinstance(tree, ast.Constant)
    assert tree.value == value and isinstance(tree.value, Decimal)


@pytest.mark.parametrize(
    ("name", "value"),
    [("true", True), ("false", False), ("null", None), ("True", True), ("None", None)],
)
def test_literal_names_are_constants_not_references(name: str, value: object) -> None:
    expr = parse(name)
    assert isinstance(expr.tree, ast.Constant) and expr.tree.value is value
    assert expr.references == frozenset()


@pytest.mark.parametrize(
    ("source", "references"),
    [
        ("qty * price", {("qty",), ("price",)}),
        ("max(available - sku.safety_stock, 0)", {("available",), ("sku", "safety_stock")}),
        ("sum(lines.amount)", {("lines", "amount")}),
        ("line.sku.min_stock > 0 and true", {("line", "sku", "min_stock")}),
        ("channel in ('store', 'web')", {("channel",)}),
        ("count(lines) if x else null", {("lines",), ("x",)}),
    ],
)
def test_references_list_every_name_path(source: str, references: set[tuple[str, ...]]) -> None:
    assert parse(source).references == references


def test_expressions_are_values_compared_by_source() -> None:
    assert parse("qty * 2") == parse("qty * 2")
    assert hash(parse("qty * 2")) == hash(parse("qty * 2"))
    assert parse("qty * 2") != parse("qty*2")
    assert parse("max(a, b)").calls == {"max"}
    with pytest.raises(AttributeError):
        parse("a").source = "b"  # type: ignore[misc]


def test_multi_line_sources_parse_inside_parentheses() -> None:
    expr = parse("(qty\n * price)")
    assert expr.references == {("qty",), ("price",)}


SCOPE: dict[str, Type] = {"qty": NUMBER, "lines": ListOf(Record("line", (("amount", NUMBER),)))}


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
    | st.text(
        alphabet="qty lines.amount()+-*/<=>!,0123456789'\"_ andornotifelse[]{}:#\n\\", max_size=40
    )
)
def test_parse_never_raises_anything_but_expression_error(source: str) -> None:
    try:
        expr = parse(source)
    except ExpressionError as exc:
        assert 0 <= exc.offset <= len(source)
        return
    assert isinstance(expr, Expression)
    try:
        check(expr, SCOPE)
    except ExpressionError as exc:
        assert 0 <= exc.offset <= len(source)
