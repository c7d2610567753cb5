"""The kept last-out and first-in times (stock.activity): which moves set them, min and max
whatever the order, batch-0 rows only, verify and repair, rebuild, and migration 0006."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from stockform import migrate
from stockform.database import prepare
from stockform.stock import activity
from stockform.stock.columns import stock_tables
from stockform.stock.ledger import Move, Place, post
from stockform.stock.service import Stock
from stockform.stock.tables import Event
from stockform.stock.verify import Drift

BATCHES = Path(__file__).parents[1] / "data/templates/valid/batches"
Kept = tuple[int | None, int | None]  # (last out, first in)
EXPIRY = date(2027, 1, 1)


def at(day: int, hour: int, minute: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, 0, micro, tzinfo=UTC)


def s(moment: datetime) -> int:
    """What the column holds for a moment: whole seconds since 1970, rounded down."""
    return int(moment.timestamp())


@pytest.fixture
def shop(database_url: str) -> Iterator[Stock]:
    """The batches template: warehouses MAIN and NORTH; MILK is tracked by batch, HAMMER not."""
    prepared = prepare(database_url, BATCHES)
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="MILK", category="food")
    stock.create_sku(code="HAMMER", category="tools")
    yield stock
    prepared.engine.dispose()


Spot = tuple[str, str] | None  # (warehouse, bucket); None is outside


def move(stock: Stock, sku: str, qty: int, source: Spot, target: Spot, when: datetime) -> Move:
    def place(spot: Spot) -> Place | None:
        return None if spot is None else Place(stock.ids(sku, spot[0])[1], spot[1])

    sku_id = stock.ids(sku, "MAIN")[0]
    return Move(sku_id, qty * 1000, place(source), place(target), effective_at=when)


def post_all(stock: Stock, moves: list[Move]) -> None:
    """One posting of moves, dated as given (loading history, so any order of dates goes)."""
    with stock.engine.begin() as connection:
        post(connection, stock.template, moves, history=True)


def kept(stock: Stock, sku: str, warehouse: str, batch_id: int = 0) -> Kept:
    sku_id, warehouse_id, _ = stock.ids(sku, warehouse)
    balance = stock_tables(stock.template).balance
    with stock.engine.connect() as connection:
        row = connection.execute(
            select(balance.c.last_out_epoch, balance.c.first_in_epoch).where(
                balance.c.sku_id == sku_id,
                balance.c.warehouse_id == warehouse_id,
                balance.c.batch_id == batch_id,
            )
        ).one()
    return row[0], row[1]


def all_kept(stock: Stock) -> dict[tuple[int, int, int], Kept]:
    balance = stock_tables(stock.template).balance
    query = select(
        balance.c.sku_id,
        balance.c.warehouse_id,
        balance.c.batch_id,
        balance.c.last_out_epoch,
        balance.c.first_in_epoch,
    )
    with stock.engine.connect() as connection:
        return {(r[0], r[1], r[2]): (r[3], r[4]) for r in connection.execute(query)}


RECEIVED = at(1, 8)
MAIN, NORTH, OUT = ("MAIN", "available"), ("NORTH", "available"), None


@pytest.mark.parametrize(
    ("source", "target", "main", "north"),
    [
        # a receipt from outside: first in only
        (OUT, MAIN, (None, s(at(2, 9, 30))), (None, None)),
        # a sale to outside: last out only
        (MAIN, OUT, (s(at(2, 9, 30)), s(RECEIVED)), (None, None)),
        # a transfer: first in at the target, not a last out at the source
        (MAIN, NORTH, (None, s(RECEIVED)), (None, s(at(2, 9, 30)))),
        # a lock, inside the warehouse: neither
        (MAIN, ("MAIN", "locked"), (None, s(RECEIVED)), (None, None)),
    ],
)
def test_which_moves_set_which_time(
    shop: Stock, source: Spot, target: Spot, main: Kept, north: Kept
) -> None:
    if source is not OUT:
        post_all(shop, [move(shop, "HAMMER", 10, OUT, MAIN, RECEIVED)])
    post_all(shop, [move(shop, "HAMMER", 4, source, target, at(2, 9, 30))])
    assert (kept(shop, "HAMMER", "MAIN"), kept(shop, "HAMMER", "NORTH")) == (main, north)
    assert kept(shop, "MILK", "MAIN") == (None, None)


def test_locks_and_their_shipment_through_the_lock_paths(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 10, effective_at=RECEIVED)
    held = stock.lock("A-1", "MAIN", 3, now=at(2, 9), expires_in=timedelta(days=9))
    released = stock.lock("A-1", "MAIN", 2, now=at(2, 10), expires_in=timedelta(days=9))
    stock.release(released.id, now=at(2, 11))
    assert kept(stock, "A-1", "MAIN") == (None, s(RECEIVED))
    stock.consume(held.id, now=at(3, 12, 15, 250_000))
    assert kept(stock, "A-1", "MAIN") == (s(at(3, 12, 15)), s(RECEIVED))
    assert stock.drift() == []


def test_later_receipts_keep_the_first_and_a_backdated_one_moves_it(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 5, effective_at=at(10, 8))
    stock.receive("A-1", "MAIN", 5, effective_at=at(11, 8))
    stock.receive("A-1", "MAIN", 5, effective_at=at(12, 8))
    assert kept(stock, "A-1", "MAIN") == (None, s(at(10, 8)))
    stock.receive("A-1", "MAIN", 5, effective_at=at(4, 7), history=True)
    assert kept(stock, "A-1", "MAIN") == (None, s(at(4, 7)))
    assert stock.drift() == []


def test_an_earlier_sale_does_not_move_the_last_out_back(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 10, effective_at=RECEIVED)
    post_all(stock, [move(stock, "A-1", 1, MAIN, OUT, at(20, 18))])
    post_all(stock, [move(stock, "A-1", 1, MAIN, OUT, at(5, 18))])
    assert kept(stock, "A-1", "MAIN") == (s(at(20, 18)), s(RECEIVED))


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1)])
def test_one_posting_of_several_moves_at_a_row_in_any_order(
    stock: Stock, order: tuple[int, ...]
) -> None:
    moves = [
        move(stock, "A-1", 6, OUT, MAIN, at(2, 8)),
        move(stock, "A-1", 6, OUT, MAIN, at(1, 23, 59, 999_000)),
        move(stock, "A-1", 2, MAIN, OUT, at(3, 9, 0, 1)),
        move(stock, "A-1", 2, MAIN, OUT, at(2, 17)),
    ]
    post_all(stock, [moves[i] for i in order])
    assert kept(stock, "A-1", "MAIN") == (s(at(3, 9)), s(at(1, 23, 59)))
    assert stock.row("A-1", "MAIN").buckets["available"] == 8
    assert stock.drift() == []


def test_a_posting_netting_to_zero_at_the_row_still_sets_both(stock: Stock) -> None:
    post_all(
        stock,
        [move(stock, "B-2", 5, OUT, MAIN, at(6, 9)), move(stock, "B-2", 5, MAIN, OUT, at(6, 10))],
    )
    assert stock.row("B-2", "MAIN").buckets["available"] == 0
    assert kept(stock, "B-2", "MAIN") == (s(at(6, 10)), s(at(6, 9)))
    assert stock.drift() == []


def test_batches_stamp_the_row_of_the_sku_at_the_warehouse_only(shop: Stock) -> None:
    shop.receive("MILK", "MAIN", 10, batch="L1", expiry=EXPIRY, effective_at=at(1, 8), history=True)
    shop.receive("MILK", "MAIN", 10, batch="L2", expiry=EXPIRY, effective_at=at(1, 9), history=True)
    with shop.engine.begin() as connection:
        batches = dict(
            connection.execute(text("SELECT code, id FROM sf_batch ORDER BY code")).all()
        )
    sku_id, main_id, _ = shop.ids("MILK", "MAIN")
    north_id = shop.ids("MILK", "NORTH")[1]
    main, north = Place(main_id, "available"), Place(north_id, "available")
    sale = Move(sku_id, 3000, main, None, batches["L1"], effective_at=at(2, 14))
    transfer = Move(sku_id, 2000, main, north, batches["L2"], effective_at=at(2, 15))
    post_all(shop, [sale, transfer])
    stamped = {k: v for k, v in all_kept(shop).items() if k[0] == sku_id and v != (None, None)}
    assert stamped == {
        (sku_id, main_id, 0): (s(at(2, 14)), s(at(1, 8))),
        (sku_id, north_id, 0): (None, s(at(2, 15))),
    }
    assert {k[2] for k in all_kept(shop) if k[0] == sku_id} == {0, *batches.values()}
    assert shop.drift() == []


def a_mix(shop: Stock) -> None:
    """Receipts, a backdated receipt, transfers both ways, sales and a lock, in MAIN and NORTH."""
    shop.receive("HAMMER", "MAIN", 20, effective_at=at(3, 8), history=True)
    shop.receive("HAMMER", "MAIN", 5, effective_at=at(1, 8), history=True)
    shop.receive("MILK", "NORTH", 8, batch="N1", expiry=EXPIRY, effective_at=at(2, 8), history=True)
    post_all(shop, [move(shop, "HAMMER", 6, MAIN, NORTH, at(4, 10))])
    post_all(shop, [move(shop, "HAMMER", 1, NORTH, MAIN, at(5, 10))])
    post_all(shop, [move(shop, "HAMMER", 2, NORTH, OUT, at(6, 10))])
    post_all(shop, [move(shop, "HAMMER", 3, MAIN, OUT, at(7, 10, 30, 250_000))])
    post_all(shop, [move(shop, "HAMMER", 3, MAIN, ("MAIN", "locked"), at(8, 10))])


MIXED = {
    ("HAMMER", "MAIN"): (s(at(7, 10, 30)), s(at(1, 8))),
    ("HAMMER", "NORTH"): (s(at(6, 10)), s(at(4, 10))),
    ("MILK", "MAIN"): (None, None),
    ("MILK", "NORTH"): (None, s(at(2, 8))),
}


def test_a_mix_of_postings_keeps_what_the_ledger_says(shop: Stock) -> None:
    a_mix(shop)
    assert {place: kept(shop, *place) for place in MIXED} == MIXED
    with shop.engine.connect() as connection:
        replayed = activity.replayed(connection)
    assert replayed == {shop.ids(*p)[:2]: v for p, v in MIXED.items() if v != (None, None)}
    assert shop.drift() == []  # MILK at MAIN: no movement, both times null


@pytest.mark.parametrize(
    ("statement", "column", "stored", "given"),
    [
        (
            "UPDATE sf_balance SET last_out_epoch = 5 WHERE {row}",
            "last_out_epoch",
            5,
            s(at(7, 10, 30)),
        ),
        (
            "UPDATE sf_balance SET first_in_epoch = NULL WHERE {row}",
            "first_in_epoch",
            None,
            s(at(1, 8)),
        ),
    ],
)
def test_a_tampered_time_is_drift_and_repair_rebuilds_it(
    shop: Stock, statement: str, column: str, stored: int | None, given: int
) -> None:
    a_mix(shop)
    sku_id, warehouse_id, _ = shop.ids("HAMMER", "MAIN")
    row = f"sku_id = {sku_id} AND warehouse_id = {warehouse_id} AND batch_id = 0"
    with shop.engine.begin() as connection:
        connection.execute(text(statement.format(row=row)))
    drift = Drift(sku_id, warehouse_id, 0, f"{column} (kept)", stored, given)
    assert shop.drift() == [drift]
    shown = "none" if stored is None else stored
    assert str(drift) == (
        f"sku {sku_id} warehouse {warehouse_id} batch 0 {column} (kept): "
        f"stored {shown}, the ledger gives {given} (seconds since 1970)"
    )
    assert shop.repair(user="auditor") == [drift]
    assert shop.drift() == []
    assert kept(shop, "HAMMER", "MAIN") == MIXED[("HAMMER", "MAIN")]
    with shop.engine.connect() as connection:
        detail = connection.execute(
            select(Event.detail).where(Event.kind == "balances_repaired")
        ).scalar_one()
    assert detail == {"rows": [str(drift)]}


def test_a_missing_row_with_times_is_drift_and_repair_adds_it(stock: Stock) -> None:
    post_all(
        stock,
        [move(stock, "B-2", 5, OUT, MAIN, at(6, 9)), move(stock, "B-2", 5, MAIN, OUT, at(6, 10))],
    )
    sku_id, warehouse_id, _ = stock.ids("B-2", "MAIN")
    with stock.engine.begin() as connection:
        connection.execute(
            text("DELETE FROM sf_balance WHERE sku_id = :sku AND warehouse_id = :wh"),
            {"sku": sku_id, "wh": warehouse_id},
        )
    assert stock.drift() == [
        Drift(sku_id, warehouse_id, 0, "first_in_epoch (kept)", None, s(at(6, 9))),
        Drift(sku_id, warehouse_id, 0, "last_out_epoch (kept)", None, s(at(6, 10))),
    ]
    stock.repair()
    assert stock.drift() == []
    assert kept(stock, "B-2", "MAIN") == (s(at(6, 10)), s(at(6, 9)))


def test_rebuild_gives_what_the_ledger_kept(shop: Stock) -> None:
    a_mix(shop)
    before = all_kept(shop)
    assert before[(*shop.ids("HAMMER", "NORTH")[:2], 0)] == MIXED[("HAMMER", "NORTH")]
    with shop.engine.begin() as connection:
        connection.execute(text("UPDATE sf_balance SET last_out_epoch = 1, first_in_epoch = 2"))
        rows = activity.rebuild(connection, shop.template)
    after = all_kept(shop)
    assert rows == sum(1 for key in after if key[2] == 0)
    # Batch rows are not the rebuild's: they keep what they were set to.
    assert {k: v for k, v in after.items() if k[2]} == {k: (1, 2) for k in after if k[2]}
    assert {k: v for k, v in after.items() if not k[2]} == {
        k: v for k, v in before.items() if not k[2]
    }


def test_the_last_instant_of_a_second_counts_in_that_second(stock: Stock) -> None:
    """Python rounds down; SQLite's strftime('%s') rounds to the millisecond first, so the
    ledger's replay must not read 09:30:00.9996 as 09:30:01."""
    stock.receive("A-1", "MAIN", 5, effective_at=at(9, 9, 30, 999_600))
    assert kept(stock, "A-1", "MAIN") == (None, s(at(9, 9, 30)))
    assert stock.drift() == []
    with stock.engine.begin() as connection:
        activity.rebuild(connection, stock.template)
    assert kept(stock, "A-1", "MAIN") == (None, s(at(9, 9, 30)))


