"""Compile an Expression once into a tree of Python closures; nothing is eval'd."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from . import exact
from .functions import FUNCTIONS, FunctionRegistry
from .parser import Expression, ExpressionError

Env = Mapping[str, Any]
Evaluator = Callable[[Env], Any]
_SCALARS = (str, bool, Decimal, date)
_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def compile_python(expr: Expression, functions: FunctionRegistry = FUNCTIONS) -> Evaluator:
    """A function of env (names to values) computing expr with SQL-like null semantics.

    A name missing from env is null. Arithmetic and comparisons with null give null, except
    `x == null` / `x != null`; `and`/`or` treat null as false; `/` by zero gives null.
    """
    return _Compiler(expr, functions).build(expr.tree)


def field_of(value: Any, name: str) -> Any:
    """value.name: a mapping's key or an object's attribute; over a list, every item's."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(name)
    if isinstance(value, list | tuple):
        return [field_of(item, name) for item in value]
    if isinstance(value, _SCALARS):
        raise TypeError(f"a {type(value).__name__} has no field '{name}'")
    return getattr(value, name, None)


def plain_value(value: Any) -> Any:
    """What a record compares as: its '$value' (or 'code') entry; scalars are themselves."""
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, Mapping):
        return exact.to_decimal(value.get("$value", value.get("code")))
    if isinstance(value, list | tuple | frozenset):
        return value
    return exact.to_decimal(getattr(value, "code", value))


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return exact.CONTEXT.add(a, b)
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, date) and isinstance(b, Decimal):
        return exact.add_days(a, b)
    if isinstance(a, Decimal) and isinstance(b, date):
        return exact.add_days(b, a)
    raise TypeError(f"cannot add {type(a).__name__} and {type(b).__name__}")


def _subtract(a: Any, b: Any) -> Any:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return exact.CONTEXT.subtract(a, b)
    if isinstance(a, date) and isinstance(b, Decimal):
        return exact.add_days(a, exact.CONTEXT.minus(b))
    if isinstance(a, date) and isinstance(b, date):
        return exact.days_between(b, a)
    raise TypeError(f"cannot subtract {type(b).__name__} from {type(a).__name__}")


_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: _subtract,
    ast.Mult: exact.CONTEXT.multiply,
    ast.Div: exact.divide,
}


def _null_test(op: type[ast.cmpop]) -> Callable[[Any, Any], bool | None]:
    """`x == null` is a test for null (true/false), not a comparison with an unknown value."""
    if op is ast.Eq:
        return lambda a, b: a is None and b is None
    if op is ast.NotEq:
        return lambda a, b: not (a is None and b is None)
    return lambda a, b: None


def _comparison(op: type[ast.cmpop]) -> Callable[[Any, Any], bool | None]:
    if op in (ast.In, ast.NotIn):
        wanted = op is ast.In
        return lambda a, values: None if a is None else (a in values) == wanted
    compare = _ORDER[op]
    return lambda a, b: None if a is None or b is None else compare(a, b)


class _Compiler:
    def __init__(self, expr: Expression, functions: FunctionRegistry) -> None:
        self.expr = expr
        self.functions = functions

    def build(self, node: ast.expr) -> Evaluator:
        if isinstance(node, ast.Constant):
            return _constant(node.value)
        if isinstance(node, ast.Name):
            name = node.id
            return lambda env: exact.to_decimal(env.get(name))
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.BinOp):
            return self.arithmetic(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BoolOp):
            values = [self.build(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return lambda env: all(v(env) is True for v in values)
            return lambda env: any(v(env) is True for v in values)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            test, body, orelse = (self.build(n) for n in (node.test, node.body, node.orelse))
            return lambda env: body(env) if test(env) is True else orelse(env)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise ExpressionError(f"'{type(node).__name__}' is not allowed", self.expr.offset(node))

    def attribute(self, node: ast.Attribute) -> Evaluator:
        names: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            names.insert(0, base.attr)
            base = base.value
        root = self.build(base)

        def read(env: Env) -> Any:
            value = root(env)
            for name in names:
                value = field_of(value, name)
            return exact.to_decimal(value)

        return read

    def arithmetic(self, node: ast.BinOp) -> Evaluator:
        left, right = self.build(node.left), self.build(node.right)
        apply = _ARITHMETIC[type(node.op)]

        def run(env: Env) -> Any:
            a = plain_value(left(env))
            if a is None:
                return None
            b = plain_value(right(env))
            return None if b is None else apply(a, b)

        return run

    def unary(self, node: ast.UnaryOp) -> Evaluator:
        operand = self.build(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda env: None if (v := operand(env)) is None else not v
        apply = exact.CONTEXT.minus if isinstance(node.op, ast.USub) else exact.CONTEXT.plus
        return lambda env: None if (v := operand(env)) is None else apply(v)

    def compare(self, node: ast.Compare) -> Evaluator:
        first = self.build(node.left)
        steps: list[tuple[Callable[[Any, Any], bool | None], Evaluator]] = []
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(right, ast.List | ast.Tuple):
                values = frozenset(_literal(item) for item in right.elts)
                steps.append((_comparison(type(op)), _constant(values)))
            elif _is_null(left) or _is_null(right):
                steps.append((_null_test(type(op)), self.build(right)))
            else:
                steps.append((_comparison(type(op)), self.build(right)))
            left = right

        def run(env: Env) -> bool | None:
            # A chain is its comparisons joined by SQL's AND: false wins, then unknown.
            result: bool | None = True
            a = plain_value(first(env))
            for test, get in steps:
                b = plain_value(get(env))
                outcome = test(a, b)
                if outcome is False:
                    return False
                if outcome is None:
                    result = None
                a = b
            return result

        return run

    def call(self, node: ast.Call) -> Evaluator:
        assert isinstance(node.func, ast.Name)
        function = self.functions.get(node.func.id)
        if function is None:
            raise ExpressionError(f"unknown function '{node.func.id}'", self.expr.offset(node))
        args = [self.build(a) for a in node.args]
        python = function.python
        if function.needs_env:
            return lambda env: exact.to_decimal(python(env, *[a(env) for a in args]))
        return lambda env: exact.to_decimal(python(*[a(env) for a in args]))


def _constant(value: Any) -> Evaluator:
    return lambda env: value


def _literal(node: ast.expr) -> Any:
    assert isinstance(node, ast.Constant)  # parse() only lets literals into 'in' lists
    return node.value


def _is_null(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
