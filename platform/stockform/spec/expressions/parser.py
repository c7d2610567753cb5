"""Parse expression source with `ast` against a whitelist; nothing is ever evaluated here."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .functions import FunctionRegistry

MAX_LENGTH = 10_000
MAX_DEPTH = 60
# Literals stay inside what the database's 64-bit scaled integers can hold.
MAX_DIGITS = 18
LITERAL_NAMES = {"true": True, "false": False, "null": None}
_NEWLINE = re.compile(r"\r\n|\r|\n")
_STATEMENTS = frozenset(
    "import from def class for while with return yield del pass raise try global "
    "nonlocal assert async break continue if elif else".split()
)
# Whitelists: every operator not named here is refused.
_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_UNARY = (ast.Not, ast.USub, ast.UAdd)
_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_FORBIDDEN_BINARY = {
    ast.Pow: ("**", "multiply instead: x * x"),
    ast.FloorDiv: ("//", "use floor(a / b)"),
    ast.Mod: ("%", None),
    ast.MatMult: ("@", None),
    ast.BitAnd: ("&", "use 'and'"),
    ast.BitOr: ("|", "use 'or'"),
    ast.BitXor: ("^", None),
    ast.LShift: ("<<", None),
    ast.RShift: (">>", None),
}
_FORBIDDEN = {
    ast.Lambda: "'lambda' is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Subscript: "indexing with [ ] is not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
    ast.List: "lists are only allowed after 'in'",
    ast.Tuple: "lists are only allowed after 'in'",
}


class ExpressionError(Exception):
    """A mistake in an expression, at a 0-based character offset into its source."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message, offset, hint)
        self.message = message
        self.offset = offset
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its source, its checked AST, and every name path it reads."""

    source: str
    tree: ast.expr = field(compare=False, repr=False)
    references: frozenset[tuple[str, ...]] = field(compare=False, default=frozenset())
    calls: frozenset[str] = field(compare=False, default=frozenset())
    # Leading blanks are cut before parsing (ast takes them for indentation).
    lead: int = field(compare=False, default=0)

    def offset(self, node: ast.AST) -> int:
        """The character offset in `source` where node starts."""
        return self.lead + _offset(
            self.source[self.lead :],
            getattr(node, "lineno", None),
            getattr(node, "col_offset", None),
        )

    def end(self, node: ast.AST) -> int:
        """The character offset in `source` just after node."""
        return self.lead + _offset(
            self.source[self.lead :],
            getattr(node, "end_lineno", None),
            getattr(node, "end_col_offset", None),
        )

    def segment(self, node: ast.AST) -> str:
        """The source text of node."""
        return self.source[self.offset(node) : self.end(node)]

    def operator_offset(self, left: ast.AST, right: ast.AST, symbol: str) -> int:
        """Where the operator between left and right is written (the node starts at left)."""
        start = self.end(left)
        found = self.source.find(symbol, start, self.offset(right))
        return found if found >= 0 else start

    def field_offset(self, node: ast.Attribute) -> int:
        """Where the field name of `a.b` is written: errors point at `b`, not at `a`."""
        return self.end(node) - len(node.attr)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for the closest choice, if any is close."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1)
    return f"did you mean '{close[0]}'?" if close else None


def parse(source: str, functions: FunctionRegistry | None = None) -> Expression:
    """Parse source into an Expression; with functions, unknown functions are reported too."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters", 0)
    if not source.strip():
        raise ExpressionError("the expression is empty", 0)
    if "\x00" in source:
        raise ExpressionError("the expression contains a null character", source.index("\x00"))
    text = source.lstrip()
    lead = len(source) - len(text)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        error = _syntax_error(text, exc)
        error.offset += lead
        raise error from None
    except (ValueError, RecursionError, MemoryError) as exc:
        # Null bytes, lone surrogates, and the parser's own nesting limits.
        raise ExpressionError(f"the expression cannot be read: {exc}", 0) from None
    expr = Expression(source, tree.body, lead=lead)
    cleaner = _Cleaner(expr, functions)
    body = cleaner.clean(tree.body, 0)
    return Expression(source, body, frozenset(cleaner.references), frozenset(cleaner.calls), lead)


