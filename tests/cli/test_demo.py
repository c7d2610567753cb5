"""`stockform serve --demo`: the retail starter's demo data, loaded once through the real
engine, with every flow, warning and role having something to show."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from stockform.cli import main, serve_demo
from stockform.database import Prepared, Runtime, prepare
from stockform.demo import holdings
from stockform.documents.tables import Approval, Document, DocumentLine
from stockform.documents.users import authenticate
from stockform.paths import STARTERS
from stockform.stock.service import Stock
from stockform.stock.tables import Batch, Movement, Sku

RETAIL = STARTERS / "retail"


@dataclass
class Loaded:
    url: str
    instance: Path
    output: str
    prepared: Prepared

    @property
    def stock(self) -> Stock:
        p = self.prepared
        return Stock(p.engine, p.template, p.applied.version_id)


def _fresh_database(request: pytest.FixtureRequest, folder: Path) -> str:
    """tests/conftest.py's database_url, for a whole module: loading takes seconds."""
    if request.param == "sqlite":
        return f"sqlite:///{folder / 'demo.db'}"
    url: str = request.getfixturevalue("postgresql_url")
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def _serve(args: list[str], instance: Path) -> tuple[str, list[Any]]:
    """Run `stockform serve` with a stand-in for the blocking server; the output and apps."""
    apps: list[Any] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("werkzeug.serving.run_simple", lambda _h, _p, app, **_kw: apps.append(app))
        patch.setenv("STOCKFORM_INSTANCE_PATH", str(instance))
        result = CliRunner().invoke(main, ["serve", *args])
    for app in apps:
        app.extensions["stockform.runtime"].engine.dispose()
    assert result.exit_code == 0, result.output
    return result.output, apps


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    folder = tmp_path_factory.mktemp("demo")
    url = _fresh_database(request, folder)
    output, apps = _serve(["--demo", "--template", str(RETAIL), "--db", url], folder / "instance")
    assert len(apps) == 1  # the app was served after the demo was loaded
    prepared = prepare(url, RETAIL)
    yield Loaded(url, folder / "instance", output, prepared)
    prepared.engine.dispose()


def _logins(output: str) -> dict[str, tuple[str, str]]:
    """Username -> (password, roles) as serve printed them, admin's line included."""
    found = {m[1]: (m[2], m[3]) for m in re.finditer(r"^  (\S+) +(\S+) +(.+)$", output, re.M)}
    admin = re.search(r"^sign in as admin, password (\S+)", output, re.M)
    assert admin is not None, output
    return found | {"admin": (admin[1], "admin")}


def test_serve_loads_the_demo_and_prints_a_working_login_for_every_role(shop: Loaded) -> None:
    loaded = r"^demo: loaded 50 SKUs and \d+ documents in [\d.]+ s \(\d+ warnings\)$"
    assert re.search(loaded, shop.output, re.M)
    assert shop.output.index("demo: loaded") < shop.output.index("stockform is running")
    logins = _logins(shop.output)
    roles = [roles for _password, roles in logins.values()]
    assert roles.count("manager") == 2  # two managers, so the quorum of two can be shown
    assert set(roles) == {*shop.prepared.template.roles, "admin"}
    with shop.prepared.engine.connect() as connection:
        for username, (password, role) in logins.items():
            actor = authenticate(connection, username, password)
            assert actor is not None and actor.roles == {role}, username


def test_the_demo_opens_a_warning_for_every_story(shop: Loaded) -> None:
    """Low, overstocked, slow and expiring stock: the demo's stories, as its warnings."""
    with shop.prepared.engine.connect() as connection:
        rules = dict(
            connection.exec_driver_sql(
                "SELECT rule, count(*) FROM sf_warning WHERE state = 'open' GROUP BY rule"
            ).all()
        )
    for rule in ("low_stock", "overstock", "slow_moving", "expiring"):
        assert rules.get(rule, 0) >= 1, rules


