"""Cost of goods: moving average by default, FIFO layers where the template says.

Money is ten-thousandths of the currency unit and quantities thousandths of the unit, both as
plain integers: 1.5000 is 15000, 10 units are 10000.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from stockform.database import prepare
from stockform.stock.service import Stock
from stockform.stock.tables import CostLayer, Movement, Valuation
from stockform.stock.units import QuantityError

VALID = Path(__file__).parents[1] / "data/templates/valid"


def open_stock(url: str, folder: Path) -> Stock:
    prepared = prepare(url, folder)
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="T-1", name="Hammer")
    return stock


@pytest.fixture
def average(database_url: str) -> Iterator[Stock]:
    """Two warehouses, moving-average costing (the default), SKU T-1."""
    stock = open_stock(database_url, VALID / "batches")
    yield stock
    stock.engine.dispose()


@pytest.fixture
def fifo(database_url: str) -> Iterator[Stock]:
    """Two warehouses, FIFO costing, SKU T-1."""
    stock = open_stock(database_url, VALID / "fifo")
    yield stock
    stock.engine.dispose()


def ship(stock: Stock, qty: int, warehouse: str = "MAIN") -> int:
    """Lock and ship qty; the sale movement's unit cost."""
    lock = stock.lock("T-1", warehouse, qty)
    stock.consume(lock.id)
    return last_movement(stock, "sale").unit_cost


def transfer(stock: Stock, qty: int, source: str = "MAIN", target: str = "NORTH") -> None:
    stock.move("T-1", qty, (source, "available"), (target, "in_transit"), kind="transfer")
    stock.move("T-1", qty, (target, "in_transit"), (target, "available"), kind="arrival")


def last_movement(stock: Stock, kind: str) -> Any:
    with stock.engine.connect() as connection:
        return connection.execute(
            select(Movement).where(Movement.kind == kind).order_by(Movement.id.desc()).limit(1)
        ).one()


def valuation(stock: Stock, warehouse: str = "MAIN") -> tuple[int, int]:
    """(qty, value) on hand at warehouse, as the valuation table keeps them."""
    sku_id, warehouse_id, _ = stock.ids("T-1", warehouse)
    with stock.engine.connect() as connection:
        row = connection.execute(
            select(Valuation.qty, Valuation.value).where(
                Valuation.sku_id == sku_id, Valuation.warehouse_id == warehouse_id
            )
        ).one()
    return row.qty, row.value


def layers(stock: Stock, warehouse: str = "MAIN") -> list[tuple[int, int]]:
    """(qty_left, unit_cost) of every FIFO layer at warehouse, oldest first."""
    sku_id, warehouse_id, _ = stock.ids("T-1", warehouse)
    with stock.engine.connect() as connection:
        rows = connection.execute(
            select(CostLayer.qty_left, CostLayer.unit_cost)
            .where(CostLayer.sku_id == sku_id, CostLayer.warehouse_id == warehouse_id)
            .order_by(CostLayer.id)
        ).all()
    return [(r.qty_left, r.unit_cost) for r in rows]


def layer_value(stock: Stock, warehouse: str = "MAIN") -> int:
    """What the open layers are worth, exactly: qty_left (thousandths) x cost / 1000."""
    total = sum(qty * cost for qty, cost in layers(stock, warehouse))
    assert total % 1000 == 0, f"layers worth a fraction of a ten-thousandth: {total}/1000"
    return total // 1000


# -- moving average


def test_shipping_at_the_moving_average(average: Stock) -> None:
    average.receive("T-1", "MAIN", 10, unit_cost="1.00")
    average.receive("T-1", "MAIN", 10, unit_cost="2.00")
    assert valuation(average) == (20_000, 300_000)

    assert ship(average, 5) == 15_000  # 1.5000
    assert valuation(average) == (15_000, 225_000)


