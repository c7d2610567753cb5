"""Functions warning rules use, registered into a copy of the expression language's registry.

They read a row's movements and batches, so they run only where an expression runs over rows
of stock (warnings, the stock list): in SQL, each joins one aggregated subquery to every row
(see `facts.py`) rather than a subquery per row. Their Python forms read the facts of one row
from the env's `$row` (a `RowFacts`), and give null without it.

"Outbound" is stock leaving a warehouse to outside: sales, shipments, losses, count losses.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import BigInteger, FromClause, func

from ..spec.expressions import FUNCTIONS as BASE
from ..spec.expressions import Expression, FunctionRegistry, Resolver, SqlTerm
from ..spec.expressions.exact import DIVISION_SCALE
from ..spec.expressions.sqldates import days_between_dates
from ..spec.expressions.sqlterm import divide, int_divide, integer, number
from ..spec.types import NUMBER, Type, describe, plain
from ..stock import activity
from ..stock.rows import RowSource
from ..stock.units import QTY_SCALE
from . import facts

MAX_DAYS = 3650
DAY_SECONDS = 86400


class RowFacts(Protocol):
    """What the Python forms read for one row (see facts.row_facts)."""

    def days_since_last_out(self) -> Decimal | None: ...

    def sales_velocity(self, days: int) -> Decimal | None: ...

    def days_to_expiry(self) -> Decimal | None: ...


def _row(resolve: Resolver) -> RowSource:
    if not isinstance(resolve, RowSource):
        raise LookupError("not a row of stock")
    return resolve


def _facts(env: Mapping[str, Any]) -> RowFacts | None:
    found: RowFacts | None = env.get("$row")
    return found


def _no_arguments(name: str) -> Any:
    def check(args: list[Type]) -> Type:
        if args:
            raise ValueError(f"{name}() takes no arguments, got {len(args)}")
        return NUMBER

    return check


def _days_check(args: list[Type]) -> Type:
    if len(args) != 1 or plain(args[0]) != NUMBER:
        got = ", ".join(describe(a) for a in args) or "nothing"
        raise ValueError(f"sales_velocity() needs a number of days, such as 30; got {got}")
    return NUMBER


def _days_literal(values: list[Any]) -> None:
    days = values[0] if values else None
    if not isinstance(days, Decimal) or days != days.to_integral_value() or not 1 <= days:
        raise ValueError(f"sales_velocity() needs a whole number of days from 1 to {MAX_DAYS}")
    if days > MAX_DAYS:
        raise ValueError(f"sales_velocity() looks back at most {MAX_DAYS} days, not {days}")


# -- the outbound aggregate both functions below read
WINDOWS = "rules.windows"  # RowSource.extras: every sales_velocity window the caller compiles
_BUILT = "rules.outbound.windows"


def _outbound(source: RowSource, days: int) -> FromClause:
    """The row's outbound aggregate holding `days`' window, built once for every window the
    caller announced (see `announce_windows`); a window announced late gets its own."""
    if _BUILT not in source.extras:
        windows = {*source.extras.get(WINDOWS, ()), days}
        source.extras[_BUILT] = frozenset(windows)
        return source.join(
            "rules.outbound",
            lambda: facts.outbound(source, windows, "rules_outbound"),
        )
    if days in source.extras[_BUILT]:
        return source.join("rules.outbound", _never)
    return source.join(
        f"rules.outbound.{days}",
        lambda: facts.outbound(source, [days], f"rules_outbound_{days}"),
    )


def _never() -> FromClause:
    raise AssertionError("the outbound aggregate is built already")


def announce_windows(source: RowSource, expressions: Iterable[Expression]) -> None:
    """Tell the functions every sales_velocity window the expressions use, so the outbound
    aggregate is one pass over the movements for all of them."""
    windows = set(source.extras.get(WINDOWS, ()))
    for expr in expressions:
        for node in ast.walk(expr.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "sales_velocity"
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, Decimal)
            ):
                windows.add(int(node.args[0].value))
    source.extras[WINDOWS] = windows


# -- days_since_last_out()
def _kept(source: RowSource) -> FromClause:
    """The row's kept last-out and first-in times (stock.activity), on the row of its SKU at
    its warehouse: the row itself, or joined to a batch's row."""
    if source.level == "warehouse":
        return source.base
    return source.join("rules.kept", lambda: facts.kept(source))


def _days_since_last_out_sql(resolve: Resolver, args: list[SqlTerm]) -> SqlTerm:
    source = _row(resolve)
    kept = _kept(source)
    since = func.coalesce(kept.c[activity.LAST_OUT], kept.c[activity.FIRST_IN])
    elapsed = integer(int(source.now.timestamp())) - since
    return SqlTerm(int_divide(elapsed, integer(DAY_SECONDS)), 1)


def _days_since_last_out(env: Mapping[str, Any]) -> Decimal | None:
    found = _facts(env)
    return None if found is None else found.days_since_last_out()


# -- sales_velocity(days)
def _sales_velocity_sql(resolve: Resolver, args: list[SqlTerm]) -> SqlTerm:
    source = _row(resolve)
    days = args[0].constant
    assert days is not None  # the checker let only a written-out number through
    out = _outbound(source, int(days))
    column = out.c[facts.window_column(int(days))]
    total = SqlTerm(func.coalesce(column, 0, type_=BigInteger()), QTY_SCALE)
    return divide(total, number(days), DIVISION_SCALE)


def _sales_velocity(env: Mapping[str, Any], days: Decimal | None) -> Decimal | None:
    found = _facts(env)
    return None if found is None or days is None else found.sales_velocity(int(days))


# -- days_to_expiry()
def _days_to_expiry_sql(resolve: Resolver, args: list[SqlTerm]) -> SqlTerm:
    source = _row(resolve)
    today = resolve(("$today",)).expr
    if source.level == "batch":
        expiry = resolve(("batch", "expiry")).expr
    else:
        earliest = source.join(
            "rules.earliest_expiry",
            lambda: facts.earliest_expiry(source),
        )
        expiry = earliest.c.expiry
    return SqlTerm(days_between_dates(today, expiry), 1)


def _days_to_expiry(env: Mapping[str, Any]) -> Decimal | None:
    found = _facts(env)
    return None if found is None else found.days_to_expiry()


def _register(registry: FunctionRegistry) -> None:
    registry.register(
        "days_since_last_out",
        check=_no_arguments("days_since_last_out"),
        python=_days_since_last_out,
        sql=_days_since_last_out_sql,
        needs_row=True,
        doc=(
            "Whole days (24 hours) since stock of the row's SKU last left its warehouse to "
            "outside (a sale, shipment or loss; any batch); without one, since the SKU's first "
            "movement there. Warnings and the stock list only."
        ),
    )
    registry.register(
        "sales_velocity",
        check=_days_check,
        python=_sales_velocity,
        sql=_sales_velocity_sql,
        needs_row=True,
        literals=_days_literal,
        doc=(
            "sales_velocity(days): outbound quantity per day of the row's SKU at its warehouse "
            "over the last days (1 to 3650, written out), e.g. sales_velocity(7) > 2 * "
            "sales_velocity(30). Warnings and the stock list only."
        ),
    )
    registry.register(
        "days_to_expiry",
        check=_no_arguments("days_to_expiry"),
        python=_days_to_expiry,
        sql=_days_to_expiry_sql,
        needs_row=True,
        doc=(
            "Days from today to the batch's expiry (per: batch), or to the earliest expiry of "
            "the batches holding stock at the warehouse; empty without one. Warnings and the "
            "stock list only."
        ),
    )


FUNCTIONS = BASE.copy()
_register(FUNCTIONS)
