"""The function registry, and the built-in functions registered through it."""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import sqlalchemy as sa

from ..types import ANY, DATE, DATETIME, NUMBER, ListOf, Type, common_type, describe, plain
from . import exact
from .sqldates import days_between_dates
from .sqlterm import SqlTerm, floor_or_ceil, round_scaled, unify

CheckFn = Callable[[list[Type]], Type]
# The scope of an expression that runs over a row of stock holds this name (no expression can
# write it): functions registered with needs_row are allowed only there.
ROW_SCOPE = "$row"
Resolver = Callable[[tuple[str, ...]], SqlTerm]
# sql(args), or sql(resolve, args) for a function registered with needs_env: it reads what
# the place of evaluation provides through resolve (("$today",), ("$row", "sku_id"), …).
SqlFn = Callable[..., SqlTerm]


@dataclass(frozen=True)
class Function:
    """One function expressions may call: its type rule, its Python form, its SQL form."""

    name: str
    check: CheckFn  # argument types -> result type; raises ValueError with a message
    python: Callable[..., Any]  # receives evaluated arguments (after env when needs_env)
    sql: SqlFn | None
    doc: str
    needs_env: bool = False
    # Only where an expression runs over a row of stock (warnings, the stock list): its scope
    # holds ROW_SCOPE, and its SQL resolver can join what the function needs to the row.
    needs_row: bool = False
    # Arguments that must be written out (sales_velocity(30)): checked with their values.
    literals: Callable[[list[Any]], None] | None = None


class FunctionRegistry:
    """Functions by name; later layers copy it and register their own."""

    def __init__(self) -> None:
        self._functions: dict[str, Function] = {}

    def register(
        self,
        name: str,
        *,
        check: CheckFn,
        python: Callable[..., Any],
        sql: SqlFn | None = None,
        doc: str,
        needs_env: bool = False,
        needs_row: bool = False,
        literals: Callable[[list[Any]], None] | None = None,
    ) -> Function:
        """Add a function.

        `needs_env` passes the evaluation env first to the Python form and the SQL resolver
        first to the SQL form (as today() needs); `needs_row` (implies needs_env) allows the
        function only where expressions run over a row of stock. `literals`, when given, makes
        every argument a written-out value and checks the values (raising ValueError).
        """
        if (
            not name.isidentifier()
            or name.startswith("_")
            or keyword.iskeyword(name)
            or name in ("true", "false", "null")
        ):
            raise ValueError(f"'{name}' cannot be a function name")
        if name in self._functions:
            raise ValueError(f"function '{name}' is already registered")
        function = Function(
            name, check, python, sql, doc, needs_env or needs_row, needs_row, literals
        )
        self._functions[name] = function
        return function

    def get(self, name: str) -> Function | None:
        """The function called name, or None."""
        return self._functions.get(name)

    def names(self) -> list[str]:
        """Every function name, sorted."""
        return sorted(self._functions)

    def copy(self) -> FunctionRegistry:
        """A registry with the same functions, to extend without touching this one."""
        other = FunctionRegistry()
        other._functions = dict(self._functions)
        return other

    def __contains__(self, name: object) -> bool:
        return name in self._functions

    def __iter__(self) -> Iterator[Function]:
        return iter(self._functions[name] for name in self.names())


def _is_number(t: Type) -> bool:
    return plain(t) in (NUMBER, ANY)


def _numbers(name: str, count: int, optional: int = 0) -> CheckFn:
    """A check for exactly `count` numbers plus up to `optional` more."""

    def check(args: list[Type]) -> Type:
        if not count <= len(args) <= count + optional:
            wanted = f"{count}" if not optional else f"{count} to {count + optional}"
            raise ValueError(f"{name}() takes {wanted} number(s), got {len(args)}")
        for arg in args:
            if not _is_number(arg):
                raise ValueError(f"{name}() needs numbers, got {describe(arg)}")
        return NUMBER

    return check