def test_lock_and_release_do_not_touch_the_valuation(average: Stock) -> None:
    average.receive("T-1", "MAIN", 10, unit_cost="1.00")
    lock = average.lock("T-1", "MAIN", 4)
    assert last_movement(average, "lock").unit_cost is None
    average.release(lock.id, 1)
    assert valuation(average) == (10_000, 100_000)


@pytest.mark.parametrize(
    ("receipts", "shipments"),
    [
        pytest.param([(10, "1.00"), (10, "2.00")], [5, 14, 1], id="exact-average"),
        # 10.0000 over 7 units: the average (1.428571…) has no exact ten-thousandths.
        pytest.param([(3, "1.00"), (4, "1.75")], [1, 1, 2, 2, 1], id="sevenths"),
        pytest.param([(3, "0.0001"), (3, "0.0002")], [4, 1, 1], id="tiny-costs"),
        pytest.param([(1, "9.9999"), (2, "0.0001"), (4, "3.3333")], [6, 1], id="mixed"),
    ],
)
def test_shipping_the_last_unit_leaves_no_value_behind(
    average: Stock, receipts: list[tuple[int, str]], shipments: list[int]
) -> None:
    for qty, cost in receipts:
        average.receive("T-1", "MAIN", qty, unit_cost=cost)
    _, start = valuation(average)
    taken = 0
    for qty in shipments:
        before = valuation(average)[1]
        unit_cost = ship(average, qty)
        after = valuation(average)[1]
        taken += before - after
        # The recorded unit cost is the value taken per unit, rounded to ten-thousandths.
        assert abs(unit_cost * qty - (before - after)) * 2 <= qty
    assert valuation(average) == (0, 0)
    assert taken == start


def test_receipt_without_cost_takes_the_current_average(average: Stock) -> None:
    average.receive("T-1", "MAIN", 10, unit_cost="1.00")
    average.receive("T-1", "MAIN", 10, unit_cost="2.00")

    average.receive("T-1", "MAIN", 5, kind="count_gain")
    assert last_movement(average, "count_gain").unit_cost == 15_000
    average.receive("T-1", "MAIN", 2, bucket="quarantine", kind="return")
    assert last_movement(average, "return").unit_cost == 15_000
    assert valuation(average) == (27_000, 405_000)


def test_first_receipt_without_cost_is_worth_nothing(average: Stock) -> None:
    average.receive("T-1", "MAIN", 4)
    assert last_movement(average, "receipt").unit_cost == 0
    assert valuation(average) == (4_000, 0)


def test_transfer_carries_the_average_to_the_other_warehouse(average: Stock) -> None:
    average.receive("T-1", "MAIN", 10, unit_cost="1.00")
    average.receive("T-1", "NORTH", 10, unit_cost="3.00")
    average.receive("T-1", "MAIN", 10, unit_cost="2.00")

    transfer(average, 10)
    assert last_movement(average, "transfer").unit_cost == 15_000
    # Inside one warehouse nothing is bought or sold: no cost, no change of value.
    assert last_movement(average, "arrival").unit_cost is None
    assert valuation(average, "MAIN") == (10_000, 150_000)
    assert valuation(average, "NORTH") == (20_000, 450_000)
    assert ship(average, 20, "NORTH") == 22_500


@pytest.mark.parametrize(
    ("receipts", "moved"),
    [
        pytest.param([(10, "1.00"), (10, "2.00")], 4, id="exact-average"),
        pytest.param([(3, "1.00"), (4, "1.75")], 3, id="sevenths"),  # 3/7 of 10 = 4.285714…
        pytest.param([(1, "1.00"), (2, "1.00"), (3, "1.0001")], 5, id="odd-cent"),
    ],
)
def test_transfer_conserves_value(
    average: Stock, receipts: list[tuple[int, str]], moved: int
) -> None:
    for qty, cost in receipts:
        average.receive("T-1", "MAIN", qty, unit_cost=cost)
    _, before = valuation(average, "MAIN")

    transfer(average, moved)
    (_, left), (_, arrived) = valuation(average, "MAIN"), valuation(average, "NORTH")
    assert left + arrived == before, "a transfer created or destroyed value"
    transfer(average, moved, "NORTH", "MAIN")
    assert valuation(average, "MAIN")[1] == before
    assert valuation(average, "NORTH") == (0, 0)


