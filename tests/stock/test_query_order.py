"""An `order` that is the same for every row is refused, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from stockform.stock.query import QueryError
from stockform.stock.service import Stock


@pytest.mark.parametrize("order", ["None", "true", "1", "'a' desc", "today()"])
def test_a_constant_order_is_refused(stock: Stock, order: str) -> None:
    with pytest.raises(QueryError) as raised:
        stock.query(order=order)
    assert raised.value.part == "order"
    assert raised.value.message.endswith("is the same for every row")
    assert raised.value.hint == "order by sellable, sku.code, …"


def test_an_order_over_the_row_still_sorts(stock: Stock) -> None:
    stock.receive("B-2", "MAIN", 3)
    assert [r.sku for r in stock.query(order="available desc").items][:1] == ["B-2"]
