"""A batch belongs to one SKU: MILK and YOGURT may both have a lot L1. A line's batch field
names a batch of the line's SKU; only goods from outside make a new batch, with its expiry; and
a batch is received at the documents' time, not the wall clock's."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

import pytest
from retail_support import EARLY, LATE, START, WAREHOUSE, Clock, expect, figures_at, line, milk
from retail_support import receive as receive_lines
from sqlalchemy import select, update

from stockform.database import Prepared
from stockform.documents.errors import InvalidTransition
from stockform.documents.lookups import DatabaseLookups
from stockform.documents.service import Documents, DocumentView
from stockform.documents.tables import DocumentLine
from stockform.documents.validate import ValidationFailed, field_env
from stockform.stock.service import Stock
from stockform.stock.tables import Batch, Sku, table_of

SOON = "2099-03-31"


def yogurt(qty: int, **more: str) -> dict[str, Any]:
    return line("YOG-1", qty, **more)


@pytest.fixture
def lots(docs: Documents, stock: Stock) -> Documents:
    """MILK-1 has lots L1 (EARLY) and L2 (LATE) at SH, YOG-1 (food too) L1 (SOON) and Y-0301."""
    stock.create_sku(code="YOG-1", name="Yogurt", category="food", list_price="6", unit_cost="3")
    receive_lines(
        docs,
        "SH",
        milk(10, batch="L1", expiry=EARLY),
        milk(10, batch="L2", expiry=LATE),
        yogurt(10, batch="L1", expiry=SOON),
        yogurt(10, batch="Y-0301", expiry=LATE),
    )
    return docs


TRANSFER = ("transfer", {"from_warehouse": "SH", "to_warehouse": "BJ"})
RETURN = ("return", {"customer": "Mr Wu", "warehouse": "SH"})
ADJUSTMENT = ("adjustment", {"warehouse": "SH", "reason": "damage"})
STOCKTAKE = ("stocktake", {"warehouse": "SH"})


@pytest.mark.parametrize(
    ("form", "lines", "errors"),
    [
        pytest.param(
            TRANSFER,
            [milk(1, batch="L1"), yogurt(1, batch="L2")],
            ["line 2, batch: no batch 'L2' of YOG-1 (valid: L1, Y-0301)"],
            id="another-skus-batch",
        ),
        pytest.param(
            ADJUSTMENT,
            [yogurt(1, batch="Y-0310")],
            ["line 1, batch: no batch 'Y-0310' of YOG-1 (did you mean 'Y-0301'?)"],
            id="did-you-mean",
        ),
        pytest.param(
            RETURN,
            [milk(1, batch="Y-0301"), yogurt(1, batch="Y-0301")],
            ["line 1, batch: no batch 'Y-0301' of MILK-1 (valid: L1, L2)"],
            id="one-sku-has-it",
        ),
        pytest.param(
            STOCKTAKE,
            [line("TEA-01", batch="L1")],
            [],
            id="a-sku-without-batches-hides-and-clears-it",
        ),
        pytest.param(
            RETURN,
            [{"batch": "L1", "qty": "1"}],
            ["line 1, sku: required"],
            id="no-sku",
        ),
    ],
)
def test_a_batch_field_takes_only_a_batch_of_the_lines_sku(
    lots: Documents,
    form: tuple[str, dict[str, str]],
    lines: list[dict[str, Any]],
    errors: list[str],
) -> None:
    if not errors:
        saved = lots.create(*form, lines, WAREHOUSE)
        assert [x["batch"] for x in saved.lines] == [None]
        return
    with pytest.raises(ValidationFailed) as refused:
        lots.create(*form, lines, WAREHOUSE)
    assert [str(e) for e in refused.value.errors] == errors


def test_batch_expiry_is_that_of_the_lines_sku(lots: Documents, retail: Prepared) -> None:
    lines = retail.template.forms["transfer"].lines
    with retail.engine.connect() as connection:
        lookups = DatabaseLookups(connection, retail.template)
        expiry = {
            sku: field_env(lines, {"sku": sku, "batch": "L1"}, lookups, {})["batch"]["expiry"]
            for sku in ("MILK-1", "YOG-1")
        }
        # A line without a SKU field of its own takes its batches from the header's SKU.
        without_sku = {n: s for n, s in lines.items() if n != "sku"}
        by_header = field_env(without_sku, {"batch": "L1"}, lookups, {}, owner="YOG-1")
    assert expiry == {"MILK-1": date.fromisoformat(EARLY), "YOG-1": date.fromisoformat(SOON)}
    assert by_header["batch"]["expiry"] == date.fromisoformat(SOON)


def _stale(retail: Prepared, view: DocumentView, **values: str) -> None:
    """Give the document's first line values saved before batches were checked."""
    table = table_of(DocumentLine)
    with retail.engine.begin() as connection:
        line_id = view.lines[0]["id"]
        data = connection.execute(select(table.c.data).where(table.c.id == line_id)).scalar_one()
        connection.execute(
            update(table).where(table.c.id == line_id).values(data={**data, **values})
        )


