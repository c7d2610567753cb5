"""Resolve an expression's names against a scope and work out the type of every part."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from decimal import Decimal

from ..types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    ListOf,
    Record,
    Scalar,
    Type,
    common_type,
    describe,
    plain,
)
from .functions import FUNCTIONS, ROW_SCOPE, FunctionRegistry
from .parser import Expression, ExpressionError, did_you_mean

_VERBS = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide"}
_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_ORDERED = (NUMBER, TEXT, DATE, DATETIME)


def check(
    expr: Expression, scope: Mapping[str, Type], functions: FunctionRegistry = FUNCTIONS
) -> Type:
    """The type of expr in scope; raises ExpressionError at the first name or type mistake."""
    return _Checker(expr, scope, functions).visit(expr.tree)


class _Checker:
    def __init__(
        self, expr: Expression, scope: Mapping[str, Type], functions: FunctionRegistry
    ) -> None:
        self.expr = expr
        self.scope = scope
        self.functions = functions

    def fail(self, message: str, at: ast.AST | int, hint: str | None = None) -> ExpressionError:
        offset = at if isinstance(at, int) else self.expr.offset(at)
        return ExpressionError(message, offset, hint)

    def visit(self, node: ast.expr) -> Type:
        if isinstance(node, ast.Constant):
            return _constant_type(node.value)
        if isinstance(node, ast.Name):
            found = self.scope.get(node.id)
            if found is None:
                names = [n for n in self.scope if not n.startswith("$")]
                raise self.fail(f"unknown name '{node.id}'", node, did_you_mean(node.id, names))
            return found
        if isinstance(node, ast.Attribute):
            return self.field(node, self.visit(node.value))
        if isinstance(node, ast.BinOp):
            return self.arithmetic(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                self.need_bool(operand, node.operand, "'not' needs a true/false value")
                return BOOL
            if plain(operand) not in (NUMBER, ANY):
                symbol = "-" if isinstance(node.op, ast.USub) else "+"
                raise self.fail(f"'{symbol}' needs a number, got {describe(operand)}", node)
            return NUMBER
        if isinstance(node, ast.BoolOp):
            word = "and" if isinstance(node.op, ast.And) else "or"
            for value in node.values:
                self.need_bool(self.visit(value), value, f"'{word}' needs true/false values")
            return BOOL
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            self.need_bool(
                self.visit(node.test),
                node.test,
                "the condition after 'if' needs a true/false value",
            )
            body, orelse = self.visit(node.body), self.visit(node.orelse)
            joined = common_type(body, orelse)
            if joined is None:
                raise self.fail(
                    f"the two branches give {describe(body)} and "
                    f"{describe(orelse)}; they must give the same kind",
                    node,
                )
            return joined
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(f"'{type(node).__name__}' is not allowed", node)

    def need_bool(self, found: Type, node: ast.AST, message: str) -> None:
        if found not in (BOOL, ANY):
            raise self.fail(f"{message}, got {describe(found)}", node)

    def field(self, node: ast.Attribute, base: Type) -> Type:
        at = self.expr.field_offset(node)
        owner = self.expr.segment(node.value)
        if isinstance(base, ListOf):
            # `lines.amount` reads the field of every line.
            return ListOf(self.field(node, base.item))
        if isinstance(base, Record):
            found = base.field(node.attr)
            if found is None:
                hint = did_you_mean(node.attr, base.field_names)
                raise self.fail(f"'{owner}' has no field '{node.attr}'", at, hint)
            return found
        if base == ANY:
            return ANY
        raise self.fail(f"'{owner}' has no field '{node.attr}': it is a {describe(base)} value", at)

    def arithmetic(self, node: ast.BinOp) -> Type:
        left, right = plain(self.visit(node.left)), plain(self.visit(node.right))
        op = type(node.op)
        result = _arithmetic_type(op, left, right)
        if result is None:
            at = self.expr.operator_offset(node.left, node.right, _SYMBOLS[op])
            a, b = describe(left), describe(right)
            wording = {
                ast.Add: f"{a} and {b}",
                ast.Sub: f"{b} from {a}",
                ast.Mult: f"{a} by {b}",
                ast.Div: f"{a} by {b}",
            }[op]
            raise self.fail(f"cannot {_VERBS[op]} {wording}", at)
        return result

    def compare(self, node: ast.Compare) -> Type:
        left_node = node.left
        left = self.visit(left_node)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                assert isinstance(right_node, ast.List | ast.Tuple)
                for item in right_node.elts:
                    self.comparable(left, self.visit(item), type(op), item, null_ok=False)
                left_node, left = right_node, ANY
                continue
            right = self.visit(right_node)
            at = self.expr.operator_offset(left_node, right_node, _SYMBOLS[type(op)])
            null_test = _is_null(left_node) or _is_null(right_node)
            self.comparable(left, right, type(op), at, null_ok=null_test)
            left_node, left = right_node, right
        return BOOL

    def comparable(
        self, left: Type, right: Type, op: type[ast.cmpop], at: ast.AST | int, *, null_ok: bool
    ) -> None:
        a, b = plain(left), plain(right)
        if null_ok or ANY in (a, b):
            return
        if a != b or not isinstance(a, Scalar):
            raise self.fail(f"cannot compare {describe(left)} with {describe(right)}", at)
        if op in (ast.Lt, ast.LtE, ast.Gt, ast.GtE) and a not in _ORDERED:
            raise self.fail(
                f"'{_SYMBOLS[op]}' cannot order {describe(a)} values", at, "use == or !="
            )

    def call(self, node: ast.Call) -> Type:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        function = self.functions.get(name)
        if function is None:
            raise self.fail(
                f"unknown function '{name}'", node, did_you_mean(name, self.functions.names())
            )
        if function.needs_row and ROW_SCOPE not in self.scope:
            raise self.fail(
                f"{name}() works on a row of stock: it can be used only in "
                "stock.warnings and in the stock list's where and order",
                node,
            )
        args = [self.visit(a) for a in node.args]
        try:
            if function.literals is not None:
                written = [a for a in node.args if isinstance(a, ast.Constant)]
                if len(written) != len(node.args):
                    raise ValueError(
                        f"{name}() needs its arguments written out, such as {name}(30)"
                    )
                function.literals([a.value for a in written])
            return function.check(args)
        except ValueError as exc:
            raise self.fail(str(exc), node) from None


def _constant_type(value: object) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, Decimal):
        return NUMBER
    if isinstance(value, str):
        return TEXT
    return ANY  # null fits any type


def _is_null(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _arithmetic_type(op: type[ast.operator], a: Type, b: Type) -> Type | None:
    if op in (ast.Mult, ast.Div):
        return NUMBER if a in (NUMBER, ANY) and b in (NUMBER, ANY) else None
    if a == NUMBER and b == NUMBER:
        return NUMBER
    if ANY in (a, b):
        # Only one side is known: number + any may be a date + days, so the result stays open.
        other = b if a == ANY else a
        if other == TEXT:
            return TEXT if op is ast.Add else None
        return ANY if other in (NUMBER, DATE, DATETIME, ANY) else None
    if op is ast.Add:
        if a == TEXT and b == TEXT:
            return TEXT
        if a in (DATE, DATETIME) and b == NUMBER:
            return a
        if b in (DATE, DATETIME) and a == NUMBER:
            return b
        return None
    if a in (DATE, DATETIME) and b == NUMBER:
        return a
    if a in (DATE, DATETIME) and a == b:
        return NUMBER
    return None