def test_the_catalogue_has_fifty_skus_of_every_category_with_their_figures(shop: Loaded) -> None:
    skus, total = shop.stock.skus(per_page=1000)
    assert 45 <= total <= 60
    assert {s["category"] for s in skus} == {"food", "apparel", "electronics", "home"}
    figures = ["list_price", "unit_cost", "safety_stock", "min_stock", "max_stock"]
    figures += ["order_multiple", "lead_time_days"]
    for sku in skus:
        assert all(sku[name] is not None for name in figures), sku["code"]
        assert sku["min_stock"] < sku["max_stock"] and sku["unit_cost"] < sku["list_price"]
        assert (sku["shelf_life_days"] is not None) == (sku["category"] == "food")
        assert sku["barcode"]


def test_both_warehouses_hold_stock_and_the_ledger_matches_the_balances(shop: Loaded) -> None:
    stock = shop.stock
    assert stock.drift() == []
    rows = stock.query(per_page=1000, level="batch").items
    assert all(v >= 0 for row in rows for v in row.buckets.values())
    for warehouse in ("SH", "BJ"):
        here = [r for r in stock.query(warehouse=warehouse, per_page=1000).items]
        assert sum(1 for r in here if (r.quantities["physical"] or 0) > 0) >= 40, warehouse


def test_every_form_has_documents_in_several_states(shop: Loaded) -> None:
    with shop.prepared.engine.connect() as connection:
        rows = connection.execute(select(Document.form, Document.state).distinct()).all()
    states: dict[str, set[str]] = {}
    for form, state in rows:
        states.setdefault(form, set()).add(state)
    assert set(states) == set(shop.prepared.template.forms)
    assert all(len(found) >= 2 for found in states.values()), states
    assert {"draft", "approved", "shipped", "cancelled"} <= states["sales_order"]
    assert {"draft", "received", "cancelled"} <= states["receipt"]
    assert {"received", "inspected"} <= states["return"]
    assert {"in_transit", "received"} <= states["transfer"]
    assert {"approved", "counting"} <= states["stocktake"]
    assert {"posted", "submitted", "cancelled"} <= states["adjustment"]


def test_the_history_spans_ninety_days_up_to_now(shop: Loaded) -> None:
    with shop.prepared.engine.connect() as connection:
        first, last = connection.execute(
            select(func.min(Movement.effective_at), func.max(Movement.effective_at))
        ).one()
        kinds = set(connection.execute(select(Movement.kind).distinct()).scalars())
    assert last - first >= timedelta(days=85)
    assert last <= datetime.now(UTC)
    flows = {"receipt", "lock", "sale", "release", "return", "inspection", "transfer", "count"}
    assert flows | {"damage", "loss", "found", "expire"} <= kinds


def test_open_orders_hold_locks_and_goods_wait_in_quarantine_and_in_transit(
    shop: Loaded,
) -> None:
    active, _total = shop.stock.find_locks(status="active", per_page=1000)
    assert any(lock.expires_at is None for lock in active)  # paid: kept until shipped
    totals = {b: Decimal(0) for b in shop.prepared.template.stock.buckets}
    for row in shop.stock.query(per_page=1000).items:
        for bucket, qty in row.buckets.items():
            totals[bucket] += qty
    assert totals["quarantine"] > 0 and totals["in_transit"] > 0 and totals["damaged"] > 0
    with shop.prepared.engine.connect() as connection:
        transits = connection.execute(
            select(DocumentLine.data)
            .join(Document, Document.id == DocumentLine.document_id)
            .where(Document.form == "transfer", Document.state == "in_transit")
        ).scalars()
        partly = [x for x in transits if 0 < Decimal(x["received_total"]) < Decimal(x["qty"])]
    assert partly  # one transfer was received in part; the rest is still on its way


