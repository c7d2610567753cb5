"""Functions that need their place: needs_env SQL forms read the resolver (today(), now()),
needs_row functions are allowed only in a stock row's scope, and `literals` makes arguments
written-out values checked when the template loads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from stockform.spec.expressions import (
    FUNCTIONS,
    ROW_SCOPE,
    ExpressionError,
    SqlTerm,
    check,
    compile_sql,
    parse,
)
from stockform.spec.types import ANY, DATE, NUMBER, Type

MOMENT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def registry() -> Any:
    found = FUNCTIONS.copy()

    def literal_days(values: list[Any]) -> None:
        if values[0] < 1:
            raise ValueError("window() needs 1 day or more")

    found.register(
        "window",
        check=lambda args: NUMBER,
        python=lambda env, days: days,
        sql=lambda resolve, args: resolve(("$row", "window")),
        needs_row=True,
        literals=literal_days,
        doc="A test function.",
    )
    return found


def resolve(path: tuple[str, ...]) -> SqlTerm:
    provided = {
        ("$today",): SqlTerm(sa.literal(MOMENT.date(), sa.Date())),
        ("$now",): SqlTerm(sa.literal(MOMENT, sa.DateTime(timezone=True))),
        ("$row", "window"): SqlTerm(sa.literal(7, sa.BigInteger())),
        ("due",): SqlTerm(sa.literal(date(2026, 3, 20), sa.Date())),
    }
    return provided[path]


def test_today_now_and_days_between_run_in_sql() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:

        def value(source: str) -> Any:
            term = compile_sql(parse(source), resolve)
            return connection.execute(sa.select(term.expr)).scalar_one()

        assert value("today()") == date(2026, 3, 10)
        assert value("days_between(today(), due)") == 10
        assert value("days_between(due, today())") == -10
        assert value("due > today()") == 1


def test_a_place_that_does_not_provide_the_date_cannot_compute_it() -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_sql(parse("today()"), lambda path: (_ for _ in ()).throw(LookupError(path)))
    assert raised.value.message == "today() cannot be computed in the database"


SCOPE: dict[str, Type] = {"due": DATE}


@pytest.mark.parametrize(
    ("source", "scope", "message"),
    [
        (
            "window(7)",
            SCOPE,
            "window() works on a row of stock: it can be used only in stock.warnings "
            "and in the stock list's where and order",
        ),
        ("window(due)", {**SCOPE, ROW_SCOPE: ANY}, "window() needs its arguments written out"),
        ("window(0)", {**SCOPE, ROW_SCOPE: ANY}, "window() needs 1 day or more"),
        ("window(7)", {**SCOPE, ROW_SCOPE: ANY}, None),
    ],
)
def test_row_functions_and_written_out_arguments(
    source: str, scope: dict[str, Type], message: str | None
) -> None:
    functions = registry()
    if message is None:
        assert check(parse(source, functions), scope, functions) == NUMBER
        term = compile_sql(parse(source, functions), resolve, functions)
        assert term.expr.type.python_type is int
        return
    with pytest.raises(ExpressionError) as raised:
        check(parse(source, functions), scope, functions)
    assert raised.value.message.startswith(message)


def test_row_scope_markers_are_not_suggested() -> None:
    with pytest.raises(ExpressionError) as raised:
        check(parse("row_cont"), {ROW_SCOPE: ANY, "row_count": NUMBER})
    assert raised.value.hint == "did you mean 'row_count'?"
