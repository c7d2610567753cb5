"""The API under test: the shop template on SQLite and PostgreSQL, a token per role, and a
client that checks every response against the OpenAPI document the app serves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_client import SHOP, Api
from flask import Flask

from stockform.app import create_app
from stockform.stock.service import Stock
from users_support import add_users_with_tokens

USERS = {
    "root": ["admin"],
    "sam": ["sales"],
    "sue": ["sales"],
    "mia": ["manager"],
    "max": ["manager"],
    "wes": ["warehouse"],
    "vic": ["viewer"],
}


@pytest.fixture
def api_database(database_url: str) -> str:
    """The API tests' database: tests/conftest.py's fresh SQLite or PostgreSQL one."""
    return database_url


def make_app(url: str, tmp_path: Path, template: Path = SHOP) -> Flask:
    app = create_app(
        {
            "TEMPLATE": str(template),
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SQLITE_SYNCHRONOUS": "NORMAL",
        }
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def api_app(api_database: str, tmp_path: Path) -> Iterator[Flask]:
    """The shop with A-1 (100 at SH, safety stock 5, list price 10) and B-2 (10 at SH)."""
    app = make_app(api_database, tmp_path)
    runtime = app.extensions["stockform.runtime"]
    app.config["TEST_TOKENS"] = add_users_with_tokens(runtime.engine, USERS)
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    stock.create_sku(code="A-1", name="Apple", list_price="10", safety_stock="5")
    stock.create_sku(code="B-2", name="Pear", list_price="3")
    stock.receive("A-1", "SH", 100)
    stock.receive("B-2", "SH", 10)
    yield app
    runtime.engine.dispose()


@pytest.fixture
def api(api_app: Flask) -> Api:
    return Api(api_app)


@pytest.fixture
def stock(api_app: Flask) -> Stock:
    runtime = api_app.extensions["stockform.runtime"]
    return Stock(runtime.engine, runtime.template, runtime.version_id)
