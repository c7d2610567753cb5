"""Suggestions turned into draft documents (one order per warehouse, one transfer per pair; all
or none; the actor's permissions), applying a suggested safety stock (admin only, recorded),
and the retail starter's food receipts, which may wait in draft without a batch."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from replenishment_support import ADMIN, BUYER, CLERK, Shop, d, open_shop
from sqlalchemy import func, select

from stockform.database import prepare
from stockform.documents.errors import Forbidden, InvalidTransition
from stockform.documents.service import Documents
from stockform.documents.tables import Document
from stockform.paths import STARTERS
from stockform.rules.drafting import SAFETY_STOCK_EVENT
from stockform.rules.functions import FUNCTIONS
from stockform.rules.replenishment import (
    Pick,
    ReplenishmentError,
    apply_safety_stock,
    draft_documents,
)
from stockform.spec.template import load_template
from stockform.stock.errors import InvalidMovement
from stockform.stock.service import Stock
from stockform.stock.tables import Event, table_of


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[Shop]:
    found = open_shop(database_url, tmp_path)
    for code in ("TEA", "CUP", "LAMP"):
        found.sku(code)
    yield found
    found.prepared.engine.dispose()


def documents(shop: Shop) -> int:
    with shop.prepared.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Document)).scalar_one())


def test_one_order_per_warehouse_and_one_transfer_per_pair(shop: Shop) -> None:
    picks = [
        Pick("TEA", "SH", d("40")),
        Pick("LAMP", "SH", d("10"), from_warehouse="BJ"),
        Pick("CUP", "SH", d("72")),
        Pick("CUP", "BJ", d("12")),
        Pick("TEA", "SH", d("2")),  # the same line again: added up
    ]
    drafted = draft_documents(shop.documents, picks, BUYER)
    assert [(v.form, v.state, v.fields) for v in drafted] == [
        ("receipt", "draft", {"warehouse": "BJ", "supplier": None}),
        ("receipt", "draft", {"warehouse": "SH", "supplier": None}),
        ("transfer", "draft", {"from_warehouse": "BJ", "to_warehouse": "SH"}),
    ]
    lines = [[(line["sku"], line["qty"]) for line in v.lines] for v in drafted]
    assert lines == [[("CUP", d("12"))], [("TEA", d("42")), ("CUP", d("72"))], [("LAMP", 10)]]
    # Fields the picks do not set take their defaults (`arriving` defaults to the quantity).
    assert drafted[0].lines[0]["arriving"] == d("12")
    assert {v.created_by for v in drafted} == {"bo"}


@pytest.mark.parametrize(
    ("pick", "field", "message"),
    [
        (Pick("TAE", "SH", d("1")), "sku", "pick 2: unknown SKU 'TAE' (did you mean 'TEA'?)"),
        (
            Pick("TEA", "HS", d("1")),
            "warehouse",
            "pick 2: unknown warehouse 'HS' (valid: BJ, GZ, SH)",
        ),
        (
            Pick("TEA", "SH", d("1"), from_warehouse="SH"),
            "from_warehouse",
            "pick 2: a transfer needs two different warehouses",
        ),
        (Pick("TEA", "SH", d("0")), "qty", "pick 2: the quantity must be more than 0"),
        (
            Pick("TEA", "SH", d("1.5")),
            "qty",
            "pick 2: 1.5 is finer than this SKU allows (whole units)",
        ),
    ],
)
def test_a_bad_pick_drafts_nothing(shop: Shop, pick: Pick, field: str, message: str) -> None:
    with pytest.raises(ReplenishmentError) as caught:
        draft_documents(shop.documents, [Pick("CUP", "BJ", d("12")), pick], BUYER)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert documents(shop) == 0


def test_permissions_apply_and_a_refusal_undoes_the_others(shop: Shop) -> None:
    with pytest.raises(Forbidden):
        draft_documents(shop.documents, [Pick("TEA", "SH", d("1"))], CLERK)
    # The buyer works in SH and BJ only: BJ's order is made first, then GZ's is refused, and
    # BJ's is rolled back with it.
    picks = [Pick("TEA", "BJ", d("1")), Pick("TEA", "GZ", d("1"))]
    with pytest.raises(Forbidden):
        draft_documents(shop.documents, picks, BUYER)
    assert documents(shop) == 0
    assert len(draft_documents(shop.documents, picks, ADMIN)) == 2


def test_nothing_to_draft(shop: Shop) -> None:
    with pytest.raises(ReplenishmentError) as caught:
        draft_documents(shop.documents, [], BUYER)
    assert caught.value.field is None


def test_apply_safety_stock_is_recorded(shop: Shop) -> None:
    with shop.prepared.engine.begin() as connection:
        apply_safety_stock(connection, shop.template, "TEA", Decimal("8"), ADMIN)
    assert shop.stock.sku("TEA")["safety_stock"] == d("8")
    events = table_of(Event)
    with shop.prepared.engine.connect() as connection:
        rows = connection.execute(
            select(events.c.user, events.c.detail).where(events.c.kind == SAFETY_STOCK_EVENT)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("ada", {"sku": "TEA", "field": "safety_stock", "from": "0", "to": "8"})
    ]


@pytest.mark.parametrize(
    ("sku", "value", "actor", "error", "field"),
    [
        ("TEA", "8", BUYER, Forbidden, None),
        ("TAE", "8", ADMIN, ReplenishmentError, "sku"),
        ("TEA", "-1", ADMIN, ReplenishmentError, "value"),
    ],
)
def test_apply_safety_stock_refused(
    shop: Shop, sku: str, value: str, actor: object, error: type[Exception], field: str | None
) -> None:
    with shop.prepared.engine.begin() as connection, pytest.raises(error) as caught:
        apply_safety_stock(connection, shop.template, sku, Decimal(value), actor)  # type: ignore[arg-type]
    if field is not None:
        assert getattr(caught.value, "field", None) == field
    assert shop.stock.sku("TEA")["safety_stock"] == 0


def test_retail_food_receipt_waits_in_draft_without_a_batch(
    database_url: str, tmp_path: Path
) -> None:
    load_template(STARTERS / "retail", FUNCTIONS)  # the starter checks
    prepared = prepare(database_url, STARTERS / "retail")
    try:
        stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
        stock.create_sku(code="MILK", name="Milk", category="food")
        docs = Documents(prepared.engine, prepared.template, prepared.applied.version_id)
        (receipt,) = draft_documents(docs, [Pick("MILK", "SH", d("24"))], ADMIN)
        assert receipt.state == "draft"
        # Confirming still needs them: the receipt's move refuses a food line without a batch,
        # or with a new batch without its expiry, and the document stays a draft.
        with pytest.raises(InvalidMovement, match="tracked by batch"):
            docs.act(receipt.id, "confirm", ADMIN)
        docs.update(receipt.id, ADMIN, lines=[{"id": receipt.lines[0]["id"], "batch": "B1"}])
        with pytest.raises(InvalidTransition, match="needs an expiry date"):
            docs.act(receipt.id, "confirm", ADMIN)
        assert docs.get(receipt.id).state == "draft"
    finally:
        prepared.engine.dispose()
