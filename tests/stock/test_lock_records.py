"""Locks as people know them: by reference and codes, with their owner and what they hold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stockform.stock.errors import UnknownItem
from stockform.stock.service import Stock


def test_find_by_reference_status_and_codes(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 50)
    stock.receive("B-2", "MAIN", 50)
    first = stock.lock("A-1", "MAIN", 3, reference="o-1", expires_in=timedelta(minutes=5))
    second = stock.lock("B-2", "MAIN", 2, reference="o-1")
    stock.lock("A-1", "MAIN", 1, reference="o-2")
    stock.release(second.id)
    found, total = stock.find_locks(reference="o-1")
    assert ([lock.id for lock in found], total) == ([first.id, second.id], 2)
    assert [lock.status for lock in found] == ["active", "released"]
    assert stock.find_locks(sku="A-1", status="active")[1] == 2
    assert stock.find_locks(warehouse="MAIN", per_page=1, page=3)[0][0].reference == "o-2"
    record = stock.lock_record(first.id)
    assert (record.sku, record.warehouse, record.qty, record.open_qty, record.rule) == (
        "A-1",
        "MAIN",
        3,
        3,
        "order",
    )
    assert record.expires_at is not None and record.expires_at.tzinfo is not None
    assert not record.owned_by_document


def test_an_unknown_lock(stock: Stock) -> None:
    with pytest.raises(UnknownItem) as raised:
        stock.lock_record(999)
    assert str(raised.value) == "no lock 999"
