"""Sales orders of the retail starter through the engine: locking all lines or none, safety
stock, approval above 10,000, payment, shipping, cancelling, and locks that expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from retail_support import (
    FINANCE,
    MANAGER,
    PURCHASING,
    SALES,
    SALES2,
    START,
    WAREHOUSE,
    Clock,
    expect,
    figures_at,
    line,
    order,
    receive,
)

from stockform.cli import main
from stockform.database import Prepared
from stockform.documents.errors import Forbidden, InvalidTransition
from stockform.documents.service import Documents, DocumentView
from stockform.documents.users import Actor
from stockform.stock.errors import InsufficientStock, Shortage
from stockform.stock.lock_records import LockRecord
from stockform.stock.service import Stock


def _locks(stock: Stock, view: DocumentView) -> list[LockRecord]:
    """The document's locks, oldest first."""
    found = stock.find_locks(per_page=1000)[0]
    return [lock for lock in found if lock.document_id == view.id]


def _status(stock: Stock, view: DocumentView) -> list[tuple[str, str, Decimal]]:
    return [(lock.sku, lock.status, lock.open_qty) for lock in _locks(stock, view)]


def test_submit_locks_every_line_or_none(docs: Documents, stock: Stock) -> None:
    receive(docs, "SH", line("TEA-01", 100), line("MUG-1", 25))
    draft = order(docs, line("TEA-01", 10), line("MUG-1", 16))
    with pytest.raises(InsufficientStock) as refused:
        docs.act(draft.id, "submit", SALES)
    # Line 2 is short: 25 on the shelf less a safety stock of 10 leaves 15 to promise.
    assert refused.value.shortages == [
        Shortage("MUG-1", "SH", "sellable", Decimal(16), Decimal(15), 2)
    ]
    assert str(refused.value) == "not enough stock: MUG-1 at SH: 16 requested, 15 sellable"
    assert docs.get(draft.id).state == "draft"
    assert stock.find_locks() == ([], 0)
    assert figures_at(stock, "TEA-01", "SH") == expect(available=100, physical=100, sellable=100)
    assert figures_at(stock, "MUG-1", "SH") == expect(available=25, physical=25, sellable=15)

    fixed = docs.update(draft.id, SALES, lines=[{"id": draft.lines[1]["id"], "qty": "15"}])
    assert docs.act(fixed.id, "submit", SALES).state == "approved"
    assert _status(stock, fixed) == [("TEA-01", "active", 10), ("MUG-1", "active", 15)]
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=90, locked=10, physical=100, sellable=90
    )
    assert figures_at(stock, "MUG-1", "SH") == expect(available=10, locked=15, physical=25)


@pytest.mark.parametrize(
    ("on_hand", "qty", "after", "sellable"),
    [
        (25, 15, expect(available=10, locked=15, physical=25), None),
        (25, 16, expect(available=25, physical=25, sellable=15), 15),
        (10, 1, expect(available=10, physical=10), 0),
        (8, 1, expect(available=8, physical=8), 0),
        (11, 1, expect(available=10, locked=1, physical=11), None),
    ],
)
def test_safety_stock_is_never_promised(
    docs: Documents,
    stock: Stock,
    on_hand: int,
    qty: int,
    after: dict[str, Decimal],
    sellable: int | None,
) -> None:
    receive(docs, "SH", line("MUG-1", on_hand))
    assert figures_at(stock, "MUG-1", "SH")["sellable"] == max(on_hand - 10, 0)
    draft = order(docs, line("MUG-1", qty))
    if sellable is None:
        assert docs.act(draft.id, "submit", SALES).state == "approved"
    else:
        with pytest.raises(InsufficientStock) as refused:
            docs.act(draft.id, "submit", SALES)
        assert refused.value.shortages == [
            Shortage("MUG-1", "SH", "sellable", Decimal(qty), Decimal(sellable), 1)
        ]
    assert figures_at(stock, "MUG-1", "SH") == after


@pytest.mark.parametrize(
    ("ordered", "total", "state"),
    [
        (line("TV-55", 1), "6000", "approved"),
        (line("TV-55", 1, price="10000"), "10000", "approved"),
        (line("TV-55", 1, price="10000.01"), "10000.01", "submitted"),
        (line("TV-55", 2), "12000", "submitted"),
    ],
)
def test_orders_above_10000_wait_for_a_manager(
    docs: Documents, stock: Stock, ordered: dict[str, Any], total: str, state: str
) -> None:
    receive(docs, "SH", line("TV-55", 5))
    so = docs.act(order(docs, ordered).id, "submit", SALES)
    assert (so.state, so.totals["total"]) == (state, Decimal(total))
    # Locked either way: approval decides whether it may ship, not whether it is promised.
    qty = int(ordered["qty"])
    assert figures_at(stock, "TV-55", "SH") == expect(
        available=5 - qty, locked=qty, physical=5, sellable=5 - qty
    )


