"""Fixtures for the retail starter: prepared on SQLite or on this worker's PostgreSQL database
(tests/conftest.py's `postgresql_url`) with its SKUs, a clock the tests move, engines, and the
app with a token per user."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from retail_support import RETAIL, SKUS, START, USERS, Clock, RetailApi
from sqlalchemy import Connection, MetaData, create_engine, func, inspect, select, text

from stockform.app import create_app
from stockform.database import Prepared, prepare
from stockform.documents.service import Documents
from stockform.stock.service import Stock
from users_support import add_users_with_tokens

# PostgreSQL url -> (what it holds right after the starter was applied, tables to empty).
_APPLIED: dict[str, tuple[Any, list[str]]] = {}


def _state(connection: Connection, kept: list[str]) -> Any:
    """The tables there are, and the rows of those the starter filled."""
    tables = sorted(inspect(connection).get_table_names())
    rows = [connection.execute(text(f'SELECT * FROM "{name}"')).all() for name in kept]
    return tables, [[tuple(row) for row in found] for found in rows]


def _reset_postgresql(url: str) -> None:
    """Leave the retail starter applied and nothing else. Emptying the tables a test filled
    takes milliseconds; migrating an emptied schema again takes a second, so that happens only
    when something else (another folder's test on this worker) changed the database."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            known = _APPLIED.get(url)
            if known is not None:
                state, emptied = known
                kept = [t for t in state[0] if t not in emptied]
                if _state(connection, kept) == state:
                    for name in emptied:
                        connection.execute(text(f'DELETE FROM "{name}"'))
                    return
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        prepare(url, RETAIL).engine.dispose()
        with engine.begin() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            filled = [
                t.name
                for t in metadata.sorted_tables
                if connection.execute(select(func.count()).select_from(t)).scalar()
            ]
            emptied = [t.name for t in reversed(metadata.sorted_tables) if t.name not in filled]
            _APPLIED[url] = (_state(connection, filled), emptied)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def retail_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the retail starter applied, made once; tests get copies."""
    path = tmp_path_factory.mktemp("retail") / "applied.db"
    prepare(f"sqlite:///{path}", RETAIL, synchronous="NORMAL").engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def retail_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with the retail starter applied and nothing else: a copy of a SQLite file, or
    this worker's PostgreSQL database (skipped, or failed when required, as tests/conftest.py
    says)."""
    if request.param == "sqlite":
        copy = tmp_path / "retail.db"
        shutil.copyfile(request.getfixturevalue("retail_sqlite"), copy)
        return f"sqlite:///{copy}"
    url: str = request.getfixturevalue("postgresql_url")
    _reset_postgresql(url)
    return url


def _no_drift(stock: Stock) -> None:
    """Every flow leaves the ledger and the balances agreeing, and no bucket negative."""
    assert stock.drift() == []
    for row in stock.query(per_page=1000, level="batch").items:
        negative = {k: v for k, v in row.buckets.items() if v < 0}
        assert not negative, f"{row.sku} at {row.warehouse} ({row.batch}): {negative}"


@pytest.fixture
def retail(retail_url: str) -> Iterator[Prepared]:
    """The retail starter with the SKUs of SKUS and no stock."""
    prepared = prepare(retail_url, RETAIL, synchronous="NORMAL")
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    for sku in SKUS:
        stock.create_sku(**sku)
    yield prepared
    _no_drift(stock)
    prepared.engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def stock(retail: Prepared) -> Stock:
    return Stock(retail.engine, retail.template, retail.applied.version_id)


@pytest.fixture
def docs(retail: Prepared, clock: Clock) -> Documents:
    return Documents(retail.engine, retail.template, retail.applied.version_id, clock=clock)


@pytest.fixture
def retail_app(retail_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app running the retail starter, with SKUS, the users of USERS and their tokens."""
    app = create_app(
        {
            "TEMPLATE": str(RETAIL),
            "DATABASE_URL": retail_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SQLITE_SYNCHRONOUS": "NORMAL",
        }
    )
    app.config["TESTING"] = True
    runtime = app.extensions["stockform.runtime"]
    app.config["TEST_TOKENS"] = add_users_with_tokens(runtime.engine, USERS)
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    for sku in SKUS:
        stock.create_sku(**sku)
    yield app
    _no_drift(stock)
    runtime.engine.dispose()


@pytest.fixture
def api(retail_app: Flask) -> RetailApi:
    return RetailApi(retail_app, retail_app.config["TEST_TOKENS"])


@pytest.fixture
def app_stock(retail_app: Flask) -> Stock:
    """The stock engine of the app's database (to move time for its locks, say)."""
    runtime = retail_app.extensions["stockform.runtime"]
    return Stock(runtime.engine, runtime.template, runtime.version_id)
