"""Batches: which SKUs track them, FEFO picking that never takes an expired batch, named batches,
shipping exactly what a lock holds, batch and total stock lists, back-dating, precision."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from stockform.database import prepare
from stockform.stock.columns import stock_tables
from stockform.stock.errors import InsufficientStock, InvalidMovement, StockError, UnknownItem
from stockform.stock.locks import LockRequest
from stockform.stock.service import Stock
from stockform.stock.tables import Batch, Lock, Movement, Sku
from stockform.stock.units import QuantityError

BATCHES = Path(__file__).parents[1] / "data/templates/valid/batches"
TODAY = datetime.now(UTC).date()
EARLY, MIDDLE, LATE = (TODAY + timedelta(days=d) for d in (10, 30, 60))


@pytest.fixture
def shop(database_url: str) -> Iterator[Stock]:
    """The batches template: MILK is food (batches, FEFO), HAMMER and ROPE are tools."""
    prepared = prepare(database_url, BATCHES)
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="MILK", category="food")
    stock.create_sku(code="HAMMER", category="tools", safety_stock="5")
    stock.create_sku(code="ROPE", category="tools", precision=1)
    yield stock
    prepared.engine.dispose()


def receive_milk(shop: Stock, *batches: tuple[str, int, date], warehouse: str = "MAIN") -> None:
    for code, qty, expiry in batches:
        shop.receive("MILK", warehouse, qty, batch=code, expiry=expiry, unit_cost="1")


def batch_id(shop: Stock, code: str) -> int:
    with shop.engine.connect() as connection:
        return int(connection.execute(select(Batch.id).where(Batch.code == code)).scalar_one())


def batches_moved(shop: Stock, lock_id: int, kind: str) -> dict[str, int]:
    """Whole units per batch code that movements of kind moved for a lock."""
    with shop.engine.connect() as connection:
        rows = connection.execute(
            select(Batch.code, Movement.qty)
            .join(Batch, Batch.id == Movement.batch_id)
            .where(Movement.lock_id == lock_id, Movement.kind == kind)
        ).all()
    moved: dict[str, int] = {}
    for code, qty in rows:
        moved[code] = moved.get(code, 0) + qty // 1000
    return moved


def snapshot(shop: Stock) -> tuple[list[Any], int, int]:
    """Every balance row, the number of movements and of locks: what a refusal must not touch."""
    balance = stock_tables(shop.template).balance
    with shop.engine.connect() as connection:
        rows = connection.execute(select(balance).order_by(balance.c.id)).all()
        movements = connection.execute(select(func.count()).select_from(Movement)).scalar_one()
        locks = connection.execute(select(func.count()).select_from(Lock)).scalar_one()
    return [tuple(r) for r in rows], movements, locks


def available(shop: Stock, sku: str, warehouse: str = "MAIN") -> Decimal:
    return shop.row(sku, warehouse).buckets["available"]


# -- which SKUs track batches


@pytest.mark.parametrize(("category", "tracked"), [("food", True), ("tools", False)])
def test_tracking_follows_the_template_condition(shop: Stock, category: str, tracked: bool) -> None:
    shop.create_sku(code="NEW", category=category)
    with shop.engine.connect() as connection:
        found = connection.execute(select(Sku.batches).where(Sku.code == "NEW")).scalar_one()
    assert found is tracked


def test_receipt_records_batch_and_expiry(shop: Stock) -> None:
    receive_milk(shop, ("L-1", 4, EARLY), ("L-2", 6, LATE))
    shop.receive("MILK", "MAIN", 1, batch="L-1")  # more of a known batch
    with shop.engine.connect() as connection:
        found = connection.execute(select(Batch.code, Batch.expiry).order_by(Batch.code)).all()
    assert [tuple(r) for r in found] == [("L-1", EARLY), ("L-2", LATE)]
    assert available(shop, "MILK") == 11


def test_a_sku_without_batches_refuses_a_batch_code(shop: Stock) -> None:
    with pytest.raises(InvalidMovement):
        shop.receive("HAMMER", "MAIN", 3, batch="X-1")
    with shop.engine.connect() as connection:
        assert connection.execute(select(Batch.id)).first() is None


def test_a_new_batch_of_a_sku_with_expiry_dates_needs_one(shop: Stock) -> None:
    before = snapshot(shop)
    with pytest.raises(InvalidMovement) as refused:
        shop.receive("MILK", "MAIN", 4, batch="L-9")
    assert str(refused.value) == "batch 'L-9' of MILK is new: it needs an expiry date"
    assert snapshot(shop) == before
    with shop.engine.connect() as connection:
        assert connection.execute(select(Batch.id)).first() is None


def test_an_existing_batch_is_never_received_with_another_expiry(shop: Stock) -> None:
    receive_milk(shop, ("L-1", 4, EARLY))
    before = snapshot(shop)
    with pytest.raises(InvalidMovement) as refused:
        receive_milk(shop, ("L-1", 2, LATE))
    assert str(refused.value) == (
        f"batch 'L-1' of MILK expires on {EARLY.isoformat()}, not {LATE.isoformat()}"
    )
    assert snapshot(shop) == before
    receive_milk(shop, ("L-1", 2, EARLY))  # the same expiry, or none, is more of the batch
    shop.receive("MILK", "MAIN", 1, batch="L-1")
    assert available(shop, "MILK") == 7


def test_a_batch_kept_without_expiry_gets_the_one_its_goods_bring(shop: Stock) -> None:
    # Batches made before expiry dates were required have none.
    milk_id, _, _ = shop.ids("MILK", "MAIN")
    with shop.engine.begin() as connection:
        connection.execute(
            Batch.__table__.insert().values(
                sku_id=milk_id, code="OLD", expiry=None, received_at=datetime.now(UTC)
            )
        )
    receive_milk(shop, ("OLD", 3, MIDDLE))
    with shop.engine.connect() as connection:
        found = connection.execute(select(Batch.expiry).where(Batch.code == "OLD")).scalar_one()
    assert found == MIDDLE


def test_a_batch_is_received_at_the_movements_effective_time(shop: Stock) -> None:
    # History loaded in time order (demo data, imports) ages and picks by when goods came.
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)
    shop.receive("MILK", "MAIN", 2, batch="L-1", expiry=LATE, effective_at=past, history=True)
    with shop.engine.connect() as connection:
        received = connection.execute(select(Batch.received_at)).scalar_one()
    assert received.replace(tzinfo=received.tzinfo or UTC) == past


def test_goods_are_never_moved_out_of_a_batch_there_is_not(shop: Stock) -> None:
    receive_milk(shop, ("L-1", 4, EARLY))
    before = snapshot(shop)
    with pytest.raises(UnknownItem) as refused:
        shop.move("MILK", 1, ("MAIN", "available"), ("MAIN", "damaged"), batch="L-2")
    assert str(refused.value) == "no batch 'L-2' of MILK"
    assert snapshot(shop) == before


# -- picking


def test_lock_picks_the_earliest_expiry_first(shop: Stock) -> None:
    receive_milk(shop, ("L-LATE", 5, LATE), ("L-EARLY", 5, EARLY), ("L-MIDDLE", 5, MIDDLE))
    lock = shop.lock("MILK", "MAIN", 7)
    assert batches_moved(shop, lock.id, "lock") == {"L-EARLY": 5, "L-MIDDLE": 2}
    second = shop.lock("MILK", "MAIN", 4)
    assert batches_moved(shop, second.id, "lock") == {"L-MIDDLE": 3, "L-LATE": 1}


@pytest.mark.parametrize(
    ("moment", "picked"),
    [
        pytest.param(datetime.combine(EARLY, time(12), UTC), {"L-EARLY": 3}, id="expires-today"),
        pytest.param(
            datetime.combine(EARLY + timedelta(days=1), time(0, 1), UTC),
            {"L-MIDDLE": 3},
            id="expired-yesterday",
        ),
    ],
)
def test_lock_never_picks_an_expired_batch(
    shop: Stock, moment: datetime, picked: dict[str, int]
) -> None:
    receive_milk(shop, ("L-EARLY", 5, EARLY), ("L-MIDDLE", 5, MIDDLE))
    lock = shop.lock("MILK", "MAIN", 3, now=moment)
    assert batches_moved(shop, lock.id, "lock") == picked


def test_lock_is_refused_when_only_expired_stock_remains(shop: Stock) -> None:
    receive_milk(shop, ("L-EARLY", 5, EARLY), ("L-MIDDLE", 2, MIDDLE))
    later = datetime.combine(EARLY + timedelta(days=1), time(9), UTC)
    before = snapshot(shop)

    with pytest.raises(InsufficientStock) as refused:
        shop.lock("MILK", "MAIN", 3, now=later)
    # The refusal counts what can be promised: the 5 expired are not sellable.
    assert [
        (s.sku, s.warehouse, s.bucket, s.requested, s.available) for s in refused.value.shortages
    ] == [("MILK", "MAIN", "sellable", 3, 2)]
    assert snapshot(shop) == before
    assert batches_moved(shop, shop.lock("MILK", "MAIN", 2, now=later).id, "lock") == {
        "L-MIDDLE": 2
    }


def test_a_partial_lock_takes_what_is_not_expired(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "template"
    shutil.copytree(BATCHES, folder)
    (folder / "partial.yaml").write_text(
        "stock:\n  lock_rules:\n    share: {check: sellable >= qty, partial: true}\n",
        encoding="utf-8",
    )
    prepared = prepare(database_url, folder)
    try:
        shop = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
        shop.create_sku(code="MILK", category="food")
        receive_milk(shop, ("L-EARLY", 10, EARLY), ("L-MIDDLE", 3, MIDDLE))
        later = datetime.combine(EARLY + timedelta(days=1), time(9), UTC)
        lock = shop.lock("MILK", "MAIN", 5, rule="share", now=later)
        assert lock.qty == 3000
        assert batches_moved(shop, lock.id, "lock") == {"L-MIDDLE": 3}
    finally:
        prepared.engine.dispose()


def test_a_named_batch_is_honoured(shop: Stock) -> None:
    receive_milk(shop, ("L-EARLY", 5, EARLY), ("L-LATE", 5, LATE))
    lock = shop.lock("MILK", "MAIN", 4, batch_id=batch_id(shop, "L-LATE"))
    assert batches_moved(shop, lock.id, "lock") == {"L-LATE": 4}

    before = snapshot(shop)
    with pytest.raises(InsufficientStock):
        shop.lock("MILK", "MAIN", 2, batch_id=batch_id(shop, "L-LATE"))  # 1 left of it
    with pytest.raises(InsufficientStock):
        shop.lock(
            "MILK",
            "MAIN",
            1,
            batch_id=batch_id(shop, "L-EARLY"),
            now=datetime.combine(LATE - timedelta(days=1), time(9), UTC),
        )
    assert snapshot(shop) == before


# -- shipping what a lock holds


def test_consuming_a_lock_ships_exactly_its_batches(shop: Stock) -> None:
    receive_milk(shop, ("L-LATE", 5, LATE), ("L-EARLY", 5, EARLY), ("L-MIDDLE", 5, MIDDLE))
    lock = shop.lock("MILK", "MAIN", 7)
    shop.consume(lock.id)
    assert batches_moved(shop, lock.id, "sale") == {"L-EARLY": 5, "L-MIDDLE": 2}
    rows = {r.batch: r.buckets for r in shop.query(sku="MILK", level="batch").items}
    assert {code: b["available"] for code, b in rows.items()} == {
        "L-EARLY": 0,
        "L-MIDDLE": 3,
        "L-LATE": 5,
    }
    assert all(b["locked"] == 0 for b in rows.values())


def test_partial_shipment_takes_the_earliest_expiry_first(shop: Stock) -> None:
    # L-LATE gets the lower batch id; picking order must come from expiry, not from ids.
    receive_milk(shop, ("L-LATE", 5, LATE), ("L-EARLY", 5, EARLY))
    lock = shop.lock("MILK", "MAIN", 8)
    assert batches_moved(shop, lock.id, "lock") == {"L-EARLY": 5, "L-LATE": 3}

    shop.consume(lock.id, 3)
    assert batches_moved(shop, lock.id, "sale") == {"L-EARLY": 3}


def test_releasing_a_lock_returns_each_batch(shop: Stock) -> None:
    receive_milk(shop, ("L-EARLY", 5, EARLY), ("L-LATE", 5, LATE))
    lock = shop.lock("MILK", "MAIN", 7)
    shop.release(lock.id)
    assert batches_moved(shop, lock.id, "release") == {"L-EARLY": 5, "L-LATE": 2}
    rows = shop.query(sku="MILK", level="batch").items
    assert {r.batch: r.buckets["available"] for r in rows} == {"L-EARLY": 5, "L-LATE": 5}


def test_a_move_without_a_batch_cannot_take_batched_stock(shop: Stock) -> None:
    receive_milk(shop, ("L-1", 5, EARLY))
    before = snapshot(shop)
    # Nothing of MILK at MAIN is outside a batch, so a batch-less loss has nothing to take;
    # taking it anyway would leave L-1 holding 5 while the warehouse total says 0.
    with pytest.raises(StockError):
        shop.move("MILK", 5, ("MAIN", "available"), None, kind="count_loss")
    assert snapshot(shop) == before


# -- stock lists


def test_batch_level_lists_each_batch_row(shop: Stock) -> None:
    receive_milk(shop, ("L-1", 5, EARLY), ("L-2", 3, LATE))
    receive_milk(shop, ("L-1", 2, EARLY), warehouse="NORTH")
    shop.receive("HAMMER", "MAIN", 9)
    page = shop.query(level="batch")
    found = sorted((r.sku, r.warehouse, r.batch, r.buckets["available"]) for r in page.items)
    assert found == [
        ("MILK", "MAIN", "L-1", 5),
        ("MILK", "MAIN", "L-2", 3),
        ("MILK", "NORTH", "L-1", 2),
    ]
    assert page.total == 3


def test_total_level_sums_warehouses(shop: Stock) -> None:
    receive_milk(shop, ("L-1", 5, EARLY), ("L-2", 3, LATE))
    receive_milk(shop, ("L-1", 2, EARLY), warehouse="NORTH")
    shop.lock("MILK", "NORTH", 1)
    (row,) = shop.query(sku="MILK", level="total").items
    assert (row.warehouse, row.batch) == (None, None)
    assert row.buckets["available"] == 9
    assert row.buckets["locked"] == 1
    assert row.quantities["physical"] == 10


def test_total_sellable_is_the_sum_of_each_warehouse_sellable(shop: Stock) -> None:
    # HAMMER keeps 5 as safety stock in each warehouse: MAIN can sell 0 of 2, NORTH 5 of 10.
    shop.receive("HAMMER", "MAIN", 2)
    shop.receive("HAMMER", "NORTH", 10)
    per_warehouse = [r.quantities["sellable"] for r in shop.query(sku="HAMMER").items]
    assert per_warehouse == [0, 5]
    (total,) = shop.query(sku="HAMMER", level="total").items
    assert total.quantities["sellable"] == 5


# -- effective time


def test_back_dating_is_refused_unless_recording_history(shop: Stock) -> None:
    shop.receive("HAMMER", "MAIN", 5)
    past = datetime.now(UTC) - timedelta(days=2)
    before = snapshot(shop)

    with pytest.raises(InvalidMovement) as refused:
        shop.receive("HAMMER", "MAIN", 1, effective_at=past)
    assert "before the latest movement" in str(refused.value)
    assert snapshot(shop) == before

    shop.receive("HAMMER", "MAIN", 1, effective_at=past, history=True)
    shop.receive("HAMMER", "NORTH", 1, effective_at=past)  # nothing later at NORTH
    with shop.engine.connect() as connection:
        dates = connection.execute(
            select(Movement.effective_at).order_by(Movement.id.desc()).limit(2)
        ).scalars()
        assert [d.replace(tzinfo=d.tzinfo or UTC) for d in dates] == [past, past]
    assert available(shop, "HAMMER") == 6


# -- precision


def _lock(shop: Stock) -> int:
    return shop.lock("HAMMER", "MAIN", 2).id


def _lock_many(shop: Stock) -> Any:
    sku_id, warehouse_id, _ = shop.ids("HAMMER", "MAIN")
    return shop.lock_many([LockRequest(sku_id, warehouse_id, 500)])  # half a unit


FINER: dict[str, Callable[[Stock], Any]] = {
    "receive": lambda s: s.receive("HAMMER", "MAIN", "0.5"),
    "move": lambda s: s.move("HAMMER", "1.5", ("MAIN", "available"), ("MAIN", "damaged")),
    "lock": lambda s: s.lock("HAMMER", "MAIN", "0.5"),
    "lock_many": _lock_many,
    "release": lambda s: s.release(_lock(s), "0.5"),
    "consume": lambda s: s.consume(_lock(s), "0.5"),
    "rope receive": lambda s: s.receive("ROPE", "MAIN", "1.25"),
}


@pytest.mark.parametrize("operation", FINER.values(), ids=FINER.keys())
def test_a_quantity_finer_than_the_sku_precision_is_refused(
    shop: Stock, operation: Callable[[Stock], Any]
) -> None:
    shop.receive("HAMMER", "MAIN", 10)
    shop.receive("ROPE", "MAIN", "2.5")
    with pytest.raises(QuantityError) as refused:
        operation(shop)
    assert "finer than this SKU allows" in str(refused.value)
    hammer, rope = shop.row("HAMMER", "MAIN"), shop.row("ROPE", "MAIN")
    assert hammer.buckets["available"] + hammer.buckets["locked"] == 10
    assert hammer.buckets["damaged"] == 0
    assert rope.buckets["available"] == Decimal("2.5")