def test_migration_0006_fills_the_times_from_the_ledger_and_round_trips(shop: Stock) -> None:
    a_mix(shop)
    engine = shop.engine
    config = migrate.alembic_config()

    def to(revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            if revision == "head":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)

    def indexes() -> list[object]:
        with engine.connect() as connection:
            found = inspect(connection).get_indexes("sf_balance")
        return sorted((str(i["name"]), i["column_names"], i["unique"]) for i in found)

    shape = indexes()
    to("0005")
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("sf_balance")}
    assert not columns & set(activity.KEPT)
    # Loaded behind the ledger's back at 0005: an earlier receipt, a later sale.
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sf_movement (posting_id, kind, sku_id, batch_id, qty, "
                "from_warehouse_id, from_bucket, to_warehouse_id, to_bucket, recorded_at, "
                "effective_at) SELECT 'loaded', kind, sku_id, 0, 1000, from_warehouse_id, "
                "from_bucket, NULL, NULL, recorded_at, :later FROM sf_movement "
                "WHERE to_warehouse_id IS NULL"
            ),
            {"later": at(28, 17)},
        )
    filled = {**MIXED, ("HAMMER", "MAIN"): (s(at(28, 17)), s(at(1, 8)))}
    filled[("HAMMER", "NORTH")] = (s(at(28, 17)), s(at(4, 10)))
    for _ in range(2):
        to("head")
        assert {place: kept(shop, *place) for place in filled} == filled
        with engine.connect() as connection:
            replayed = activity.replayed(connection)
        assert replayed == {shop.ids(*p)[:2]: v for p, v in filled.items() if v != (None, None)}
        assert {v for k, v in all_kept(shop).items() if k[2]} == {(None, None)}
        assert indexes() == shape
        to("0005")
    to("head")
    shop.receive("HAMMER", "MAIN", 1, effective_at=at(1, 7), history=True)
    assert kept(shop, "HAMMER", "MAIN") == (s(at(28, 17)), s(at(1, 7)))
