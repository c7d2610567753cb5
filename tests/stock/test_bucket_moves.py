"""The lock path's short statements write exactly what the general posting writes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from stockform.stock.errors import UnknownItem
from stockform.stock.locks import LockRequest
from stockform.stock.service import Stock, figures
from stockform.stock.tables import Lock, Movement, table_of
from stockform.stock.units import QuantityError

MOVEMENT = ("kind", "sku_id", "batch_id", "qty", "from_warehouse_id", "from_bucket")
MOVEMENT += ("to_warehouse_id", "to_bucket", "unit_cost", "reference", "user", "line_id")
LOCK = ("rule", "sku_id", "warehouse_id", "from_bucket", "to_bucket", "qty", "open_qty")
LOCK += ("status", "reference", "user", "line_id")


def rows(stock: Stock, table: Any, columns: tuple[str, ...], **where: Any) -> list[tuple[Any, ...]]:
    query = select(*(table.c[c] for c in columns)).order_by(table.c.id)
    query = query.where(*(table.c[k] == v for k, v in where.items()))
    with stock.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(query)]


def test_a_lock_by_code_writes_what_a_lock_by_ids_writes(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 100)
    a, wh, _ = stock.ids("A-1", "MAIN")
    by_code = stock.lock("A-1", "MAIN", 3, reference="r", user="ann", line_id=7)
    (by_ids,) = stock.lock_many([LockRequest(a, wh, 3000, reference="r", line_id=7)], user="ann")
    locks = table_of(Lock)
    assert rows(stock, locks, LOCK, id=by_code.id) == rows(stock, locks, LOCK, id=by_ids.id)
    assert rows(stock, locks, LOCK, id=by_code.id) == [
        ("order", a, wh, "available", "locked", 3000, 3000, "active", "r", "ann", 7)
    ]
    movements = table_of(Movement)
    made = [rows(stock, movements, MOVEMENT, lock_id=lock.id) for lock in (by_code, by_ids)]
    assert (
        made[0]
        == made[1]
        == [("lock", a, 0, 3000, wh, "available", wh, "locked", None, "r", "ann", 7)]
    )
    assert figures(stock.row("A-1", "MAIN"))["sellable"] == 89
    assert stock.drift() == []


def test_a_release_in_parts_records_each_part(stock: Stock) -> None:
    stock.receive("B-2", "MAIN", 10)
    lock = stock.lock("B-2", "MAIN", 10, reference="r")
    part = stock.release(lock.id, 4, user="bob")
    assert (part.qty, part.status) == (6000, "active")
    rest = stock.release(lock.id)
    assert (rest.qty, rest.status) == (0, "released")
    moved = rows(stock, table_of(Movement), ("kind", "qty", "to_bucket", "user"), lock_id=lock.id)
    assert moved == [
        ("lock", 10000, "locked", None),
        ("release", 4000, "available", "bob"),
        ("release", 6000, "available", None),
    ]
    assert figures(stock.row("B-2", "MAIN")) == {
        "available": 10,
        "locked": 0,
        "physical": 10,
        "sellable": 10,
    }
    assert stock.drift() == []


@pytest.mark.parametrize(
    ("sku", "warehouse", "qty", "error", "message"),
    [
        ("A-1", "MAIN", "1.5", QuantityError, "1.5 is finer than this SKU allows (whole units)"),
        ("A-1", "MAIN", "0.0001", QuantityError, "0.0001 has more than 3 decimals"),
        ("NOPE", "MAIN", "1", UnknownItem, "no SKU 'NOPE'"),
        ("A-1", "NOWHERE", "1", UnknownItem, "no warehouse 'NOWHERE'"),
    ],
)
def test_what_the_one_statement_declines_the_long_way_refuses_by_name(
    stock: Stock, sku: str, warehouse: str, qty: str, error: type[Exception], message: str
) -> None:
    stock.receive("A-1", "MAIN", 100)
    with pytest.raises(error) as raised:
        stock.lock(sku, warehouse, qty)
    assert str(raised.value) == message
    assert figures(stock.row("A-1", "MAIN"))["locked"] == Decimal(0)


def statements(stock: Stock, action: Callable[[], object]) -> list[str]:
    """The statements SQLite ran for action, as its driver saw them."""
    seen: list[str] = []

    def checkout(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(seen.append)

    def checkin(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(None)

    event.listen(stock.engine, "checkout", checkout)
    event.listen(stock.engine, "checkin", checkin)
    try:
        action()
    finally:
        event.remove(stock.engine, "checkout", checkout)
        event.remove(stock.engine, "checkin", checkin)
    shown = [s.split() for s in seen]
    return [" ".join(w[0:3:2] if w[0] == "INSERT" else w[:2]) for w in shown]


def test_a_lock_and_a_release_send_few_statements(stock: Stock) -> None:
    if stock.engine.dialect.name != "sqlite":
        pytest.skip("counted by SQLite's driver")
    stock.receive("B-2", "MAIN", 10)
    held: list[int] = []
    assert statements(stock, lambda: held.append(stock.lock("B-2", "MAIN", 1).id)) == [
        "BEGIN IMMEDIATE",
        "UPDATE sf_balance",
        "INSERT sf_lock",
        "INSERT sf_movement",
        "COMMIT",
    ]
    assert statements(stock, lambda: stock.release(held[0])) == [
        "BEGIN IMMEDIATE",
        "SELECT sf_lock.id,",
        "UPDATE sf_lock",
        "UPDATE sf_balance",
        "INSERT sf_movement",
        "COMMIT",
    ]
