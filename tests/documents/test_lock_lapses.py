"""A document's locks can lapse (an unpaid order's lock expires, a count cuts it): locking the
document again tops the lines up without locking anything twice, and shipping a line whose lock
holds less than its quantity is refused instead of shipping less than the document says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from stockform.database import Prepared
from stockform.documents.errors import InvalidTransition
from stockform.documents.service import Documents
from stockform.documents.users import Actor
from stockform.stock.locks import locks_of
from stockform.stock.service import Stock

SALES = Actor("sam", frozenset({"sales"}))
WAREHOUSE = Actor("wes", frozenset({"warehouse"}))
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(shop: Prepared, clock: Clock) -> Documents:
    return Documents(shop.engine, shop.template, shop.applied.version_id, clock=clock)


def _open_locks(shop: Prepared, doc_id: int) -> list[tuple[int, int]]:
    with shop.engine.connect() as connection:
        return [
            (lock.line_id, lock.open_qty)
            for lock in locks_of(connection, document_form="sales_order", document_id=doc_id)
        ]


def test_shipping_a_line_whose_lock_expired_is_refused(
    timed: Documents, stock: Stock, clock: Clock
) -> None:
    doc = timed.create(
        "sales_order", {"customer": "Bob", "warehouse": "SH"}, [{"sku": "B-2", "qty": "4"}], SALES
    )
    doc = timed.act(doc.id, "submit", SALES)
    assert doc.state == "approved"  # 12.00 total: approved automatically
    clock.now = START + timedelta(minutes=31)
    with pytest.raises(InvalidTransition) as refused:
        timed.act(doc.id, "ship", WAREHOUSE)
    assert "line 1: 0 of 4 B-2 is locked" in str(refused.value)
    assert stock.row("B-2", "SH").buckets["locked"] == Decimal(4)  # nothing shipped


def test_locking_again_tops_up_only_what_lapsed(
    shop: Prepared, timed: Documents, stock: Stock, clock: Clock
) -> None:
    doc = timed.create(
        "sales_order",
        {"customer": "Bob", "warehouse": "SH"},
        [{"sku": "B-2", "qty": "4"}, {"sku": "A-1", "qty": "1"}],
        SALES,
    )
    doc = timed.act(doc.id, "submit", SALES)
    assert sorted(q for _line, q in _open_locks(shop, doc.id)) == [1000, 4000]
    # Running the lock effect again on a fully locked document locks nothing more.
    with shop.engine.begin() as connection:
        from stockform.documents.workflow import run_effects

        loaded = timed._loaded(
            connection, timed._row(connection, doc.id), timed.form("sales_order")
        )
        effects = shop.template.workflows["sales_flow"].transitions["submit"].effects
        run_effects(connection, shop.template, loaded, effects, SALES, clock.now, 1)
    assert sorted(q for _line, q in _open_locks(shop, doc.id)) == [1000, 4000]
    assert stock.row("B-2", "SH").buckets["locked"] == Decimal(4)
    # After the locks expire and are swept, locking again takes them anew, once.
    clock.now = START + timedelta(minutes=31)
    assert stock.sweep(now=clock.now) == 2
    with shop.engine.begin() as connection:
        loaded = timed._loaded(
            connection, timed._row(connection, doc.id), timed.form("sales_order")
        )
        run_effects(connection, shop.template, loaded, effects, SALES, clock.now, 1)
    assert sorted(q for _line, q in _open_locks(shop, doc.id)) == [1000, 4000]
    assert stock.row("B-2", "SH").buckets["locked"] == Decimal(4)
    assert stock.drift() == []
