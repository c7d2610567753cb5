"""Expired batches: the sweep moves what they still have to promise into the template's
`expired_to` bucket, so sellable stops counting goods no lock can take, while physical stock,
locked goods and the ledger stay whole."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from stockform.database import prepare
from stockform.stock.service import Stock
from stockform.stock.tables import Batch, Movement
from stockform.stock.verify import find_drift

BATCHES = Path(__file__).parents[1] / "data/templates/valid/batches"
NOW = datetime.now(UTC)
TODAY = NOW.date()


def with_expired_bucket(folder: Path, expired_to: bool = True) -> Path:
    """The batches template with an `expired` bucket counted in physical stock."""
    shutil.copytree(BATCHES, folder)
    path = folder / "template.yaml"
    text = path.read_text(encoding="utf-8")
    tracking = "picking: FEFO, expired_to: expired}" if expired_to else "picking: FEFO}"
    text = text.replace("picking: FEFO}", tracking)
    text = text.replace(
        "    in_transit: {label: {en: In transit, zh: 在途}}\n",
        "    in_transit: {label: {en: In transit, zh: 在途}}\n"
        "    expired: {label: {en: Expired, zh: 已过期}}\n",
    )
    text = text.replace(
        "physical: available + locked + quarantine + damaged",
        "physical: available + locked + quarantine + damaged + expired",
    )
    path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[Stock]:
    prepared = prepare(database_url, with_expired_bucket(tmp_path / "shop"))
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="MILK", category="food")
    yield stock
    prepared.engine.dispose()


def milk(shop: Stock, warehouse: str = "MAIN") -> dict[str, Decimal]:
    row = shop.row("MILK", warehouse)
    return {**row.buckets, **row.quantities}


def test_expired_goods_leave_sellable_and_stay_physical(shop: Stock) -> None:
    shop.receive("MILK", "MAIN", 5, batch="OLD", expiry=TODAY - timedelta(days=1), unit_cost="1")
    shop.receive("MILK", "MAIN", 3, batch="TODAY", expiry=TODAY, unit_cost="1")
    shop.receive("MILK", "NORTH", 4, batch="OLD", expiry=TODAY - timedelta(days=1), unit_cost="1")
    before = milk(shop)
    assert (before["sellable"], before["physical"]) == (8, 8)  # what the sweep corrects

    moved = shop.expire_batches(NOW)

    assert moved == 2  # OLD at MAIN and at NORTH; TODAY's batch is good through today
    after = milk(shop)
    assert (after["available"], after["expired"]) == (3, 5)
    assert (after["sellable"], after["physical"]) == (3, 8)
    assert (milk(shop, "NORTH")["available"], milk(shop, "NORTH")["expired"]) == (0, 4)
    with shop.engine.connect() as connection:
        kinds = connection.execute(
            select(Movement.kind, Movement.from_bucket, Movement.to_bucket, Batch.code)
            .join(Batch, Batch.id == Movement.batch_id)
            .where(Movement.kind == "expiry")
        ).all()
    assert sorted(kinds) == [("expiry", "available", "expired", "OLD")] * 2
    with shop.engine.connect() as connection:
        assert find_drift(connection, shop.template) == []


def test_locked_goods_of_an_expired_batch_stay_locked(shop: Stock) -> None:
    shop.receive("MILK", "MAIN", 5, batch="B", expiry=TODAY + timedelta(days=2), unit_cost="1")
    assert shop.lock("MILK", "MAIN", 2, reference="order-1").status == "active"
    later = NOW + timedelta(days=3)  # the batch expired yesterday

    assert shop.expire_batches(later) == 1

    after = milk(shop)
    assert (after["available"], after["locked"], after["expired"]) == (0, 2, 3)
    assert after["physical"] == 5
    assert shop.expire_batches(later) == 0  # nothing left to move: a second sweep is a no-op


def test_only_batch_rows_of_expired_batches_move(shop: Stock) -> None:
    shop.create_sku(code="HAMMER", category="tools")
    shop.receive("HAMMER", "MAIN", 7, unit_cost="2")
    shop.receive("MILK", "MAIN", 2, batch="FRESH", expiry=TODAY + timedelta(days=9))
    assert shop.expire_batches(NOW) == 0
    assert milk(shop)["available"] == 2
    assert shop.row("HAMMER", "MAIN").buckets["available"] == 7


def test_rows_move_in_batches_of_the_given_size(shop: Stock) -> None:
    for n in range(5):
        shop.create_sku(code=f"M-{n}", category="food")
        shop.receive(f"M-{n}", "MAIN", 1, batch=f"L{n}", expiry=TODAY - timedelta(days=3))
    assert shop.expire_batches(NOW, batch_size=2) == 5
    assert all(shop.row(f"M-{n}", "MAIN").buckets["expired"] == 1 for n in range(5))


def test_a_template_without_expired_to_moves_nothing(database_url: str, tmp_path: Path) -> None:
    prepared = prepare(database_url, with_expired_bucket(tmp_path / "shop", expired_to=False))
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="MILK", category="food")
    stock.receive("MILK", "MAIN", 5, batch="OLD", expiry=TODAY - timedelta(days=1))
    try:
        assert stock.expire_batches(NOW) == 0
        assert stock.row("MILK", "MAIN").buckets["available"] == 5
    finally:
        prepared.engine.dispose()
