"""Compile an Expression into a SQLAlchemy expression over scaled-integer columns.

Numbers are stored as integers times a scale (quantities x1000, money x10000), so every
operation here is exact integer arithmetic: `+`, `-` and comparisons first bring both sides
to a common scale, `*` multiplies scales, and `/` gives scale 1_000_000 by integer division,
truncated toward zero (see `sqlterm.divide`), exactly like the Python side.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .exact import CONTEXT, DIVISION_SCALE
from .functions import FUNCTIONS, FunctionRegistry, Resolver
from .parser import Expression, ExpressionError
from .sqlterm import SqlTerm, boolean, divide, number, rescale, unify

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def compile_sql(
    expr: Expression, resolve: Resolver, functions: FunctionRegistry = FUNCTIONS
) -> SqlTerm:
    """expr as SQL; resolve maps a name path to its column and scale (LookupError: none).

    Null semantics match compile_python: `and`/`or` treat NULL as false, min/max are NULL
    when any argument is, division by zero is NULL. Read a number back with from_scaled.
    """
    return _SqlCompiler(expr, resolve, functions).build(expr.tree)


class _SqlCompiler:
    def __init__(self, expr: Expression, resolve: Resolver, functions: FunctionRegistry) -> None:
        self.expr = expr
        self.resolve = resolve
        self.functions = functions

    def fail(self, what: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(f"{what} cannot be computed in the database", self.expr.offset(node))

    def build(self, node: ast.expr) -> SqlTerm:
        if isinstance(node, ast.Constant):
            return _constant(node.value)
        if isinstance(node, ast.Name | ast.Attribute):
            return self.column(node)
        if isinstance(node, ast.BinOp):
            return self.arithmetic(node)
        if isinstance(node, ast.UnaryOp):
            term = self.build(node.operand)
            if isinstance(node.op, ast.Not):
                return boolean(
                    sa.not_(_typed_null(sa.Boolean()) if term.kind == "null" else term.expr)
                )
            if isinstance(node.op, ast.UAdd):
                return term
            if term.constant is not None:
                return number(-term.constant)
            (term,) = unify(term)
            return SqlTerm(-term.expr, term.scale)
        if isinstance(node, ast.BoolOp):
            # NULL counts as false, as in Python, so NOT (a AND b) agrees on both sides.
            values = [sa.func.coalesce(self.build(v).expr, sa.false()) for v in node.values]
            return boolean(sa.and_(*values) if isinstance(node.op, ast.And) else sa.or_(*values))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            test = self.build(node.test)
            body, orelse = unify(self.build(node.body), self.build(node.orelse))
            case = sa.case((test.expr, body.expr), else_=orelse.expr)
            return SqlTerm(sa.type_coerce(case, body.expr.type), body.scale)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(f"'{type(node).__name__}'", node)

    def column(self, node: ast.Name | ast.Attribute) -> SqlTerm:
        path = _path(node)
        try:
            return self.resolve(path)
        except ExpressionError as exc:
            raise ExpressionError(exc.message, self.expr.offset(node), exc.hint) from None
        except LookupError:
            raise self.fail(f"'{'.'.join(path)}'", node) from None

    def arithmetic(self, node: ast.BinOp) -> SqlTerm:
        left, right = self.build(node.left), self.build(node.right)
        kinds = {left.kind, right.kind}
        if kinds & {"date", "datetime"}:
            raise self.fail("date arithmetic", node)
        if "null" in kinds:
            return unify(left, right)[0 if left.kind == "null" else 1]  # NULL, suitably typed
        if isinstance(node.op, ast.Add) and kinds == {"text"}:
            return SqlTerm(left.expr.concat(right.expr))
        if isinstance(node.op, ast.Mult):
            return SqlTerm(left.expr * right.expr, left.scale * right.scale)
        if isinstance(node.op, ast.Div):
            return divide(left, right, DIVISION_SCALE)
        a, b = unify(left, right)
        return SqlTerm(
            a.expr + b.expr if isinstance(node.op, ast.Add) else a.expr - b.expr, a.scale
        )

    def compare(self, node: ast.Compare) -> SqlTerm:
        tests: list[Any] = []
        left_node, left = node.left, self.build(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(right_node, ast.List | ast.Tuple):
                test = _in_list(left, [_literal(item) for item in right_node.elts])
                tests.append(sa.not_(test) if isinstance(op, ast.NotIn) else test)
                left_node = right_node
                continue
            right = self.build(right_node)
            if _is_null(left_node) or _is_null(right_node):
                tests.append(_null_test(type(op), left, right, _is_null(left_node)))
            else:
                a, b = unify(left, right)
                tests.append(_COMPARE[type(op)](a.expr, b.expr))
            left_node, left = right_node, right
        return boolean(tests[0] if len(tests) == 1 else sa.and_(*tests))

    def call(self, node: ast.Call) -> SqlTerm:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        function = self.functions.get(name)
        if function is None:
            raise ExpressionError(f"unknown function '{name}'", self.expr.offset(node))
        if function.sql is None:
            raise self.fail(f"{name}()", node)
        args = [self.build(a) for a in node.args]
        try:
            if function.needs_env:
                # What the function reads from its place (today's date, the row's keys):
                # a resolver that does not provide it means "not computable here".
                return function.sql(self.resolve, args)
            return function.sql(args)
        except LookupError:
            raise self.fail(f"{name}()", node) from None
        except ValueError as exc:
            raise ExpressionError(str(exc), self.expr.offset(node)) from None


def _constant(value: Any) -> SqlTerm:
    if value is None:
        return SqlTerm(sa.null())
    if isinstance(value, bool):
        return SqlTerm(sa.true() if value else sa.false())
    if isinstance(value, Decimal):
        return number(value)
    return SqlTerm(sa.literal(value, sa.String()))


def _literal(node: ast.expr) -> Any:
    assert isinstance(node, ast.Constant)  # parse() only lets literals into 'in' lists
    return node.value


def _in_list(left: SqlTerm, values: list[Any]) -> Any:
    """left IN (values); numbers are compared at a scale that holds every value exactly."""
    if left.kind == "null":
        return _typed_null(sa.Boolean())
    if all(isinstance(v, Decimal) for v in values):
        scale = math.lcm(left.scale, *(number(v).scale for v in values))
        column = rescale(left, scale).expr
        return column.in_([int(CONTEXT.multiply(v, scale)) for v in values])
    return left.expr.in_(values)


def _null_test(op: type[ast.cmpop], left: SqlTerm, right: SqlTerm, left_is_null: bool) -> Any:
    """`x == null` tests for NULL; an ordering against null is NULL, as in Python."""
    other = right if left_is_null else left
    if op is ast.Eq:
        return other.expr.is_(None)
    if op is ast.NotEq:
        return other.expr.is_not(None)
    return _typed_null(sa.Boolean())


def _typed_null(sql_type: Any) -> Any:
    return sa.cast(sa.null(), sql_type)


def _path(node: ast.expr) -> tuple[str, ...]:
    if isinstance(node, ast.Attribute):
        return (*_path(node.value), node.attr)
    assert isinstance(node, ast.Name)
    return (node.id,)


def _is_null(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
