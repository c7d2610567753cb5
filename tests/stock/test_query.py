"""Reading stock: every bucket and quantity, filters and order as expressions, pages, totals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stockform.stock.query import QueryError
from stockform.stock.service import Stock


@pytest.fixture
def shelves(stock: Stock) -> Stock:
    for code, qty in (("C-3", 40), ("D-4", 2), ("E-5", 0)):
        stock.create_sku(code=code, safety_stock="1")
        if qty:
            stock.receive(code, "MAIN", qty)
    stock.receive("A-1", "MAIN", 100)
    stock.lock("A-1", "MAIN", 30)
    return stock


def test_rows_carry_every_bucket_and_quantity(shelves: Stock) -> None:
    page = shelves.query(sku="A-1", warehouse="MAIN")
    assert page.total == 1
    (row,) = page.items
    assert row.buckets == {"available": 70, "locked": 30}
    assert row.quantities == {"physical": 100, "sellable": 65}
    assert all(isinstance(v, Decimal) for v in [*row.buckets.values(), *row.quantities.values()])


def test_filter_and_order_by_computed_quantities(shelves: Stock) -> None:
    page = shelves.query(where="sellable < 50 and physical > 0", order="sellable desc")
    assert [(r.sku, r.quantities["sellable"]) for r in page.items] == [("C-3", 39), ("D-4", 1)]
    page = shelves.query(where="sku.safety_stock == 1", order="-physical, sku.code")
    assert [r.sku for r in page.items] == ["C-3", "D-4", "E-5"]


def test_pages_and_total(shelves: Stock) -> None:
    first = shelves.query(order="sku.code", per_page=2)
    second = shelves.query(order="sku.code", per_page=2, page=2)
    beyond = shelves.query(order="sku.code", per_page=2, page=9)
    assert [r.sku for r in first.items] == ["A-1", "B-2"]
    assert [r.sku for r in second.items] == ["C-3", "D-4"]
    assert first.total == second.total == beyond.total == 5  # every SKU, received or not
    assert beyond.items == []


def test_totals_across_warehouses_add_up_each_warehouses_figures(shelves: Stock) -> None:
    page = shelves.query(level="total", sku="A-1")
    (row,) = page.items
    assert row.warehouse is None and row.quantities["sellable"] == 65


@pytest.mark.parametrize(
    ("where", "order", "message"),
    [
        ("selable < 5", None, "where: unknown name 'selable' (did you mean 'sellable'?)"),
        (
            "sellable",
            None,
            "where: 'sellable' is not a condition (compare something, e.g. "
            "sellable < sku.min_stock)",
        ),
        (None, "__import__('os')", "order: "),
        ("sellable < ", None, "where: "),
    ],
)
def test_bad_expressions_say_what_and_where(
    shelves: Stock, where: str | None, order: str | None, message: str
) -> None:
    with pytest.raises(QueryError) as raised:
        shelves.query(where=where, order=order)
    assert str(raised.value).startswith(message)
