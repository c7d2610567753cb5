"""Cutting locks when a count finds goods missing: newest locks first, only as much as the loss
needs beyond what is available, only locks holding the counted batch, never a negative
balance, and every cut in the ledger as a movement of kind `cut`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from stockform.database import prepare
from stockform.stock import cuts, locks
from stockform.stock.errors import InsufficientStock, LockStateError
from stockform.stock.ledger import Move, Place, post
from stockform.stock.service import Stock, figures
from stockform.stock.tables import Batch, LockPart

BATCHES = Path(__file__).parents[1] / "data/templates/valid/batches"
T0 = datetime.now(UTC).replace(microsecond=0)
EARLY, LATE = (T0.date() + timedelta(days=d) for d in (10, 60))


@pytest.fixture
def shop(database_url: str) -> Iterator[Stock]:
    """The batches template: HAMMER (tools, 10 at MAIN), MILK (food: batches, FEFO)."""
    prepared = prepare(database_url, BATCHES)
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="HAMMER", category="tools")
    stock.create_sku(code="MILK", category="food")
    stock.receive("HAMMER", "MAIN", 10)
    yield stock
    prepared.engine.dispose()


def lock(shop: Stock, reference: str, qty: int, *, minute: int = 0, sku: str = "HAMMER") -> int:
    """A lock that never expires, created `minute` minutes after T0."""
    created = T0 + timedelta(minutes=minute)
    result = shop.lock(sku, "MAIN", qty, reference=reference, never_expires=True, now=created)
    return result.id


def loss(shop: Stock, qty: int, *, sku: str = "HAMMER", batch: str | None = None) -> Move:
    """A count's loss: qty whole units from `available` at MAIN to outside."""
    sku_id, warehouse_id, _ = shop.ids(sku, "MAIN")
    batch_id = batch_ids(shop)[batch] if batch else 0
    return Move(sku_id, qty * 1000, Place(warehouse_id, "available"), None, batch_id, "count")


def batch_ids(shop: Stock) -> dict[str, int]:
    with shop.engine.connect() as connection:
        return {r.code: r.id for r in connection.execute(select(Batch.id, Batch.code))}


