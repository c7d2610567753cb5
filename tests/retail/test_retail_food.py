"""Food in the retail starter: receipts name a batch and its expiry, orders lock the batch that
expires first, and the forms that take food back or move it name an existing batch."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner
from retail_support import (
    EARLY,
    LATE,
    SALES,
    WAREHOUSE,
    expect,
    figures_at,
    milk,
    order,
    receive,
    tea,
)

from stockform.cli import main
from stockform.documents.errors import InvalidTransition
from stockform.documents.service import Documents
from stockform.documents.validate import ValidationFailed
from stockform.rules.listing import find_warnings
from stockform.stock.errors import InsufficientStock, InvalidMovement
from stockform.stock.service import Stock


@pytest.mark.parametrize(
    ("received", "error", "message"),
    [
        # A draft (a suggested order, say) may wait without them; confirming needs both: the
        # receipt's move refuses a food line without a batch, or a new batch without expiry.
        (milk(5), InvalidMovement, "MILK-1 is tracked by batch: name the batch"),
        (milk(5, batch="B1"), InvalidTransition, "batch 'B1' of MILK-1 is new"),
        (milk(5, expiry=LATE), InvalidMovement, "MILK-1 is tracked by batch: name the batch"),
    ],
)
def test_a_food_receipt_names_its_batch_and_expiry(
    docs: Documents, stock: Stock, received: dict[str, Any], error: type[Exception], message: str
) -> None:
    draft = docs.create("receipt", {"warehouse": "SH"}, [received], WAREHOUSE)
    with pytest.raises(error) as refused:
        docs.act(draft.id, "confirm", WAREHOUSE)
    assert message in str(refused.value)
    assert docs.get(draft.id).state == "draft"
    assert stock.query(sku="MILK-1", level="batch").items == []


def test_a_food_receipt_expiry_is_a_date_even_in_draft(docs: Documents) -> None:
    with pytest.raises(ValidationFailed) as refused:
        docs.create(
            "receipt", {"warehouse": "SH"}, [milk(5, batch="B1", expiry="someday")], WAREHOUSE
        )
    assert [str(e) for e in refused.value.errors] == [
        "line 1, expiry: 'someday' is not a date like 2026-01-31"
    ]


def test_food_is_received_by_batch_and_leaves_first_expired_first_out(
    docs: Documents, stock: Stock
) -> None:
    # The batch that expires later arrives first: FEFO, not FIFO, decides what is locked.
    rc = receive(docs, "SH", milk(30, batch="L-1", expiry=LATE), {**tea(1), "batch": "ignored"})
    assert [(x["batch"], x["expiry"]) for x in rc.lines] == [
        ("L-1", date.fromisoformat(LATE)),
        (None, None),
    ]
    receive(docs, "SH", milk(20, batch="E-1", expiry=EARLY))
    assert figures_at(stock, "MILK-1", "SH", "L-1") == expect(
        available=30, physical=30, sellable=30
    )
    assert figures_at(stock, "MILK-1", "SH", "E-1") == expect(
        available=20, physical=20, sellable=20
    )

    so = docs.act(order(docs, milk(25)).id, "submit", SALES)
    assert so.state == "approved"
    assert figures_at(stock, "MILK-1", "SH", "E-1") == expect(locked=20, physical=20)
    assert figures_at(stock, "MILK-1", "SH", "L-1") == expect(
        available=25, locked=5, physical=30, sellable=25
    )
    assert figures_at(stock, "MILK-1", "SH") == expect(
        available=25, locked=25, physical=50, sellable=25
    )

    docs.act(so.id, "confirm_payment", SALES)
    docs.act(so.id, "ship", WAREHOUSE)
    assert figures_at(stock, "MILK-1", "SH", "E-1") == expect()
    assert figures_at(stock, "MILK-1", "SH", "L-1") == expect(
        available=25, physical=25, sellable=25
    )
    assert figures_at(stock, "MILK-1", "SH") == expect(available=25, physical=25, sellable=25)


def test_an_order_refused_for_expired_food_says_how_much_can_be_promised(
    docs: Documents, stock: Stock
) -> None:
    # The clock says 2030-03-01: batch OLD expired a month ago.
    receive(
        docs,
        "SH",
        milk(10, batch="OLD", expiry="2030-02-01"),
        milk(3, batch="NEW", expiry="2030-05-01"),
    )
    draft = order(docs, milk(5))
    with pytest.raises(InsufficientStock) as refused:
        docs.act(draft.id, "submit", SALES)
    shortage = refused.value.shortages[0]
    assert (shortage.requested, shortage.available) == (5, 3)


def test_food_returns_transfers_and_counts_need_an_existing_batch(docs: Documents) -> None:
    receive(docs, "SH", milk(10, batch="E-1", expiry=EARLY))
    for form, fields in [
        ("return", {"customer": "Mr Wu", "warehouse": "SH"}),
        ("transfer", {"from_warehouse": "SH", "to_warehouse": "BJ"}),
        ("adjustment", {"warehouse": "SH", "reason": "damage"}),
    ]:
        with pytest.raises(ValidationFailed) as missing:
            docs.create(form, fields, [milk(1)], WAREHOUSE)
        assert str(missing.value) == "line 1, batch: required", form
        with pytest.raises(ValidationFailed) as unknown:
            docs.create(form, fields, [milk(1, batch="NOPE")], WAREHOUSE)
        assert str(unknown.value) == "line 1, batch: no batch 'NOPE' of MILK-1 (valid: E-1)", form
        assert docs.create(form, fields, [milk(1, batch="E-1")], WAREHOUSE).state == "draft"


def test_the_sweep_moves_an_expired_batch_out_of_sellable(
    docs: Documents, stock: Stock, retail_url: str
) -> None:
    receive(docs, "SH", milk(4, batch="NEW", expiry=LATE))
    stock.receive("MILK-1", "SH", 6, batch="OLD", expiry=date(2020, 1, 31), unit_cost="4")
    # Before the sweep the stored sellable still counts the old batch; a lock never takes it.
    assert figures_at(stock, "MILK-1", "SH") == expect(available=10, physical=10, sellable=10)

    result = CliRunner().invoke(main, ["sweep", "--db", retail_url])

    assert result.exit_code == 0, result.output
    assert "moved the goods of 1 expired batch row to expired" in result.output.splitlines()
    assert figures_at(stock, "MILK-1", "SH") == expect(
        available=4, expired=6, physical=10, sellable=4
    )
    assert figures_at(stock, "MILK-1", "SH", batch="OLD") == expect(expired=6, physical=6)
    with stock.engine.connect() as connection:
        found, _total = find_warnings(connection, stock.template, sku="MILK-1", state="open")
    assert [(w.rule, w.level, w.batch, w.message) for w in found] == [
        # Kept in the template's first locale (zh); the pages show the reader's.
        ("expired", "critical", "OLD", "SH 的 MILK-1 批次 OLD 已于 2020-01-31 过期，共 6 pcs")
    ]