@pytest.mark.parametrize(
    ("actor", "error", "message"),
    [
        (SALES, Forbidden, "your roles may not take 'approve'"),
        (FINANCE, Forbidden, "your roles may not take 'approve'"),
        (WAREHOUSE, Forbidden, "your roles may not take 'approve'"),
        (PURCHASING, Forbidden, "your roles may not take 'approve'"),
        (MANAGER, None, None),
    ],
    ids=lambda value: getattr(value, "username", None),
)
def test_only_a_manager_approves_a_large_order(
    docs: Documents,
    stock: Stock,
    actor: Actor,
    error: type[Exception] | None,
    message: str | None,
) -> None:
    receive(docs, "SH", line("TV-55", 5))
    so = docs.act(order(docs, line("TV-55", 2)).id, "submit", SALES)
    assert docs.transitions_for(so, SALES) == ["confirm_payment", "cancel"]  # lock_again needs paid
    assert docs.transitions_for(so, MANAGER) == ["approve", "cancel"]
    with pytest.raises(InvalidTransition) as early:
        docs.act(so.id, "ship", WAREHOUSE)
    assert str(early.value) == "'ship' cannot be taken in state 'submitted' (only from approved)"
    if error is None:
        assert docs.act(so.id, "approve", actor).state == "approved"
    else:
        with pytest.raises(error) as refused:
            docs.act(so.id, "approve", actor)
        assert str(refused.value) == message
        assert docs.get(so.id).state == "submitted"
    assert figures_at(stock, "TV-55", "SH") == expect(available=3, locked=2, physical=5, sellable=3)


def test_payment_keeps_the_lock_and_shipping_consumes_it(
    docs: Documents, stock: Stock, clock: Clock
) -> None:
    receive(docs, "SH", line("TEA-01", 100))
    so = docs.act(order(docs, line("TEA-01", 30)).id, "submit", SALES)
    (lock,) = _locks(stock, so)
    assert (lock.status, lock.expires_at) == ("active", START + timedelta(minutes=30))
    assert so.fields["paid"] is False

    with pytest.raises(InvalidTransition) as unpaid:
        docs.act(so.id, "ship", WAREHOUSE)
    assert str(unpaid.value) == "'ship' needs paid"
    with pytest.raises(Forbidden):
        docs.act(so.id, "confirm_payment", WAREHOUSE)

    clock.advance(minutes=10)
    so = docs.act(so.id, "confirm_payment", FINANCE)
    assert (so.state, so.fields["paid"]) == ("approved", True)
    (lock,) = _locks(stock, so)
    assert (lock.status, lock.expires_at, lock.open_qty) == ("active", None, 30)
    with pytest.raises(InvalidTransition) as twice:
        docs.act(so.id, "confirm_payment", SALES)
    assert str(twice.value) == "'confirm_payment' needs not paid"
    # Paid locks never expire: a sweep a day later leaves them alone.
    assert stock.sweep(now=clock.advance(days=1)) == 0
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=70, locked=30, physical=100, sellable=70
    )

    with pytest.raises(Forbidden):
        docs.act(so.id, "ship", SALES)
    assert docs.act(so.id, "ship", WAREHOUSE).state == "shipped"
    assert _status(stock, so) == [("TEA-01", "consumed", 0)]
    assert figures_at(stock, "TEA-01", "SH") == expect(available=70, physical=70, sellable=70)
    with pytest.raises(InvalidTransition) as late:
        docs.act(so.id, "cancel", SALES)
    assert str(late.value) == (
        "'cancel' cannot be taken in state 'shipped' (only from draft, submitted, approved)"
    )


@pytest.mark.parametrize(
    ("lines", "steps", "state_before", "locks"),
    [
        ([line("TEA-01", 30)], [], "draft", []),
        ([line("TEA-01", 30)], ["submit"], "approved", [("TEA-01", "released", 0)]),
        (
            [line("TEA-01", 30), line("TV-55", 2)],
            ["submit"],
            "submitted",
            [("TEA-01", "released", 0), ("TV-55", "released", 0)],
        ),
        (
            [line("TEA-01", 30)],
            ["submit", "confirm_payment"],
            "approved",
            [("TEA-01", "released", 0)],
        ),
    ],
)
def test_cancel_gives_the_stock_back(
    docs: Documents,
    stock: Stock,
    lines: list[dict[str, Any]],
    steps: list[str],
    state_before: str,
    locks: list[tuple[str, str, int]],
) -> None:
    receive(docs, "SH", line("TEA-01", 100), line("TV-55", 5))
    so = order(docs, *lines)
    for step in steps:
        so = docs.act(so.id, step, SALES)
    assert so.state == state_before
    with pytest.raises(Forbidden):
        docs.act(so.id, "cancel", WAREHOUSE)
    assert docs.act(so.id, "cancel", SALES2).state == "cancelled"
    assert _status(stock, so) == locks
    assert figures_at(stock, "TEA-01", "SH") == expect(available=100, physical=100, sellable=100)
    assert figures_at(stock, "TV-55", "SH") == expect(available=5, physical=5, sellable=5)