# -- FIFO


def test_fifo_ships_the_oldest_layers_first(fifo: Stock) -> None:
    fifo.receive("T-1", "MAIN", 10, unit_cost="1.00")
    fifo.receive("T-1", "MAIN", 10, unit_cost="2.00")
    assert layers(fifo) == [(10_000, 10_000), (10_000, 20_000)]

    assert ship(fifo, 15) == 13_333  # 20.0000 / 15, rounded
    assert valuation(fifo) == (5_000, 100_000)  # exactly 20.0000 taken
    assert layers(fifo) == [(0, 10_000), (5_000, 20_000)]

    assert ship(fifo, 5) == 20_000
    assert valuation(fifo) == (0, 0)
    assert layers(fifo) == [(0, 10_000), (0, 20_000)]


def test_fifo_layers_and_valuation_agree(fifo: Stock) -> None:
    for qty, cost in [(3, "1.0001"), (4, "2.5"), (2, "0.3333")]:
        fifo.receive("T-1", "MAIN", qty, unit_cost=cost)
    for qty in (2, 3, 1):
        ship(fifo, qty)
        qty_left = sum(q for q, _ in layers(fifo))
        assert valuation(fifo) == (qty_left, layer_value(fifo))


def test_fifo_transfer_carries_the_layers_value(fifo: Stock) -> None:
    fifo.receive("T-1", "MAIN", 10, unit_cost="1.00")
    fifo.receive("T-1", "MAIN", 10, unit_cost="2.00")

    transfer(fifo, 15)
    assert valuation(fifo, "MAIN") == (5_000, 100_000)
    assert valuation(fifo, "NORTH") == (15_000, 200_000), "20.0000 left MAIN, all must arrive"
    assert layer_value(fifo, "NORTH") == 200_000, "NORTH's layers must be worth what arrived"

    ship(fifo, 15, "NORTH")
    assert valuation(fifo, "NORTH") == (0, 0), "shipping everything must leave no value"


# -- exact numbers only


def test_money_and_quantities_are_integers_everywhere(average: Stock) -> None:
    average.receive("T-1", "MAIN", 3, unit_cost="1.00")
    average.receive("T-1", "MAIN", 4, unit_cost="1.75")
    ship(average, 2)
    transfer(average, 1)
    with average.engine.connect() as connection:
        movements = connection.execute(select(Movement.qty, Movement.unit_cost)).all()
        valuations = connection.execute(select(Valuation.qty, Valuation.value)).all()
    values = [v for row in [*movements, *valuations] for v in row if v is not None]
    assert values
    assert all(type(v) is int for v in values), [type(v) for v in values]


def test_fifo_layers_are_integers(fifo: Stock) -> None:
    fifo.receive("T-1", "MAIN", 3, unit_cost="1.3333")
    ship(fifo, 1)
    with fifo.engine.connect() as connection:
        rows = connection.execute(select(CostLayer.qty_left, CostLayer.unit_cost)).all()
    assert rows
    assert all(type(v) is int for row in rows for v in row)


@pytest.mark.parametrize(
    ("qty", "unit_cost", "message"),
    [
        (1.5, "1", "quantities are exact"),
        (2, 1.5, "quantities are exact"),
        (2, "1.00005", "more than 4 decimals"),
        (2, "abc", "is not a number"),
        (2, "NaN", "is not a number"),
    ],
)
def test_inexact_numbers_are_refused(
    average: Stock, qty: Any, unit_cost: Any, message: str
) -> None:
    with pytest.raises(QuantityError) as caught:
        average.receive("T-1", "MAIN", qty, unit_cost=unit_cost)
    assert message in str(caught.value)
    with average.engine.connect() as connection:
        assert connection.execute(select(Movement.id)).first() is None