def _offset(text: str, lineno: int | None, col: int | None) -> int:
    """Turn ast's (line, UTF-8 byte column) into a character offset into text."""
    if lineno is None or col is None:
        return 0
    parts = _NEWLINE.split(text)
    starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]
    line = max(0, min(lineno, len(parts)) - 1)
    column = parts[line].encode("utf-8", "surrogatepass")[: max(col, 0)]
    return starts[line] + len(column.decode("utf-8", "ignore"))


def _syntax_error(source: str, exc: SyntaxError) -> ExpressionError:
    message = re.sub(r" \(detected at line \d+\)", "", exc.msg or "invalid syntax")
    if not exc.offset or not exc.lineno:
        return ExpressionError("the expression ends too early", len(source.rstrip()))
    parts = _NEWLINE.split(source)
    starts = [0, *(m.end() for m in _NEWLINE.finditer(source))]
    line = max(0, min(exc.lineno, len(parts)) - 1)
    offset = max(0, min(starts[line] + exc.offset - 1, len(source)))
    word = re.match(r"[A-Za-z_]+", source[offset:])
    if word and word.group() in _STATEMENTS and source[:offset].strip() == "":
        return ExpressionError(
            f"'{word.group()}' statements are not allowed",
            offset,
            "write an expression that gives a value, such as qty * price",
        )
    if source[offset : offset + 1] == "=" and source[offset + 1 : offset + 2] != "=":
        return ExpressionError("'=' is not allowed", offset, "use '==' to compare")
    if message == "invalid syntax":
        message = f"invalid syntax at '{source[offset : offset + 10].strip()}'"
    return ExpressionError(message, offset)