def planned(shop: Stock, *moves: Move, now: datetime | None = None) -> list[tuple[str, int]]:
    """(reference, whole units) of each lock the moves would cut, in the order planned."""
    with shop.engine.connect() as connection:
        found = cuts.plan(connection, shop.template, moves, now=now)
    return [(str(c.reference), c.qty // 1000) for c in found]


def count_loss(shop: Stock, *moves: Move) -> None:
    """Plan and apply the cuts, then post the moves: one transaction, as a count does."""
    with shop.engine.begin() as connection:
        plan = cuts.plan(connection, shop.template, moves)
        cuts.apply(connection, shop.template, plan, user="counter", now=T0 + timedelta(hours=1))
        post(connection, shop.template, moves, user="counter", now=T0 + timedelta(hours=1))


def lock_states(shop: Stock) -> dict[str, tuple[str, Decimal]]:
    """status and open quantity of every lock, by reference."""
    return {str(r.reference): (r.status, r.open_qty) for r in shop.find_locks(per_page=100)[0]}


def cut_movements(shop: Stock) -> list[tuple[str, str | None, Decimal, str | None, str | None]]:
    """(lock reference, batch, qty, from, to) of every movement of kind cut, in order."""
    references = {r.id: r.reference for r in shop.find_locks(per_page=100)[0]}
    return [
        (str(references[e.lock_id]), e.batch, e.qty, e.from_bucket, e.to_bucket)
        for e in shop.entries(limit=1000)
        if e.kind == "cut" and e.lock_id is not None
    ]


def batch_row(shop: Stock, batch: str) -> dict[str, Decimal]:
    (row,) = [r for r in shop.query(sku="MILK", level="batch").items if r.batch == batch]
    return row.buckets


# -- which locks, how much


@pytest.mark.parametrize(
    ("held", "losses", "expected", "left"),
    [
        pytest.param([("a", 3, 0), ("b", 4, 1)], [3], [], (0, 7), id="available-suffices"),
        pytest.param([("a", 3, 0), ("b", 4, 1)], [2, 1], [], (0, 7), id="two-moves-suffice"),
        pytest.param(
            [("a", 3, 0), ("b", 4, 1), ("c", 2, 2)],
            [4],
            [("c", 2), ("b", 1)],
            (0, 6),
            id="newest-first-only-as-needed",
        ),
        pytest.param(
            [("a", 3, 0), ("b", 4, 1), ("c", 2, 2)],
            [2, 2],
            [("c", 2), ("b", 1)],
            (0, 6),
            id="moves-from-one-place-add-up",
        ),
        pytest.param(
            [("a", 3, 2), ("b", 4, 0)], [5], [("a", 2)], (0, 5), id="newest-by-time-not-id"
        ),
        pytest.param(
            [("a", 3, 0), ("b", 4, 1)], [10], [("b", 4), ("a", 3)], (0, 0), id="every-lock"
        ),
    ],
)
def test_a_loss_beyond_available_cuts_the_newest_locks_just_enough(
    shop: Stock,
    held: list[tuple[str, int, int]],
    losses: list[int],
    expected: list[tuple[str, int]],
    left: tuple[int, int],
) -> None:
    """held: (reference, qty, minute created) of locks on HAMMER's 10; left: (available,
    locked) after the loss."""
    for reference, qty, minute in held:
        lock(shop, reference, qty, minute=minute)
    moves = [loss(shop, qty) for qty in losses]
    assert planned(shop, *moves) == expected
    count_loss(shop, *moves)
    cut = dict(expected)
    assert lock_states(shop) == {
        reference: ("cut", 0)
        if cut.get(reference) == qty
        else ("active", qty - cut.get(reference, 0))
        for reference, qty, _minute in held
    }
    available, locked = left
    assert figures(shop.row("HAMMER", "MAIN")) == {
        "available": available,
        "locked": locked,
        "quarantine": 0,
        "damaged": 0,
        "in_transit": 0,
        "physical": 10 - sum(losses),
        "sellable": available,
        "incoming": 0,
    }
    assert cut_movements(shop) == [
        (reference, None, qty, "locked", "available") for reference, qty in expected
    ]
    assert shop.drift() == []


def test_a_loss_beyond_all_stock_cuts_nothing_and_goes_nowhere_negative(shop: Stock) -> None:
    lock(shop, "a", 3)
    lock(shop, "b", 4, minute=1)
    before = figures(shop.row("HAMMER", "MAIN"))
    assert planned(shop, loss(shop, 11)) == [("b", 4), ("a", 3)]
    with pytest.raises(InsufficientStock) as refused:
        count_loss(shop, loss(shop, 11))
    (shortage,) = refused.value.shortages
    assert (shortage.bucket, shortage.requested, shortage.available) == ("available", 11, 10)
    assert figures(shop.row("HAMMER", "MAIN")) == before  # the cuts were rolled back too
    assert lock_states(shop) == {"a": ("active", 3), "b": ("active", 4)}
    assert cut_movements(shop) == []
    assert shop.drift() == []


def test_planning_changes_nothing(shop: Stock) -> None:
    lock(shop, "a", 8)
    before = (figures(shop.row("HAMMER", "MAIN")), lock_states(shop), len(shop.entries()))
    assert planned(shop, loss(shop, 5)) == [("a", 3)]
    assert (figures(shop.row("HAMMER", "MAIN")), lock_states(shop), len(shop.entries())) == before


def test_locks_on_other_skus_and_warehouses_are_never_cut(shop: Stock) -> None:
    shop.receive("HAMMER", "NORTH", 5)
    shop.lock("HAMMER", "NORTH", 5, reference="north", never_expires=True, now=T0)
    shop.receive("MILK", "MAIN", 5, batch="L-1", expiry=LATE)
    lock(shop, "milk", 5, sku="MILK", minute=1)
    lock(shop, "main", 9)
    assert planned(shop, loss(shop, 4)) == [("main", 3)]


# -- batches


@pytest.fixture
def milk(shop: Stock) -> Stock:
    """MILK at MAIN: L-EARLY 5 and L-LATE 5; lock `first` holds EARLY 5 + LATE 2 (FEFO), lock
    `second` (newer) holds LATE 2. Available: EARLY 0, LATE 1."""
    shop.receive("MILK", "MAIN", 5, batch="L-EARLY", expiry=EARLY)
    shop.receive("MILK", "MAIN", 5, batch="L-LATE", expiry=LATE)
    lock(shop, "first", 7, sku="MILK")
    lock(shop, "second", 2, sku="MILK", minute=1)
    return shop


@pytest.mark.parametrize(
    ("batch", "qty", "expected", "states"),
    [
        pytest.param(
            "L-EARLY",
            3,
            [("first", 3)],
            {"first": ("active", 4), "second": ("active", 2)},
            id="only-locks-holding-the-batch",
        ),
        pytest.param(
            "L-LATE",
            2,
            [("second", 1)],
            {"first": ("active", 7), "second": ("active", 1)},
            id="newest-holding-the-batch",
        ),
        pytest.param(
            "L-LATE",
            5,
            [("second", 2), ("first", 2)],
            {"first": ("active", 5), "second": ("cut", 0)},
            id="every-lock-holding-the-batch",
        ),
        pytest.param(
            "L-LATE", 1, [], {"first": ("active", 7), "second": ("active", 2)}, id="suffices"
        ),
    ],
)
def test_a_batch_loss_cuts_only_locks_holding_that_batch(
    milk: Stock,
    batch: str,
    qty: int,
    expected: list[tuple[str, int]],
    states: dict[str, tuple[str, int]],
) -> None:
    other = "L-LATE" if batch == "L-EARLY" else "L-EARLY"
    untouched = batch_row(milk, other)
    assert planned(milk, loss(milk, qty, sku="MILK", batch=batch)) == expected
    count_loss(milk, loss(milk, qty, sku="MILK", batch=batch))
    assert lock_states(milk) == states
    assert cut_movements(milk) == [
        (reference, batch, Decimal(n), "locked", "available") for reference, n in expected
    ]
    assert batch_row(milk, other) == untouched
    counted = batch_row(milk, batch)
    assert min(counted.values()) >= 0
    total = milk.row("MILK", "MAIN").buckets
    assert total["available"] == counted["available"] + untouched["available"]
    assert total["locked"] == counted["locked"] + untouched["locked"]
    assert milk.drift() == []


def test_a_partly_cut_lock_keeps_its_other_batches_and_ships_them(milk: Stock) -> None:
    count_loss(milk, loss(milk, 3, sku="MILK", batch="L-EARLY"))
    first = milk.find_locks(reference="first")[0][0]
    ids = {v: k for k, v in batch_ids(milk).items()}
    with milk.engine.connect() as connection:
        parts = connection.execute(
            select(LockPart.batch_id, LockPart.open_qty).where(LockPart.lock_id == first.id)
        ).all()
    assert sorted((ids[b], q // 1000) for b, q in parts) == [("L-EARLY", 2), ("L-LATE", 2)]
    milk.consume(first.id)
    shipped = [(e.batch, e.qty) for e in milk.entries(limit=1000) if e.kind == "sale" and e.lock_id]
    assert sorted(shipped) == [("L-EARLY", 2), ("L-LATE", 2)]
    assert milk.drift() == []


# -- locks.cut


def test_cut_gives_back_part_of_a_lock_and_ends_it_when_nothing_is_left(shop: Stock) -> None:
    lock_id = lock(shop, "a", 5)
    with shop.engine.begin() as connection:
        partly = locks.cut(connection, shop.template, lock_id, 2000, 0, user="counter")
    assert (partly.status, partly.qty) == ("active", 3000)
    with shop.engine.begin() as connection:
        ended = locks.cut(connection, shop.template, lock_id, 3000, 0, user="counter")
    assert (ended.status, ended.qty) == ("cut", 0)
    record = shop.lock_record(lock_id)
    assert (record.status, record.qty, record.open_qty) == ("cut", 5, 0)
    assert [r.id for r in shop.find_locks(status="cut")[0]] == [lock_id]
    assert cut_movements(shop) == [
        ("a", None, Decimal(2), "locked", "available"),
        ("a", None, Decimal(3), "locked", "available"),
    ]
    assert figures(shop.row("HAMMER", "MAIN"))["available"] == 10
    assert shop.drift() == []


@pytest.mark.parametrize(
    ("reference", "qty", "batch", "message"),
    [
        pytest.param("h", 6, None, "holds 5; cannot take 6 from it", id="more-than-it-holds"),
        pytest.param("h", 0, None, "cannot take 0 from it", id="nothing"),
        pytest.param(
            "second", 1, "L-EARLY", "holds less than 1 in that batch", id="a-batch-it-lacks"
        ),
    ],
)
def test_cut_refuses_what_the_lock_does_not_hold(
    milk: Stock, reference: str, qty: int, batch: str | None, message: str
) -> None:
    lock(milk, "h", 5)
    lock_id = milk.find_locks(reference=reference)[0][0].id
    before = lock_states(milk)
    batch_id = batch_ids(milk)[batch] if batch else 0
    with pytest.raises(LockStateError) as refused, milk.engine.begin() as connection:
        locks.cut(connection, milk.template, lock_id, qty * 1000, batch_id)
    assert message in str(refused.value)
    assert lock_states(milk) == before
    assert milk.drift() == []


def test_cut_refuses_a_lock_that_is_no_longer_active(shop: Stock) -> None:
    lock_id = lock(shop, "a", 5)
    shop.release(lock_id)
    with pytest.raises(LockStateError) as refused, shop.engine.begin() as connection:
        locks.cut(connection, shop.template, lock_id, 1000, 0)
    assert "is released, not active" in str(refused.value)


# -- expired locks


def test_an_expired_lock_gives_its_stock_back_before_a_live_one_is_cut(shop: Stock) -> None:
    lock(shop, "live", 5)
    # Taken after `live` (a lock attempt releases the expired locks it finds) but dated before.
    past = T0 - timedelta(hours=1)
    shop.lock("HAMMER", "MAIN", 5, reference="expired", expires_in=timedelta(minutes=30), now=past)
    moves = [loss(shop, 5)]
    assert planned(shop, *moves, now=T0) == []
    assert planned(shop, *moves) == [("live", 5)]  # without a time, expiry is not considered
    with shop.engine.begin() as connection:
        cuts.expire_due(connection, shop.template, moves, T0)
        assert cuts.plan(connection, shop.template, moves, now=T0) == []
        post(connection, shop.template, moves, now=T0)
    assert lock_states(shop) == {"expired": ("expired", 0), "live": ("active", 5)}
    assert figures(shop.row("HAMMER", "MAIN"))["available"] == 0
    assert shop.drift() == []


def test_expired_locks_count_before_live_ones_are_cut(shop: Stock) -> None:
    lock(shop, "older", 3)
    lock(shop, "newer", 3, minute=1)
    past = T0 - timedelta(hours=1)
    shop.lock("HAMMER", "MAIN", 3, reference="expired", expires_in=timedelta(minutes=30), now=past)
    # available 1, the expired lock's 3 come back: a loss of 6 cuts 2 of the newest live lock
    assert planned(shop, loss(shop, 6), now=T0) == [("newer", 2)]