def test_warnings_have_low_overstocked_slow_and_expiring_stock_to_show(shop: Loaded) -> None:
    stock = shop.stock
    assert stock.query(where="sellable < sku.min_stock").total > 0
    assert stock.query(where="physical > sku.max_stock").total > 0
    soon = datetime.now(UTC).date() + timedelta(days=30)
    held = {
        (r.sku, r.batch)
        for r in stock.query(level="batch", where="available + locked > 0", per_page=1000).items
    }
    with shop.prepared.engine.connect() as connection:
        expiring = connection.execute(
            select(Sku.code, Batch.code)
            .join(Sku, Sku.id == Batch.sku_id)
            .where(Batch.expiry <= soon)
        ).all()
        last_sales = dict(
            connection.execute(
                select(Sku.code, func.max(Movement.effective_at))
                .join(Sku, Sku.id == Movement.sku_id)
                .where(Movement.kind == "sale")
                .group_by(Sku.code)
            ).all()
        )
    assert any(tuple(batch) in held for batch in expiring)
    in_stock = {r.sku for r in stock.query(where="physical > 0", per_page=1000).items}
    cutoff = datetime.now(UTC) - timedelta(days=60)
    slow = [code for code in in_stock if last_sales.get(code, cutoff) <= cutoff]
    assert slow


def test_batches_are_received_when_their_goods_came_in_the_history(shop: Loaded) -> None:
    # FIFO picking and ageing read received_at: it is the first receipt's time, not the load's.
    with shop.prepared.engine.connect() as connection:
        first_in = dict(
            connection.execute(
                select(Movement.batch_id, func.min(Movement.effective_at))
                .where(Movement.batch_id != 0, Movement.from_warehouse_id.is_(None))
                .group_by(Movement.batch_id)
            ).all()
        )
        received = dict(connection.execute(select(Batch.id, Batch.received_at)).all())
    assert received and set(received) == set(first_in)
    assert {b: _utc(at) for b, at in received.items()} == {
        b: _utc(at) for b, at in first_in.items()
    }
    assert min(map(_utc, received.values())) < datetime.now(UTC) - timedelta(days=60)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=moment.tzinfo or UTC)


def test_a_large_adjustment_waits_for_a_second_manager(shop: Loaded) -> None:
    with shop.prepared.engine.connect() as connection:
        waiting = connection.execute(
            select(Document.id, Document.totals).where(
                Document.form == "adjustment", Document.state == "submitted"
            )
        ).all()
        assert [Decimal(totals["total_value"]) > 5000 for _id, totals in waiting] == [True]
        approvals = connection.execute(
            select(Approval.user).where(
                Approval.document_id == waiting[0].id, Approval.spent.is_(False)
            )
        ).scalars()
        assert list(approvals) == ["manager"]


def test_stocktakes_post_small_variances(shop: Loaded) -> None:
    with shop.prepared.engine.connect() as connection:
        counts = connection.execute(select(Movement.qty).where(Movement.kind == "count")).scalars()
        assert all(0 < qty <= 2000 for qty in counts)  # thousandths: at most two pieces


def test_serving_again_says_the_demo_is_there_and_loads_nothing(shop: Loaded) -> None:
    before = holdings(shop.prepared.engine)
    p = shop.prepared
    runtime = Runtime(p.engine, p.template, p.applied.version_id)
    settings = {"INSTANCE_PATH": str(shop.instance), "DATABASE_URL": shop.url}
    lines: list[str] = []
    serve_demo(runtime, str(RETAIL), settings, lines.append)
    assert lines[0].startswith(f"demo: the database already holds {before[0]} SKUs")
    assert holdings(p.engine) == before
    assert any(line.startswith("  manager2 ") for line in lines)  # the logins still work


def test_a_template_without_demo_data_says_so_and_still_serves(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'minimal.db'}"
    minimal = str(STARTERS / "minimal")
    output, apps = _serve(["--demo", "--template", minimal, "--db", url], tmp_path / "instance")
    assert "template 'minimal' has no demo data" in output
    assert "--template templates_lib/retail" in output
    assert len(apps) == 1