def _extreme_check(name: str) -> CheckFn:
    def check(args: list[Type]) -> Type:
        if len(args) == 1 and (
            args[0] == ANY or isinstance(args[0], ListOf) and _is_number(args[0].item)
        ):
            return NUMBER
        if len(args) >= 2 and all(_is_number(a) for a in args):
            return NUMBER
        got = ", ".join(describe(a) for a in args) or "nothing"
        raise ValueError(f"{name}() needs two or more numbers, or one list of numbers; got {got}")

    return check


def _list_check(name: str, numbers: bool) -> CheckFn:
    def check(args: list[Type]) -> Type:
        if len(args) == 1 and (
            args[0] == ANY
            or isinstance(args[0], ListOf)
            and (not numbers or _is_number(args[0].item))
        ):
            return NUMBER
        wanted = "a list of numbers, such as lines.amount" if numbers else "a list, such as lines"
        got = ", ".join(describe(a) for a in args) or "nothing"
        raise ValueError(f"{name}() needs {wanted}; got {got}")

    return check


def _coalesce_check(args: list[Type]) -> Type:
    if not args:
        raise ValueError("coalesce() needs at least one value")
    result: Type | None = args[0]
    for arg in args[1:]:
        result = None if result is None else common_type(result, arg)
    if result is None:
        raise ValueError(
            "coalesce() needs values of one kind, got " + ", ".join(describe(a) for a in args)
        )
    return result


def _days_between_check(args: list[Type]) -> Type:
    kinds = {plain(a) for a in args} - {ANY}
    if len(args) != 2 or not kinds <= {DATE} and not kinds <= {DATETIME}:
        raise ValueError(
            "days_between() needs two dates (or two datetimes), got "
            + ", ".join(describe(a) for a in args)
        )
    return NUMBER


def _none_check(result: Type) -> CheckFn:
    def check(args: list[Type]) -> Type:
        if args:
            raise ValueError(f"this function takes no arguments, got {len(args)}")
        return result

    return check


def _extreme_python(pick: Callable[..., Decimal]) -> Callable[..., Decimal | None]:
    def run(*args: Any) -> Decimal | None:
        values: Sequence[Any] = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        # Like the SQL form: one unknown value makes the answer unknown.
        if not values or any(v is None for v in values):
            return None
        return pick(values)

    return run


def _extreme_sql(smallest: bool) -> SqlFn:
    def sql(args: list[SqlTerm]) -> SqlTerm:
        if len(args) < 2:
            raise ValueError("min() and max() of a list cannot be computed in the database")
        terms = unify(*args)
        xs = [t.expr for t in terms]
        whens: list[tuple[Any, Any]] = [(sa.or_(*[x.is_(None) for x in xs]), sa.null())]
        # xs[i] wins when it beats every later one (every earlier one already lost to some).
        for i, x in enumerate(xs[:-1]):
            beats = [x <= y if smallest else x >= y for y in xs[i + 1 :]]
            whens.append((sa.and_(*beats), x))
        case = sa.case(*whens, else_=xs[-1])
        return SqlTerm(sa.type_coerce(case, xs[0].type), terms[0].scale)

    return sql


