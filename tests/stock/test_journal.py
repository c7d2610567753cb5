"""Reading the ledger after a cursor: posting order, codes, filters, no skipped late commit."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from stockform.stock.journal import Entry
from stockform.stock.ledger import Move, Place, post
from stockform.stock.service import Stock


def test_entries_come_in_posting_order_with_codes(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 10, unit_cost="1.5")
    result = stock.lock("A-1", "MAIN", 4, reference="o-1", expires_in=timedelta(minutes=5))
    stock.consume(result.id, 1)
    entries = stock.entries()
    assert [(e.kind, e.sku, e.qty, e.from_bucket, e.to_bucket) for e in entries] == [
        ("receipt", "A-1", 10, None, "available"),
        ("lock", "A-1", 4, "available", "locked"),
        ("sale", "A-1", 1, "locked", None),
    ]
    assert (entries[0].unit_cost, entries[0].to_warehouse, entries[0].from_warehouse) == (
        Decimal("1.5"),
        "MAIN",
        None,
    )
    assert (entries[1].lock_id, entries[1].reference) == (result.id, "o-1")
    assert all(e.recorded_at.tzinfo is not None for e in entries)


def test_the_cursor_and_filters(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 1)
    stock.receive("B-2", "MAIN", 2)
    stock.receive("A-1", "MAIN", 3)
    first = stock.entries(limit=1)
    assert [e.qty for e in first] == [1]
    assert [e.qty for e in stock.entries(first[-1].id)] == [2, 3]
    assert [e.qty for e in stock.entries(sku="A-1")] == [1, 3]
    assert stock.entries(warehouse="ELSEWHERE") == []


def test_a_reader_waits_for_an_open_posting_on_postgresql(stock: Stock) -> None:
    if stock.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time, so ids already commit in order")
    sku_id, warehouse_id, _ = stock.ids("A-1", "MAIN")
    slow = stock.engine.connect()
    transaction = slow.begin()
    post(slow, stock.template, [Move(sku_id, 1000, None, Place(warehouse_id, "available"))])
    stock.receive("B-2", "MAIN", 1)  # a later id, committed first
    seen: list[list[Entry]] = []
    reader = threading.Thread(target=lambda: seen.append(stock.entries()))
    reader.start()
    reader.join(timeout=1.0)
    assert reader.is_alive()
    transaction.commit()
    slow.close()
    reader.join(timeout=30)
    assert [e.sku for e in seen[0]] == ["A-1", "B-2"]
