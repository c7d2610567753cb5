"""Fixtures shared by the whole suite: app, client, runner, and the optional suites' gates."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from stockform.app import create_app
from stockform.paths import STARTERS

DATA = Path(__file__).parent / "data"
REQUIRED = {s.strip() for s in os.environ.get("STOCKFORM_TEST_REQUIRE", "").split(",") if s.strip()}


def unavailable(suite: str, reason: str) -> None:
    """Skip a test whose suite cannot run here, or fail it when CI requires that suite."""
    if suite in REQUIRED:
        pytest.fail(
            f"the {suite} suite is required (STOCKFORM_TEST_REQUIRE) but cannot run: {reason}"
        )
    pytest.skip(reason)


@pytest.fixture(scope="session")
def suite_unavailable() -> Callable[[str, str], None]:
    """`unavailable` for test folders, whose own conftest.py shadows this module's name."""
    return unavailable


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, object]:
    return {
        "TEMPLATE": str(STARTERS / "minimal"),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'stockform.db'}",
        "SECRET_KEY": "test-secret",
        "TIMEZONE": None,
        "HOST": "127.0.0.1",
        "PORT": 5000,
        "DEMO": False,
        "SQLITE_SYNCHRONOUS": "NORMAL",
        "CONFIG": "config/stockform.toml",
    }


@pytest.fixture
def app(settings: dict[str, object]) -> Flask:
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def postgresql_url(worker_id: str) -> Iterator[str]:
    """A fresh PostgreSQL database of this test worker's own, dropped afterwards."""
    base = os.environ.get("STOCKFORM_TEST_DATABASE_URL")
    if not base:
        unavailable("postgresql", "set STOCKFORM_TEST_DATABASE_URL to run the PostgreSQL tests")
    assert base is not None
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import OperationalError

    url = make_url(base)
    name = f"stockform_test_{worker_id}_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        unavailable(
            "postgresql", f"PostgreSQL at {url.render_as_string()} does not answer: {exc.orig}"
        )
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or this worker's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("postgresql_url")
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url