def test_goods_never_leave_a_batch_their_sku_does_not_have(
    lots: Documents, retail: Prepared, stock: Stock
) -> None:
    # Before, a YOGURT transfer naming MILK's L2 shipped... into "not enough stock".
    draft = lots.create(*TRANSFER, [yogurt(2, batch="L1")], WAREHOUSE)
    _stale(retail, draft, batch="L2")
    with pytest.raises(InvalidTransition) as refused:
        lots.act(draft.id, "ship", WAREHOUSE)
    assert str(refused.value) == "line 1: no batch 'L2' of YOG-1"
    assert figures_at(stock, "YOG-1", "SH") == expect(available=20, physical=20, sellable=20)
    with retail.engine.connect() as connection:
        assert connection.execute(select(Batch.code).where(Batch.code == "L2")).all() == [("L2",)]


def test_goods_found_never_make_a_batch(lots: Documents, retail: Prepared, stock: Stock) -> None:
    # A found adjustment names a batch the SKU has; one saved naming another is refused by
    # the next action, and no batch is made.
    draft = lots.create(
        "adjustment", {"warehouse": "SH", "reason": "found"}, [milk(3, batch="L1")], WAREHOUSE
    )
    _stale(retail, draft, batch="NEW")
    with pytest.raises(ValidationFailed) as refused:
        lots.act(draft.id, "submit", WAREHOUSE)  # posts at once: worth 12
    assert str(refused.value) == "line 1, batch: no batch 'NEW' of MILK-1 (valid: L1, L2)"
    assert lots.get(draft.id, WAREHOUSE).state == "draft"
    assert figures_at(stock, "MILK-1", "SH") == expect(available=20, physical=20, sellable=20)
    with retail.engine.connect() as connection:
        assert connection.execute(select(Batch.id).where(Batch.code == "NEW")).first() is None


def test_a_receipt_never_changes_a_batchs_expiry(lots: Documents, stock: Stock) -> None:
    draft = lots.create(
        "receipt",
        {"warehouse": "SH"},
        [milk(5, batch="L2", expiry=LATE), milk(5, batch="L1", expiry=LATE)],
        WAREHOUSE,
    )
    with pytest.raises(InvalidTransition) as refused:
        lots.act(draft.id, "confirm", WAREHOUSE)
    assert str(refused.value) == f"line 2: batch 'L1' of MILK-1 expires on {EARLY}, not {LATE}"
    assert figures_at(stock, "MILK-1", "SH", "L1") == expect(available=10, physical=10, sellable=10)
    receive_lines(lots, "SH", milk(5, batch="L1", expiry=EARLY))
    assert figures_at(stock, "MILK-1", "SH", "L1") == expect(available=15, physical=15, sellable=15)


def test_a_batch_is_received_at_the_documents_time(
    docs: Documents, retail: Prepared, clock: Clock
) -> None:
    receive_lines(docs, "SH", milk(5, batch="A", expiry=LATE))
    clock.advance(days=3)
    receive_lines(docs, "SH", milk(5, batch="B", expiry=LATE), milk(1, batch="A", expiry=LATE))
    with retail.engine.connect() as connection:
        found = connection.execute(
            select(Batch.code, Batch.received_at)
            .join(Sku, Sku.id == Batch.sku_id)
            .where(Sku.code == "MILK-1")
            .order_by(Batch.code)
        ).all()
    received = {code: at.replace(tzinfo=at.tzinfo or UTC) for code, at in found}
    # START is years from the wall clock: the batches are received when the documents say.
    assert received == {"A": START, "B": START + timedelta(days=3)}
