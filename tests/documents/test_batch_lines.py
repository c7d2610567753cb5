"""Batches on document lines, with the batches test template and two forms of its own: an
intake whose batch is typed freely (as a receipt's), and a pack whose lines take their batches
from the header's SKU."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from stockform.database import prepare
from stockform.documents.errors import InvalidTransition
from stockform.documents.service import Documents
from stockform.documents.users import Actor
from stockform.documents.validate import ValidationFailed
from stockform.stock.service import Stock
from stockform.stock.tables import Batch

BATCHES = Path(__file__).parents[1] / "data/templates/valid/batches"
ADMIN = Actor("root", frozenset({"admin"}))
EXPIRY = datetime.now(UTC).date() + timedelta(days=30)

FORMS = """
forms:
  intake:
    label: Intake
    fields:
      warehouse: {type: warehouse, required: true}
    lines:
      sku: {type: sku, required: true}
      batch: {type: text}
      qty: {type: decimal, required: true, min: 1}
    workflow: intake_flow
  pack:
    label: Pack
    fields:
      warehouse: {type: warehouse, required: true}
      sku: {type: sku, required: true}
    lines:
      batch: {type: batch, required: true}
      qty: {type: decimal, required: true, min: 1}
      best_before: {type: date, compute: batch.expiry}
    workflow: pack_flow
workflows:
  intake_flow:
    initial: draft
    transitions:
      confirm:
        from: draft
        to: done
        effects: [{move: {from: outside, to: available, kind: receipt}}]
  pack_flow:
    initial: draft
    transitions:
      damage:
        from: draft
        to: done
        effects: [{move: {from: available, to: damaged, sku: doc.sku}}]
"""


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[tuple[Documents, Stock]]:
    """MILK and CREAM (food) each with a batch at MAIN; HAMMER (tools) without batches."""
    folder = tmp_path / "template"
    shutil.copytree(BATCHES, folder)
    (folder / "batch_forms.yaml").write_text(FORMS, encoding="utf-8")
    prepared = prepare(database_url, folder)
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="MILK", category="food")
    stock.create_sku(code="CREAM", category="food")
    stock.create_sku(code="HAMMER", category="tools")
    stock.receive("MILK", "MAIN", 10, batch="L-1", expiry=EXPIRY)
    stock.receive("CREAM", "MAIN", 10, batch="C-1", expiry=EXPIRY + timedelta(days=5))
    yield Documents(prepared.engine, prepared.template, prepared.applied.version_id), stock
    prepared.engine.dispose()


def test_goods_from_outside_make_a_batch_only_with_its_expiry(
    shop: tuple[Documents, Stock],
) -> None:
    docs, stock = shop
    lines = [{"sku": "HAMMER", "qty": "2"}, {"sku": "MILK", "batch": "NEW", "qty": "3"}]
    draft = docs.create("intake", {"warehouse": "MAIN"}, lines, ADMIN)
    with pytest.raises(InvalidTransition) as refused:
        docs.act(draft.id, "confirm", ADMIN)
    assert str(refused.value) == "line 2: batch 'NEW' of MILK is new: it needs an expiry date"
    assert stock.row("HAMMER", "MAIN").buckets["available"] == 0
    with stock.engine.connect() as connection:
        assert connection.execute(select(Batch.id).where(Batch.code == "NEW")).first() is None


def test_a_lines_batch_may_belong_to_the_headers_sku(shop: tuple[Documents, Stock]) -> None:
    docs, stock = shop
    with pytest.raises(ValidationFailed) as refused:
        docs.create(
            "pack", {"warehouse": "MAIN", "sku": "MILK"}, [{"batch": "C-1", "qty": "1"}], ADMIN
        )
    assert str(refused.value) == "line 1, batch: no batch 'C-1' of MILK (did you mean 'L-1'?)"

    draft = docs.create(
        "pack", {"warehouse": "MAIN", "sku": "CREAM"}, [{"batch": "C-1", "qty": "4"}], ADMIN
    )
    assert draft.lines[0]["best_before"] == EXPIRY + timedelta(days=5)
    docs.act(draft.id, "damage", ADMIN)
    (row,) = stock.query(sku="CREAM", level="batch").items
    assert (row.batch, row.buckets["available"], row.buckets["damaged"]) == ("C-1", 6, 4)
