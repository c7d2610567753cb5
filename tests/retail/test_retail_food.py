"""Food in the retail starter: receipts name a batch and its expiry, orders lock the batch that
expires first, and the forms that take food back or move it name an existing batch."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
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

from stockform.documents.service import Documents
from stockform.documents.validate import ValidationFailed
from stockform.stock.errors import InsufficientStock
from stockform.stock.service import Stock


@pytest.mark.parametrize(
    ("received", "errors"),
    [
        (milk(5), ["line 1, batch: required", "line 1, expiry: required"]),
        (milk(5, batch="B1"), ["line 1, expiry: required"]),
        (milk(5, expiry=LATE), ["line 1, batch: required"]),
        (
            milk(5, batch="B1", expiry="someday"),
            ["line 1, expiry: 'someday' is not a date like 2026-01-31"],
        ),
    ],
)
def test_a_food_receipt_names_its_batch_and_expiry(
    docs: Documents, stock: Stock, received: dict[str, Any], errors: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        docs.create("receipt", {"warehouse": "SH"}, [received], WAREHOUSE)
    assert [str(e) for e in refused.value.errors] == errors
    assert stock.query(sku="MILK-1", level="batch").items == []


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
