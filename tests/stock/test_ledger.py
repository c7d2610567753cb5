"""Posting movements: all or nothing, refusals that name the line, and verify/repair."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from stockform.stock.errors import InsufficientStock, InvalidMovement
from stockform.stock.ledger import Move, Place, post
from stockform.stock.service import Stock, figures
from stockform.stock.tables import Event, Movement, table_of
from stockform.stock.units import QuantityError


def movements(stock: Stock) -> int:
    with stock.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Movement)).scalar_one())


def test_receipt_then_figures(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 100, unit_cost="1.20")
    assert figures(stock.row("A-1", "MAIN")) == {
        "available": Decimal(100),
        "locked": Decimal(0),
        "physical": Decimal(100),
        "sellable": Decimal(95),
    }


def test_a_refused_set_leaves_nothing(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 10)
    before = movements(stock)
    ids = stock.ids("A-1", "MAIN")
    b2 = stock.ids("B-2", "MAIN")
    moves = [
        Move(ids[0], 4000, Place(ids[1], "available"), None, kind="sale"),
        Move(b2[0], 1000, Place(b2[1], "available"), None, kind="sale"),  # B-2 has none
    ]
    with pytest.raises(InsufficientStock) as raised, stock.engine.begin() as connection:
        post(connection, stock.template, moves)
    assert [str(s) for s in raised.value.shortages] == ["B-2 at MAIN: 1 requested, 0 available"]
    assert movements(stock) == before
    assert stock.row("A-1", "MAIN").buckets["available"] == 10


@pytest.mark.parametrize(
    ("move", "message"),
    [
        (Move(1, 0, None, Place(1, "available")), "a movement moves a positive quantity, not 0"),
        (Move(1, 5, None, None), "a movement cannot go from outside to outside"),
        (
            Move(1, 5, Place(1, "available"), Place(1, "available")),
            "a movement needs two different ends",
        ),
        (Move(1, 5, None, Place(1, "shelf")), "unknown bucket 'shelf'"),
    ],
)
def test_senseless_movements_are_refused(stock: Stock, move: Move, message: str) -> None:
    with pytest.raises(InvalidMovement) as raised, stock.engine.begin() as connection:
        post(connection, stock.template, [move])
    assert str(raised.value) == message


def test_quantities_finer_than_the_sku_allows_are_refused(stock: Stock) -> None:
    with pytest.raises(QuantityError) as raised:
        stock.receive("A-1", "MAIN", "1.5")
    assert str(raised.value) == "1.5 is finer than this SKU allows (whole units)"


def test_the_ledger_is_append_only_and_corrections_reverse(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 10)
    stock.move("A-1", 3, ("MAIN", "available"), None, kind="adjustment", note="broken jar")
    stock.move(
        "A-1",
        3,
        None,
        ("MAIN", "available"),
        kind="adjustment",
        reverses_id=2,
        note="found it after all",
    )
    with stock.engine.connect() as connection:
        rows = connection.execute(
            select(Movement.kind, Movement.qty, Movement.reverses_id).order_by(Movement.id)
        ).all()
    assert rows == [("receipt", 10000, None), ("adjustment", 3000, None), ("adjustment", 3000, 2)]
    assert stock.row("A-1", "MAIN").buckets["available"] == 10


def test_verify_finds_drift_and_repair_rewrites_it(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 10)
    assert stock.drift() == []
    with stock.engine.begin() as connection:
        connection.execute(
            text("UPDATE sf_balance SET b_available = 7000 WHERE b_available = 10000")
        )
    drifts = stock.drift()
    assert [(d.bucket, d.recorded, d.replayed) for d in drifts] == [
        ("available", 7000, 10000),
        # The stored quantities no longer match the tampered bucket either.
        ("physical (computed)", 10000, 7000),
        ("sellable (computed)", 5000, 2000),
    ]
    assert stock.repair(user="auditor") == drifts
    assert stock.drift() == []
    with stock.engine.connect() as connection:
        event = connection.execute(
            select(Event.kind, Event.user).where(Event.kind == "balances_repaired")
        ).one()
    assert tuple(event) == ("balances_repaired", "auditor")


def test_backdated_posting_is_refused_unless_loading_history(stock: Stock) -> None:
    from datetime import UTC, datetime, timedelta

    stock.receive("A-1", "MAIN", 10)
    earlier = datetime.now(UTC) - timedelta(days=3)
    with pytest.raises(InvalidMovement) as raised:
        stock.receive("A-1", "MAIN", 5, effective_at=earlier)
    assert "before the latest movement of this SKU at this warehouse" in str(raised.value)
    stock.receive("B-2", "MAIN", 5, effective_at=earlier)  # no later movement of B-2
    stock.receive("A-1", "MAIN", 5, effective_at=earlier, history=True)
    assert stock.row("A-1", "MAIN").buckets["available"] == 15


def test_movements_record_who_when_and_where_from(stock: Stock) -> None:
    stock.receive(
        "A-1",
        "MAIN",
        10,
        unit_cost="2",
        user="wh1",
        document_form="receipt",
        document_id=7,
        line_id=70,
    )
    with stock.engine.connect() as connection:
        row = connection.execute(select(table_of(Movement))).one()
    assert (row.kind, row.user, row.document_form, row.document_id, row.line_id) == (
        "receipt",
        "wh1",
        "receipt",
        7,
        70,
    )
    assert row.unit_cost == 20000 and row.template_version == stock.version_id
    assert row.recorded_at is not None and row.effective_at is not None
    assert row.from_bucket is None and row.to_bucket == "available"


def test_values_too_large_for_the_columns_are_refused(stock: Stock) -> None:
    with pytest.raises(QuantityError) as raised:
        stock.receive("A-1", "MAIN", "1" + "0" * 16)
    assert str(raised.value) == "10000000000000000 is too large (at most 1,000,000,000,000,000)"
    from stockform.stock.catalog import SkuInvalid

    with pytest.raises(SkuInvalid) as invalid:
        stock.create_sku(code="HUGE", list_price="1" + "0" * 16)
    assert invalid.value.errors == {
        "list_price": "10000000000000000 is too large (at most 1,000,000,000,000,000)"
    }
    assert stock.row("A-1", "MAIN").buckets["available"] == 0