def test_an_unpaid_lock_expires_after_30_minutes(
    docs: Documents, stock: Stock, clock: Clock
) -> None:
    receive(docs, "SH", line("TEA-01", 100))
    so = docs.act(order(docs, line("TEA-01", 30)).id, "submit", SALES)
    assert stock.sweep(now=clock.advance(minutes=29, seconds=59)) == 0
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=70, locked=30, physical=100, sellable=70
    )
    assert stock.sweep(now=clock.advance(seconds=1)) == 1
    assert _status(stock, so) == [("TEA-01", "expired", 0)]
    assert figures_at(stock, "TEA-01", "SH") == expect(available=100, physical=100, sellable=100)
    assert stock.sweep(now=clock.advance(hours=1)) == 0


def test_a_new_lock_first_releases_the_expired_ones(
    docs: Documents, stock: Stock, clock: Clock
) -> None:
    receive(docs, "SH", line("TEA-01", 100))
    first = docs.act(order(docs, line("TEA-01", 90)).id, "submit", SALES)
    with pytest.raises(InsufficientStock):
        docs.act(order(docs, line("TEA-01", 90)).id, "submit", SALES)
    clock.advance(minutes=31)  # no sweep ran: the next lock attempt releases what is due
    second = docs.act(order(docs, line("TEA-01", 90)).id, "submit", SALES)
    assert _status(stock, first) == [("TEA-01", "expired", 0)]
    assert _status(stock, second) == [("TEA-01", "active", 90)]
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=10, locked=90, physical=100, sellable=10
    )


def test_the_sweep_command_releases_expired_order_locks(
    retail: Prepared, stock: Stock, retail_url: str
) -> None:
    # Orders taken an hour ago (by the real clock) whose 30 minutes are up; one was paid.
    past = Documents(
        retail.engine,
        retail.template,
        retail.applied.version_id,
        clock=lambda: datetime.now(UTC) - timedelta(hours=1),
    )
    receive(past, "SH", line("TEA-01", 100))
    unpaid = past.act(order(past, line("TEA-01", 30)).id, "submit", SALES)
    paid = past.act(order(past, line("TEA-01", 20)).id, "submit", SALES)
    past.act(paid.id, "confirm_payment", SALES)
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=50, locked=50, physical=100, sellable=50
    )
    result = CliRunner().invoke(main, ["sweep", "--db", retail_url])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "released 1 expired lock"
    assert _status(stock, unpaid) == [("TEA-01", "expired", 0)]
    assert _status(stock, paid) == [("TEA-01", "active", 20)]
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=80, locked=20, physical=100, sellable=80
    )


def test_payment_after_the_lock_expired_locks_again(
    docs: Documents, stock: Stock, clock: Clock
) -> None:
    receive(docs, "SH", line("TEA-01", 100))
    so = docs.act(order(docs, line("TEA-01", 30)).id, "submit", SALES)
    assert stock.sweep(now=clock.advance(minutes=31)) == 1
    assert figures_at(stock, "TEA-01", "SH") == expect(available=100, physical=100, sellable=100)

    so = docs.act(so.id, "confirm_payment", SALES)
    assert (so.state, so.fields["paid"]) == ("approved", True)
    locks = _locks(stock, so)
    assert [(lock.status, lock.open_qty, lock.expires_at) for lock in locks] == [
        ("expired", 0, START + timedelta(minutes=30)),
        ("active", 30, None),
    ]
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=70, locked=30, physical=100, sellable=70
    )
    assert docs.act(so.id, "ship", WAREHOUSE).state == "shipped"
    assert figures_at(stock, "TEA-01", "SH") == expect(available=70, physical=70, sellable=70)


def test_payment_after_the_stock_was_promised_elsewhere_is_refused(
    docs: Documents, stock: Stock, clock: Clock
) -> None:
    receive(docs, "SH", line("TEA-01", 100))
    late = docs.act(order(docs, line("TEA-01", 30)).id, "submit", SALES)
    clock.advance(minutes=31)
    docs.act(order(docs, line("TEA-01", 90)).id, "submit", SALES2)
    with pytest.raises(InsufficientStock) as refused:
        docs.act(late.id, "confirm_payment", SALES)
    assert refused.value.shortages == [
        Shortage("TEA-01", "SH", "sellable", Decimal(30), Decimal(10), 1)
    ]
    assert docs.get(late.id).fields["paid"] is False
    assert _status(stock, late) == [("TEA-01", "expired", 0)]
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=10, locked=90, physical=100, sellable=10
    )
