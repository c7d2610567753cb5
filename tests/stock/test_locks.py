"""Locks: the rule's check, all-or-nothing lines, expiry, keep, partial consume, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from stockform.stock.errors import InsufficientStock, InvalidMovement, LockStateError
from stockform.stock.locks import LockRequest
from stockform.stock.service import Stock, figures


def test_a_lock_moves_available_to_locked_and_sellable_drops(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 100)
    result = stock.lock("A-1", "MAIN", 30, reference="shop-1")
    assert result.status == "active" and result.qty == 30000
    assert result.expires_at is not None  # the minimal template's rule: 30 minutes
    assert figures(stock.row("A-1", "MAIN")) == {
        "available": 70,
        "locked": 30,
        "physical": 100,
        "sellable": 65,
    }
    assert stock.drift() == []


def test_the_check_uses_sellable_not_available(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 10)  # safety stock 5: sellable 5
    with pytest.raises(InsufficientStock) as raised:
        stock.lock("A-1", "MAIN", 6, line_id=11)
    (shortage,) = raised.value.shortages
    assert (shortage.sku, shortage.warehouse, shortage.bucket) == ("A-1", "MAIN", "sellable")
    assert (shortage.requested, shortage.available, shortage.line_id) == (6, 5, 11)
    stock.lock("A-1", "MAIN", 5)


def test_lines_lock_all_or_none(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 50)
    stock.receive("B-2", "MAIN", 2)
    a, wh, _ = stock.ids("A-1", "MAIN")
    b, _, _ = stock.ids("B-2", "MAIN")
    lines = [LockRequest(a, wh, 10_000, line_id=1), LockRequest(b, wh, 3_000, line_id=2)]
    with pytest.raises(InsufficientStock) as raised:
        stock.lock_many(lines)
    assert [s.line_id for s in raised.value.shortages] == [2]
    assert stock.row("A-1", "MAIN").buckets["locked"] == 0
    results = stock.lock_many([lines[0], LockRequest(b, wh, 2_000, line_id=2)])
    assert [r.qty for r in results] == [10_000, 2_000]


def test_every_short_line_is_named(stock: Stock) -> None:
    a, wh, _ = stock.ids("A-1", "MAIN")
    b, _, _ = stock.ids("B-2", "MAIN")
    with pytest.raises(InsufficientStock) as raised:
        stock.lock_many([LockRequest(b, wh, 1000, line_id=2), LockRequest(a, wh, 1000, line_id=1)])
    assert sorted(s.sku for s in raised.value.shortages) == ["A-1", "B-2"]
    assert "not enough stock: " in str(raised.value)


def test_an_expired_lock_never_blocks_a_sale(stock: Stock) -> None:
    stock.receive("B-2", "MAIN", 1)
    first = stock.lock("B-2", "MAIN", 1, reference="slow-payer")
    later = datetime.now(UTC) + timedelta(minutes=31)
    second = stock.lock("B-2", "MAIN", 1, reference="next", now=later)
    assert second.status == "active"
    with stock.engine.connect() as connection:
        from stockform.stock.locks import locks_of

        (expired,) = locks_of(connection, reference="slow-payer", active_only=False)
    assert (expired.id, expired.status, expired.open_qty) == (first.id, "expired", 0)
    assert stock.drift() == []


def test_sweep_releases_expired_locks_and_keep_protects_one(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 20)
    kept = stock.lock("A-1", "MAIN", 5)
    stock.lock("A-1", "MAIN", 5)
    assert stock.keep(kept.id).expires_at is None
    assert stock.sweep(now=datetime.now(UTC) + timedelta(hours=1)) == 1
    assert stock.row("A-1", "MAIN").buckets["locked"] == 5
    assert stock.sweep(now=datetime.now(UTC) + timedelta(days=1)) == 0


def test_consume_in_parts_then_the_lock_is_done(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 20)
    lock = stock.lock("A-1", "MAIN", 10)
    assert stock.consume(lock.id, 4).qty == 6000
    assert figures(stock.row("A-1", "MAIN"))["physical"] == 16
    done = stock.consume(lock.id)
    assert (done.qty, done.status) == (0, "consumed")
    with pytest.raises(LockStateError) as raised:
        stock.release(lock.id)
    assert str(raised.value) == f"lock {lock.id} is consumed, not active"


def test_release_gives_stock_back(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 20)
    lock = stock.lock("A-1", "MAIN", 10)
    with pytest.raises(LockStateError):
        stock.release(lock.id, 11)
    assert stock.release(lock.id).status == "released"
    assert figures(stock.row("A-1", "MAIN"))["sellable"] == 15


def test_unknown_rule_is_refused(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 20)
    with pytest.raises(InvalidMovement) as raised:
        stock.lock("A-1", "MAIN", 1, rule="backorder")
    assert str(raised.value) == "unknown lock rule 'backorder'"
    assert Decimal(0) == stock.row("A-1", "MAIN").buckets["locked"]