def _strict(fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn, except that any null argument gives null."""

    def run(*args: Any) -> Any:
        return None if any(a is None for a in args) else fn(*args)

    return run


def _round_sql(args: list[SqlTerm]) -> SqlTerm:
    places = args[1].constant if len(args) > 1 else Decimal(0)
    if places is None or places != places.to_integral_value() or abs(places) > 18:
        raise ValueError(
            "round() places must be a whole number from -18 to 18 written "
            "in the expression to compute it in the database"
        )
    return round_scaled(unify(args[0])[0], int(places))


def _abs_sql(args: list[SqlTerm]) -> SqlTerm:
    (term,) = unify(args[0])
    return SqlTerm(sa.func.abs(term.expr, type_=term.expr.type), term.scale)


def _sum(values: list[Any] | None) -> Decimal:
    total = Decimal(0)
    for value in values or ():
        if value is not None:
            total = exact.CONTEXT.add(total, value)
    return total


def _today(env: Mapping[str, Any]) -> date:
    today: date = env.get("$today") or date.today()
    return today


def _now(env: Mapping[str, Any]) -> datetime:
    now: datetime = env.get("$now") or datetime.now(UTC)
    return now


def _today_sql(resolve: Resolver, args: list[SqlTerm]) -> SqlTerm:
    return resolve(("$today",))


def _now_sql(resolve: Resolver, args: list[SqlTerm]) -> SqlTerm:
    return resolve(("$now",))


def _days_between_sql(args: list[SqlTerm]) -> SqlTerm:
    start, end = unify(*args)
    if "datetime" in (start.kind, end.kind):
        raise ValueError("days_between() of two datetimes cannot be computed in the database")
    return SqlTerm(days_between_dates(start.expr, end.expr), 1)


def _register_builtins(registry: FunctionRegistry) -> None:
    register = registry.register
    register(
        "min",
        check=_extreme_check("min"),
        python=_extreme_python(min),
        sql=_extreme_sql(True),
        doc="The smallest of two or more numbers, or of a list.",
    )
    register(
        "max",
        check=_extreme_check("max"),
        python=_extreme_python(max),
        sql=_extreme_sql(False),
        doc="The largest of two or more numbers, or of a list.",
    )
    register(
        "abs",
        check=_numbers("abs", 1),
        python=_strict(exact.CONTEXT.abs),
        sql=_abs_sql,
        doc="The number without its sign.",
    )
    register(
        "round",
        check=_numbers("round", 1, 1),
        python=_strict(lambda x, places=0: exact.round_half_up(x, int(places))),
        sql=_round_sql,
        doc="round(x, places=0): halves away from zero (2.5 gives 3).",
    )
    register(
        "floor",
        check=_numbers("floor", 1),
        python=_strict(lambda x: x.to_integral_value(ROUND_FLOOR, exact.CONTEXT)),
        sql=lambda a: floor_or_ceil(unify(a[0])[0], ceil=False),
        doc="The whole number at or below x.",
    )
    register(
        "ceil",
        check=_numbers("ceil", 1),
        python=_strict(lambda x: x.to_integral_value(ROUND_CEILING, exact.CONTEXT)),
        sql=lambda a: floor_or_ceil(unify(a[0])[0], ceil=True),
        doc="The whole number at or above x.",
    )
    register(
        "sum",
        check=_list_check("sum", numbers=True),
        python=_sum,
        doc="The total of a list of numbers, such as sum(lines.amount); empty values count as 0.",
    )
    register(
        "count",
        check=_list_check("count", numbers=False),
        python=lambda items: Decimal(len(items or ())),
        doc="How many items a list has, such as count(lines).",
    )
    register(
        "coalesce",
        check=_coalesce_check,
        python=lambda *args: next((a for a in args if a is not None), None),
        sql=lambda a: _coalesce_sql(unify(*a)),
        doc="The first of its arguments that is not empty (null).",
    )
    register(
        "today",
        check=_none_check(DATE),
        python=_today,
        sql=_today_sql,
        needs_env=True,
        doc="Today's date in the template's time zone.",
    )
    register(
        "now",
        check=_none_check(DATETIME),
        python=_now,
        sql=_now_sql,
        needs_env=True,
        doc="The current date and time.",
    )
    register(
        "days_between",
        check=_days_between_check,
        python=_strict(exact.days_between),
        sql=_days_between_sql,
        doc="days_between(start, end): end - start in days.",
    )


def _coalesce_sql(terms: list[SqlTerm]) -> SqlTerm:
    if len(terms) == 1:
        return terms[0]  # SQLite's coalesce() wants two arguments or more
    exprs = [t.expr for t in terms]
    return SqlTerm(sa.func.coalesce(*exprs, type_=exprs[0].type), terms[0].scale)


FUNCTIONS = FunctionRegistry()
_register_builtins(FUNCTIONS)
