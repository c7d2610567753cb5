"""compile_sql() against real databases: SQLite always, PostgreSQL when configured.

Every case is also run through compile_python, so the two compilers are held to one answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from stockform.spec.expressions import (
    FUNCTIONS,
    ExpressionError,
    SqlTerm,
    check,
    compile_python,
    compile_sql,
    from_scaled,
    parse,
)
from stockform.spec.types import BOOL, DATE, NUMBER, TEXT, Record, Type

D = Decimal
SCALES = {"available": 1000, "locked": 1000, "price": 10000}
SKU = Record("sku", (("code", TEXT),), TEXT)
SCOPE: dict[str, Type] = {**{n: NUMBER for n in SCALES}, "sku": SKU, "flag": BOOL, "due": DATE}
ROW: dict[str, Any] = {
    "available": D("12.5"),
    "locked": D(3),
    "price": D("19.99"),
    "code": "A-1",
    "flag": True,
    "due": date(2024, 2, 27),
}


@dataclass
class Db:
    conn: sa.Connection
    table: sa.Table

    def resolve(self, path: tuple[str, ...]) -> SqlTerm:
        """Columns of the test table; a SKU is its code column."""
        if path in (("sku",), ("sku", "code")):
            return SqlTerm(self.table.c.code)
        if len(path) == 1 and path[0] in ("flag", "due"):
            return SqlTerm(self.table.c[path[0]])
        if len(path) == 1 and path[0] in SCALES:
            return SqlTerm(self.table.c[path[0]], SCALES[path[0]])
        raise LookupError(path)

    def evaluate(self, source: str, row: dict[str, Any]) -> Any:
        """source computed by the database over one row, read back as Python values."""
        term = compile_sql(parse(source), self.resolve)
        stored = {
            k: (int(v * SCALES[k]) if k in SCALES and v is not None else v) for k, v in row.items()
        }
        self.conn.execute(self.table.delete())
        self.conn.execute(self.table.insert(), [stored])
        value = self.conn.execute(sa.select(term.expr.label("v"))).scalar_one()
        if term.kind == "number":
            return from_scaled(value, term.scale)
        return value


def make_table() -> sa.Table:
    return sa.Table(
        "expression_values",
        sa.MetaData(),
        sa.Column("available", sa.BigInteger),
        sa.Column("locked", sa.BigInteger),
        sa.Column("price", sa.BigInteger),
        sa.Column("code", sa.String(40)),
        sa.Column("flag", sa.Boolean),
        sa.Column("due", sa.Date),
        prefixes=["TEMPORARY"],
    )


def open_db(url: str) -> Iterator[Db]:
    engine = sa.create_engine(url)
    table = make_table()
    with engine.connect() as conn:
        table.create(conn)
        yield Db(conn, table)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db(request: pytest.FixtureRequest) -> Iterator[Db]:
    # postgresql_url (tests/conftest.py) skips, with its reason, when
    # STOCKFORM_TEST_DATABASE_URL is unset.
    url = "sqlite://" if request.param == "sqlite" else request.getfixturevalue("postgresql_url")
    yield from open_db(url)


CASES: list[tuple[str, dict[str, Any], Any]] = [
    # (source, changes to ROW, expected)
    ("available + locked", {}, D("15.5")),
    ("available - price", {}, D("-7.49")),
    ("available * price", {}, D("249.875")),
    ("available * 0.5 + 1.25", {}, D("7.5")),
    ("-available + 2", {}, D("-10.5")),
    ("max(available - locked, 0)", {}, D("9.5")),
    ("max(available - locked, 0)", {"available": D(1)}, D(0)),
    ("max(available, null)", {}, None),
    ("min(available, price, 1.5)", {}, D("1.5")),
    ("min(available, locked)", {"locked": None}, None),
    ("available / 3", {}, D("4.166666")),
    ("-available / 3", {}, D("-4.166666")),
    ("available / -0.7", {}, D("-17.857142")),
    ("available / price", {}, D("0.625312")),
    ("price / available / 7", {}, D("0.228457")),
    ("available / locked", {"locked": D(0)}, None),
    ("available + locked", {"locked": None}, None),
    ("abs(locked - available)", {}, D("9.5")),
    ("round(2.5)", {}, D(3)),
    ("round(-2.5)", {}, D(-3)),
    ("round(price, 1)", {}, D("20.0")),
    ("round(-price, 1)", {}, D("-20.0")),
    ("round(available / 3, 2)", {}, D("4.17")),
    ("round(available * 100, -2)", {}, D(1300)),
    ("floor(-available)", {}, D(-13)),
    ("ceil(-available)", {}, D(-12)),
    ("floor(available)", {}, D(12)),
    ("floor(-locked)", {}, D(-3)),
    ("ceil(-locked)", {}, D(-3)),
    ("ceil(locked)", {}, D(3)),
    ("coalesce(locked, available)", {"locked": None}, D("12.5")),
    ("coalesce(null, price)", {}, D("19.99")),
    ("available > price", {}, False),
    ("available >= 12.5", {}, True),
    ("0 < available < 20", {}, True),
    ("0 < available < 10", {}, False),
    ("0 < available < 10", {"available": None}, None),
    ("available < 0 < -1", {"available": None}, False),
    ("available == null", {"available": None}, True),
    ("available != null", {}, True),
    ("available > null", {}, None),
    ("available in (12.5, 3)", {}, True),
    ("available in (1, 2.25)", {}, False),
    ("available not in (1, 2.25)", {}, True),
    ("available in (1, 2)", {"available": None}, None),
    ("sku == 'A-1'", {}, True),
    ("sku in ('B-2', 'C-3')", {}, False),
    ("sku + '/' + sku.code", {}, "A-1/A-1"),
    ("flag and available > 10", {}, True),
    ("flag and available > 10", {"flag": None}, False),
    ("flag or available > 10", {"flag": None, "available": None}, False),
    ("not (flag and true)", {"flag": None}, True),
    ("not flag", {"flag": None}, None),
    ("not (available > 1)", {"available": None}, None),
    ("flag == true", {}, True),
    ("due < due", {}, False),
    ("due == null", {"due": None}, True),
    ("available if flag else null", {}, D("12.5")),
    ("available if flag else price", {"flag": None}, D("19.99")),
    ("'yes' if available > price else 'no'", {}, "no"),
]


@pytest.mark.parametrize(("source", "changes", "expected"), CASES)
def test_sql_matches_python_and_the_expected_value(
    db: Db, source: str, changes: dict[str, Any], expected: Any
) -> None:
    row = {**ROW, **changes}
    check(parse(source), SCOPE)
    env = {**row, "sku": {"code": row["code"]}}
    assert compile_python(parse(source))(env) == expected
    result = db.evaluate(source, row)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("sum(lines.amount) > 0", "sum() cannot be computed in the database", 0),
        ("count(lines)", "count() cannot be computed in the database", 0),
        ("available - today()", "today() cannot be computed in the database", 12),
        ("due + 1 > due", "date arithmetic cannot be computed in the database", 0),
        ("available + sku.min_stock", "'sku.min_stock' cannot be computed in the database", 12),
        ("max(lines.qty)", "'lines.qty' cannot be computed in the database", 4),
        (
            "round(available, locked)",
            "round() places must be a whole number from -18 to 18 "
            "written in the expression to compute it in the database",
            0,
        ),
        (
            "round(available, 0.5)",
            "round() places must be a whole number from -18 to 18 "
            "written in the expression to compute it in the database",
            0,
        ),
        ("1 + days_since(sku)", "days_since() cannot be computed in the database", 4),
    ],
)
def test_what_has_no_sql_form_says_so(source: str, message: str, offset: int) -> None:
    functions = FUNCTIONS.copy()
    functions.register(
        "days_since",
        check=lambda args: NUMBER,
        python=lambda sku: D(1),
        doc="Days since something happened.",
    )
    db = Db(sa.create_engine("sqlite://").connect(), make_table())
    with pytest.raises(ExpressionError) as caught:
        compile_sql(parse(source), db.resolve, functions)
    db.conn.close()
    assert (caught.value.message, caught.value.offset) == (message, offset)


def test_division_is_integer_arithmetic_in_the_sql_text() -> None:
    db = Db(sa.create_engine("sqlite://").connect(), make_table())
    sql = str(
        compile_sql(parse("available / price"), db.resolve).expr.compile(
            compile_kwargs={"literal_binds": True}
        )
    )
    db.conn.close()
    # sa=1000, sb=10000: (a * 10**6 * 10000) / (b * 1000) reduced by their common factor.
    assert sql == "(expression_values.available * 10000000) / nullif(expression_values.price, 0)"


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [(12500, 1000, D("12.5")), (None, 1000, None), (-3, 1, D(-3)), (1, 1000000, D("0.000001"))],
)
def test_from_scaled(value: int | None, scale: int, expected: Decimal | None) -> None:
    assert from_scaled(value, scale) == expected


def test_from_scaled_refuses_floats() -> None:
    with pytest.raises(TypeError, match="float"):
        from_scaled(1.5, 1000)
