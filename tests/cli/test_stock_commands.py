"""db upgrade, apply, verify and sweep from the command line."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import text

from stockform.cli import main
from stockform.database import prepare
from stockform.migrate import alembic_config
from stockform.paths import STARTERS
from stockform.stock.service import Stock


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("STOCKFORM_DATABASE_URL", database)
    return database


def test_db_upgrade_creates_the_tables(runner: CliRunner, url: str) -> None:
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"database is at revision {head}" in result.output


def test_apply_then_apply_again(runner: CliRunner, url: str) -> None:
    folder = str(STARTERS / "minimal")
    first = runner.invoke(main, ["apply", folder])
    assert first.exit_code == 0, first.output
    assert "applied template 'minimal' version 1 (version id 1; sf_balance.b_available" in (
        first.output
    )
    again = runner.invoke(main, ["apply", folder])
    assert "already applied (version id 1)" in again.output


def test_apply_refuses_a_broken_template(runner: CliRunner, url: str) -> None:
    folder = Path(__file__).parents[1] / "data/templates/invalid/unknown_role"
    result = runner.invoke(main, ["apply", str(folder)])
    assert result.exit_code == 1
    assert "unknown role 'warehous'" in result.output
    assert "nothing applied" in result.output


def test_apply_refuses_losing_stock(runner: CliRunner, url: str, tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    shutil.copytree(STARTERS / "minimal", folder)
    path = folder / "template.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(
        original.replace("    locked: {label", "    quarantine: {}\n    locked: {label")
    )
    prepared = prepare(url, folder)
    stock = Stock(prepared.engine, prepared.template)
    stock.create_sku(code="A-1")
    stock.receive("A-1", "MAIN", 1, bucket="quarantine", kind="return")
    prepared.engine.dispose()
    path.write_text(original.replace("  version: 1", "  version: 2"))
    result = runner.invoke(main, ["apply", str(folder)])
    assert result.exit_code == 1, result.output
    assert "refused: bucket 'quarantine' still holds stock" in result.output
    assert "the running template stays in force" in result.output


def test_verify_reports_drift_and_repairs_it(runner: CliRunner, url: str) -> None:
    prepared = prepare(url, STARTERS / "minimal")
    stock = Stock(prepared.engine, prepared.template)
    stock.create_sku(code="A-1")
    stock.receive("A-1", "MAIN", 5)
    assert runner.invoke(main, ["verify"]).exit_code == 0
    with prepared.engine.begin() as connection:
        connection.execute(text("UPDATE sf_balance SET b_available = 1"))
    prepared.engine.dispose()
    drifted = runner.invoke(main, ["verify"])
    assert drifted.exit_code == 1
    assert "available: balance 1, ledger 5000" in drifted.output
    repaired = runner.invoke(main, ["verify", "--repair"])
    assert repaired.exit_code == 0 and "repaired 3 drifted" in repaired.output
    assert "physical (computed): stored 5000, its formula gives 1" in repaired.output
    assert "ok: every balance" in runner.invoke(main, ["verify"]).output


def test_verify_on_an_empty_database_says_what_to_do(runner: CliRunner, url: str) -> None:
    result = runner.invoke(main, ["verify"])
    assert result.exit_code == 1
    assert "no template applied to this database yet" in result.output


def test_sweep_releases_expired_locks(runner: CliRunner, url: str) -> None:
    prepared = prepare(url, STARTERS / "minimal")
    stock = Stock(prepared.engine, prepared.template)
    stock.create_sku(code="A-1")
    stock.receive("A-1", "MAIN", 5)
    stock.create_sku(code="B-2")
    stock.receive("B-2", "MAIN", 5)
    stock.lock("A-1", "MAIN", 2, expires_in=timedelta(seconds=-1))
    stock.lock("B-2", "MAIN", 2, now=datetime.now(UTC))
    prepared.engine.dispose()
    result = runner.invoke(main, ["sweep"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        "released 1 expired lock",
        "warnings: 0 opened, 0 reopened, 0 closed, 0 holding",
    ]


def test_users_and_tokens(runner: CliRunner, url: str) -> None:
    assert runner.invoke(main, ["apply", str(STARTERS / "minimal")]).exit_code == 0
    refused = runner.invoke(main, ["user", "add", "ann", "--role", "sale"])
    assert refused.exit_code == 1
    assert "unknown role 'sale' (did you mean 'sales'?)" in refused.output
    added = runner.invoke(main, ["user", "add", "ann", "--role", "sales"])
    assert added.exit_code == 0 and "password: " in added.output
    assert "exists already" in runner.invoke(main, ["user", "add", "ann", "--role", "sales"]).output
    created = runner.invoke(main, ["token", "create", "ann", "--name", "shop"])
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("sf_") and len(token) > 40
    from stockform.api.tokens import check_token
    from stockform.db import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        actor = check_token(connection, token)
    assert actor is not None and actor.username == "ann" and actor.roles == {"sales"}
    listed = runner.invoke(main, ["token", "list"]).output
    assert token[:10] in listed and token not in listed and "active" in listed
    assert runner.invoke(main, ["token", "revoke", "1"]).exit_code == 0
    with engine.connect() as connection:
        assert check_token(connection, token) is None
    assert "no active token 1" in runner.invoke(main, ["token", "revoke", "1"]).output
    engine.dispose()