class _Cleaner:
    """Walks the AST once: rejects what is not whitelisted, turns literals into exact values."""

    def __init__(self, expr: Expression, functions: FunctionRegistry | None) -> None:
        self.expr = expr
        self.functions = functions
        self.references: set[tuple[str, ...]] = set()
        self.calls: set[str] = set()

    def fail(self, message: str, node: ast.AST | int, hint: str | None = None) -> ExpressionError:
        offset = node if isinstance(node, int) else self.expr.offset(node)
        return ExpressionError(message, offset, hint)

    def clean(self, node: ast.expr, depth: int) -> ast.expr:
        if depth > MAX_DEPTH:
            raise self.fail("the expression is nested too deeply", node)
        depth += 1
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Attribute):
            self.references.add(self.path(node))
            return node
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            if op not in _BINARY:
                symbol, hint = _FORBIDDEN_BINARY.get(op, (op.__name__, None))
                at = self.expr.operator_offset(node.left, node.right, symbol)
                raise self.fail(f"'{symbol}' is not allowed", at, hint)
            node.left = self.clean(node.left, depth)
            node.right = self.clean(node.right, depth)
            return node
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, _UNARY):
                raise self.fail("'~' is not allowed", node, "use 'not'")
            node.operand = self.clean(node.operand, depth)
            return node
        if isinstance(node, ast.BoolOp):
            node.values = [self.clean(v, depth) for v in node.values]
            return node
        if isinstance(node, ast.Compare):
            return self.compare(node, depth)
        if isinstance(node, ast.IfExp):
            node.test = self.clean(node.test, depth)
            node.body = self.clean(node.body, depth)
            node.orelse = self.clean(node.orelse, depth)
            return node
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        message = _FORBIDDEN.get(type(node), f"'{type(node).__name__}' is not allowed")
        raise self.fail(message, node)

    def constant(self, node: ast.Constant) -> ast.expr:
        value = node.value
        if value is None or isinstance(value, bool | str):
            return node
        if isinstance(value, int | float):
            # Compilers rely on every number literal holding its exact Decimal.
            node.value = self.number(node)  # type: ignore[assignment]
            return node
        if isinstance(value, complex):
            raise self.fail("imaginary numbers are not allowed", node)
        if isinstance(value, bytes):
            raise self.fail("bytes literals are not allowed", node, "write text as 'abc'")
        raise self.fail(f"'{self.expr.segment(node)}' is not allowed", node)

    def number(self, node: ast.Constant) -> Decimal:
        # Read the digits as written: a float would turn 0.1 into 0.1000000000000000055...
        text = self.expr.segment(node).replace("_", "")
        value = node.value
        try:
            number = Decimal(value) if isinstance(value, int) else Decimal(text)
        except InvalidOperation:
            raise self.fail(f"'{text}' is not a number", node) from None
        if number.adjusted() >= MAX_DIGITS:
            raise self.fail(f"the number {text} is too large", node)
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_DIGITS:
            raise self.fail(f"the number {text} has too many decimal places", node)
        return number

    def name(self, node: ast.Name) -> ast.expr:
        if node.id in LITERAL_NAMES:
            return ast.copy_location(ast.Constant(LITERAL_NAMES[node.id]), node)
        self.check_name(node.id, node)
        self.references.add((node.id,))
        return node

    def check_name(self, name: str, at: ast.AST | int) -> None:
        if name.startswith("_"):
            raise self.fail(f"'{name}' is not allowed: names cannot start with '_'", at)

    def path(self, node: ast.Attribute) -> tuple[str, ...]:
        """The name path of `a.b.c`; only names have fields, not results of calls or literals."""
        self.check_name(node.attr, self.expr.field_offset(node))
        base = node.value
        if isinstance(base, ast.Attribute):
            return (*self.path(base), node.attr)
        if isinstance(base, ast.Name):
            if base.id in LITERAL_NAMES:
                raise self.fail(f"'{base.id}' has no fields", base)
            self.check_name(base.id, base)
            return (base.id, node.attr)
        raise self.fail("fields can only be read from names, such as sku.min_stock", base)

    def compare(self, node: ast.Compare, depth: int) -> ast.expr:
        node.left = self.clean(node.left, depth)
        left = node.left
        comparators = []
        for op, right in zip(node.ops, node.comparators, strict=True):
            if not isinstance(op, _COMPARE):
                word = "is not" if isinstance(op, ast.IsNot) else "is"
                at = self.expr.operator_offset(left, right, "is")
                raise self.fail(f"'{word}' is not allowed", at, "use '==' or '!=', as in x == null")
            if isinstance(op, ast.In | ast.NotIn):
                comparators.append(self.in_list(left, right))
            else:
                comparators.append(self.clean(right, depth))
            left = right
        node.comparators = comparators
        return node

    def in_list(self, left: ast.expr, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Set):
            raise self.fail("sets are not allowed", node, "write a list: x in ('A', 'B')")
        if not isinstance(node, ast.List | ast.Tuple):
            at = self.expr.operator_offset(left, node, "in")
            raise self.fail(
                "'in' needs a list of values written out", at, "such as channel in ('store', 'web')"
            )
        if not node.elts:
            raise self.fail("'in' needs at least one value", node)
        items: list[ast.expr] = []
        for item in node.elts:
            cleaned = self.literal(item)
            if cleaned.value is None:
                raise self.fail("null cannot be in an 'in' list", item, "test x == null")
            items.append(cleaned)
        node.elts = items
        return node

    def literal(self, node: ast.expr) -> ast.Constant:
        """A literal list item: a number (maybe negative), text, true/false or null."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.literal(node.operand)
            if isinstance(inner.value, Decimal):
                sign = -1 if isinstance(node.op, ast.USub) else 1
                return ast.copy_location(ast.Constant(sign * inner.value), node)
        elif isinstance(node, ast.Constant | ast.Name):
            cleaned = self.clean(node, 0)
            if isinstance(cleaned, ast.Constant):
                return cleaned
        raise self.fail(
            "the values in an 'in' list must be written out", node, "such as x in (1, 2, 3)"
        )

    def call(self, node: ast.Call, depth: int) -> ast.expr:
        func = node.func
        if not isinstance(func, ast.Name) or func.id in LITERAL_NAMES:
            raise self.fail(
                f"'{self.expr.segment(func)}' is not a function",
                func,
                "only functions such as max(a, b) can be called",
            )
        self.check_name(func.id, func)
        if self.functions is not None and self.functions.get(func.id) is None:
            raise self.fail(
                f"unknown function '{func.id}'", func, did_you_mean(func.id, self.functions.names())
            )
        if node.keywords:
            keyword = node.keywords[0]
            raise self.fail(
                "keyword arguments are not allowed",
                keyword,
                f"pass arguments in order, as in {func.id}(x, 2)",
            )
        node.args = [self.clean(a, depth) for a in node.args]
        self.calls.add(func.id)
        return node
