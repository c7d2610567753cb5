"""Stocktakes and adjustments of the retail starter through the engine: the book captured at
start, variances posted on approval on top of later moves, losses that cut locks newest first,
and adjustments that post themselves up to 5,000 and need two managers above."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from retail_support import (
    EARLY,
    LATE,
    MANAGER,
    MANAGER2,
    MANAGER3,
    SALES,
    SALES2,
    WAREHOUSE,
    Clock,
    expect,
    figures_at,
    line,
    line_ids,
    order,
    receive,
)

from stockform.database import Prepared
from stockform.documents.errors import Forbidden, InvalidTransition
from stockform.documents.service import CutNotice, Documents, DocumentView
from stockform.documents.users import Actor
from stockform.documents.validate import ValidationFailed
from stockform.stock.errors import InsufficientStock
from stockform.stock.service import Stock


def _started(docs: Documents, *lines: dict[str, Any]) -> DocumentView:
    draft = docs.create("stocktake", {"warehouse": "SH"}, list(lines), WAREHOUSE)
    return docs.act(draft.id, "start", WAREHOUSE)


def _count(docs: Documents, take: DocumentView, *counted: int | None) -> DocumentView:
    changes = [
        {"id": line_id, "counted": None if n is None else str(n)}
        for line_id, n in zip(line_ids(take), counted, strict=True)
    ]
    return docs.update(take.id, WAREHOUSE, lines=changes)


def _lock_status(stock: Stock, view: DocumentView) -> list[tuple[str, Decimal, Decimal]]:
    found = stock.find_locks(per_page=1000)[0]
    return [(x.status, x.qty, x.open_qty) for x in found if x.document_id == view.id]


def test_the_book_is_available_plus_locked_at_start(docs: Documents, stock: Stock) -> None:
    receive(docs, "SH", line("TEA-01", 50), line("MUG-1", 12))
    docs.act(order(docs, line("TEA-01", 20)).id, "submit", SALES)
    rt = docs.create("return", {"customer": "Mr Wu", "warehouse": "SH"}, [line("TEA-01", 4)], SALES)
    docs.act(rt.id, "receive", WAREHOUSE)  # quarantine is not on the shelves: not in the book
    take = _started(docs, line("TEA-01"), line("MUG-1"), line("TV-55"))
    assert take.state == "counting"
    assert [(x["book"], x["counted"], x["is_counted"]) for x in take.lines] == [
        (50, None, 0),
        (12, None, 0),
        (0, None, 0),
    ]
    with pytest.raises(InvalidTransition) as refused:
        docs.act(take.id, "submit", WAREHOUSE)
    assert str(refused.value) == "'submit' needs counted_lines == count(lines)"

    take = _count(docs, take, 50, 12, None)
    assert take.totals == {"counted_lines": 2, "variance_value": 0}
    with pytest.raises(InvalidTransition):
        docs.act(take.id, "submit", WAREHOUSE)
    take = _count(docs, take, 50, 12, 0)
    assert docs.act(take.id, "submit", WAREHOUSE).state == "submitted"
    with pytest.raises(Forbidden):
        docs.act(take.id, "approve", WAREHOUSE)
    assert docs.act(take.id, "approve", MANAGER).state == "approved"
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=30, locked=20, quarantine=4, physical=54, sellable=30
    )
    assert figures_at(stock, "MUG-1", "SH") == expect(available=12, physical=12, sellable=2)


@pytest.mark.parametrize(
    ("counted", "variance", "value", "after"),
    [
        (55, 5, 300, expect(available=35, locked=20, physical=55, sellable=35)),
        (50, 0, 0, expect(available=30, locked=20, physical=50, sellable=30)),
        (45, -5, -300, expect(available=25, locked=20, physical=45, sellable=25)),
        (20, -30, -1800, expect(locked=20, physical=20)),
    ],
)
def test_approval_posts_the_variance(
    docs: Documents,
    stock: Stock,
    counted: int,
    variance: int,
    value: int,
    after: dict[str, Decimal],
) -> None:
    receive(docs, "SH", line("TEA-01", 50))
    so = docs.act(order(docs, line("TEA-01", 20)).id, "submit", SALES)
    take = _count(docs, _started(docs, line("TEA-01")), counted)
    assert (take.lines[0]["variance"], take.lines[0]["variance_value"]) == (variance, value)
    assert take.totals["variance_value"] == value
    docs.act(take.id, "submit", WAREHOUSE)
    assert docs.cuts(take.id, "approve", MANAGER) == []
    assert docs.act(take.id, "approve", MANAGER).state == "approved"
    assert figures_at(stock, "TEA-01", "SH") == after
    assert _lock_status(stock, so) == [("active", 20, 20)]


@pytest.mark.parametrize(
    ("moved", "counted", "after"),
    [
        ("receive 10", 48, expect(available=38, locked=20, physical=58, sellable=38)),
        ("receive 10", 53, expect(available=43, locked=20, physical=63, sellable=43)),
        ("ship 20", 47, expect(available=27, physical=27, sellable=27)),
        ("cancel 20", 50, expect(available=50, physical=50, sellable=50)),
    ],
)
def test_stock_moved_after_start_is_kept(
    docs: Documents, stock: Stock, moved: str, counted: int, after: dict[str, Decimal]
) -> None:
    receive(docs, "SH", line("TEA-01", 50))
    so = docs.act(order(docs, line("TEA-01", 20)).id, "submit", SALES)
    take = _started(docs, line("TEA-01"))
    assert take.lines[0]["book"] == 50
    if moved == "receive 10":
        receive(docs, "SH", line("TEA-01", 10))
    elif moved == "ship 20":
        docs.act(so.id, "confirm_payment", SALES)
        docs.act(so.id, "ship", WAREHOUSE)
    else:
        docs.act(so.id, "cancel", SALES)
    take = _count(docs, take, counted)
    docs.act(take.id, "submit", WAREHOUSE)
    docs.act(take.id, "approve", MANAGER)
    # Only counted - book moves: what arrived or left during the count stays accounted for.
    assert figures_at(stock, "TEA-01", "SH") == after


def test_a_loss_beyond_what_is_available_cuts_the_newest_locks_first(
    retail: Prepared, docs: Documents, stock: Stock, clock: Clock
) -> None:
    receive(docs, "SH", line("TEA-01", 40), line("MUG-1", 20))
    older = docs.act(order(docs, line("TEA-01", 20)).id, "submit", SALES)
    clock.advance(minutes=1)
    newer = order(docs, line("MUG-1", 1), line("TEA-01", 15), actor=SALES2)
    newer = docs.act(newer.id, "submit", SALES2)
    clock.advance(minutes=1)
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=5, locked=35, physical=40, sellable=5
    )
    take = _count(docs, _started(docs, line("TEA-01")), 15)
    assert take.lines[0]["book"] == 40
    docs.act(take.id, "submit", WAREHOUSE)

    # 25 are missing: 5 from the shelf, then 15 of the newer order (its line 2), 5 of the older.
    assert docs.cuts(take.id, "approve", MANAGER) == [
        CutNotice("sales_order", newer.id, newer.number, 2, None, "TEA-01", "SH", Decimal(15)),
        CutNotice("sales_order", older.id, older.number, 1, None, "TEA-01", "SH", Decimal(5)),
    ]
    # Locks are taken in SKU order: TEA-01's (line 2) first.
    assert _lock_status(stock, newer) == [("active", 15, 15), ("active", 1, 1)]
    docs.act(take.id, "approve", MANAGER)
    assert _lock_status(stock, newer) == [("cut", 15, 0), ("active", 1, 1)]
    assert _lock_status(stock, older) == [("active", 20, 15)]
    assert figures_at(stock, "TEA-01", "SH") == expect(locked=15, physical=15)
    assert figures_at(stock, "MUG-1", "SH") == expect(
        available=19, locked=1, physical=20, sellable=9
    )
    assert docs.cuts(take.id, "approve", MANAGER) == []  # approved: nothing left to cut


def test_an_order_cut_by_a_count_ships_only_after_locking_again(
    docs: Documents, stock: Stock
) -> None:
    receive(docs, "SH", line("TEA-01", 20))
    so = docs.act(order(docs, line("TEA-01", 20)).id, "submit", SALES)
    docs.act(so.id, "confirm_payment", SALES)
    take = _count(docs, _started(docs, line("TEA-01")), 12)
    docs.act(take.id, "submit", WAREHOUSE)
    docs.act(take.id, "approve", MANAGER)
    assert _lock_status(stock, so) == [("active", 20, 12)]
    assert figures_at(stock, "TEA-01", "SH") == expect(locked=12, physical=12)

    with pytest.raises(InvalidTransition) as refused:
        docs.act(so.id, "ship", WAREHOUSE)
    assert str(refused.value) == (
        "line 1: 12 of 20 TEA-01 is locked (its lock expired or a count cut it); "
        "lock the lines again first"
    )
    receive(docs, "SH", line("TEA-01", 10))
    assert docs.act(so.id, "lock_again", SALES).state == "approved"
    assert _lock_status(stock, so) == [("active", 20, 12), ("active", 8, 8)]
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=2, locked=20, physical=22, sellable=2
    )
    assert docs.act(so.id, "ship", WAREHOUSE).state == "shipped"
    assert figures_at(stock, "TEA-01", "SH") == expect(available=2, physical=2, sellable=2)


def test_a_food_count_is_by_batch(docs: Documents, stock: Stock) -> None:
    receive(
        docs,
        "SH",
        line("MILK-1", 30, batch="E-1", expiry=EARLY),
        line("MILK-1", 10, batch="L-1", expiry=LATE),
    )
    with pytest.raises(ValidationFailed) as refused:
        docs.create("stocktake", {"warehouse": "SH"}, [line("MILK-1")], WAREHOUSE)
    assert str(refused.value) == "line 1, batch: required"
    so = docs.act(order(docs, line("MILK-1", 25)).id, "submit", SALES)
    take = _started(docs, line("MILK-1", batch="E-1"), line("MILK-1", batch="L-1"))
    assert [x["book"] for x in take.lines] == [30, 10]
    take = _count(docs, take, 22, 11)
    docs.act(take.id, "submit", WAREHOUSE)
    assert [(c.number, c.line, c.qty) for c in docs.cuts(take.id, "approve", MANAGER)] == [
        (so.number, 1, 3)
    ]
    docs.act(take.id, "approve", MANAGER)
    assert figures_at(stock, "MILK-1", "SH", "E-1") == expect(locked=22, physical=22)
    assert figures_at(stock, "MILK-1", "SH", "L-1") == expect(
        available=11, physical=11, sellable=11
    )
    assert figures_at(stock, "MILK-1", "SH") == expect(
        available=11, locked=22, physical=33, sellable=11
    )


@pytest.mark.parametrize(
    ("reason", "qty", "after"),
    [
        ("damage", 2, expect(available=48, damaged=2, physical=50, sellable=48)),
        ("loss", 2, expect(available=48, physical=48, sellable=48)),
        ("found", 2, expect(available=52, physical=52, sellable=52)),
        ("damage", 50, expect(damaged=50, physical=50)),
    ],
)
def test_small_adjustments_post_themselves(
    docs: Documents, stock: Stock, reason: str, qty: int, after: dict[str, Decimal]
) -> None:
    receive(docs, "SH", line("TEA-01", 50))
    draft = docs.create(
        "adjustment", {"warehouse": "SH", "reason": reason}, [line("TEA-01", qty)], WAREHOUSE
    )
    posted = docs.act(draft.id, "submit", WAREHOUSE)
    assert (posted.state, posted.totals) == ("posted", {"total_value": 60 * qty})
    assert [(e["action"], e["comment"]) for e in docs.history(draft.id)][-2:] == [
        ("submit", None),
        ("post", "automatic"),
    ]
    assert figures_at(stock, "TEA-01", "SH") == after


def test_a_loss_larger_than_available_is_refused(docs: Documents, stock: Stock) -> None:
    receive(docs, "SH", line("TEA-01", 50))
    docs.act(order(docs, line("TEA-01", 45)).id, "submit", SALES)
    draft = docs.create(
        "adjustment", {"warehouse": "SH", "reason": "loss"}, [line("TEA-01", 6)], WAREHOUSE
    )
    with pytest.raises(InsufficientStock) as refused:
        docs.act(draft.id, "submit", WAREHOUSE)
    assert str(refused.value) == "not enough stock: TEA-01 at SH: 6 requested, 5 available"
    assert docs.get(draft.id).state == "draft"
    assert figures_at(stock, "TEA-01", "SH") == expect(
        available=5, locked=45, physical=50, sellable=5
    )


@pytest.mark.parametrize(
    ("unit_cost", "qty", "state"),
    [
        ("2500", 2, "posted"),
        ("2500.0001", 2, "submitted"),
        (None, 2, "submitted"),
        (None, 1, "posted"),
    ],
)
def test_adjustments_above_5000_wait_for_approval(
    docs: Documents, stock: Stock, unit_cost: str | None, qty: int, state: str
) -> None:
    receive(docs, "SH", line("TV-55", 5))
    damaged = line("TV-55", qty, **({"unit_cost": unit_cost} if unit_cost else {}))
    draft = docs.create("adjustment", {"warehouse": "SH", "reason": "damage"}, [damaged], WAREHOUSE)
    assert docs.act(draft.id, "submit", WAREHOUSE).state == state
    damaged = qty if state == "posted" else 0
    assert figures_at(stock, "TV-55", "SH") == expect(
        available=5 - damaged, damaged=damaged, physical=5, sellable=5 - damaged
    )


def test_the_template_asks_two_managers_other_than_the_creator(retail: Prepared) -> None:
    approve = retail.template.workflows["adjustment_flow"].transitions["approve"]
    assert (approve.quorum, approve.self_approval, approve.roles) == (2, False, ("manager",))


@pytest.mark.parametrize(
    ("creator", "approvals"),
    [
        (WAREHOUSE, [(MANAGER, None), (MANAGER, "again"), (MANAGER2, None)]),
        (MANAGER, [(MANAGER, "own"), (MANAGER2, None), (SALES, "unread"), (MANAGER3, None)]),
        (MANAGER2, [(WAREHOUSE, "role"), (MANAGER3, None), (MANAGER3, "again"), (MANAGER, None)]),
    ],
    ids=["warehouse-creates", "manager-creates", "other-manager-creates"],
)
def test_large_adjustments_need_two_different_managers(
    docs: Documents,
    stock: Stock,
    creator: Actor,
    approvals: list[tuple[Actor, str | None]],
) -> None:
    refusals = {
        "again": (InvalidTransition, "you have already approved; 2 different people must approve"),
        "own": (Forbidden, "you created this document; someone else must approve it"),
        "role": (Forbidden, "your roles may not take 'approve'"),
        "unread": (Forbidden, "your roles may not read adjustment documents"),
    }
    receive(docs, "SH", line("TV-55", 5))
    draft = docs.create(
        "adjustment", {"warehouse": "SH", "reason": "loss"}, [line("TV-55", 2)], creator
    )
    assert docs.act(draft.id, "submit", creator).state == "submitted"
    accepted = 0
    for approver, refusal in approvals:
        if refusal is not None:
            error, message = refusals[refusal]
            with pytest.raises(error) as refused:
                docs.act(draft.id, "approve", approver)
            assert str(refused.value) == message
        else:
            accepted += 1
            state = docs.act(draft.id, "approve", approver).state
            assert state == ("posted" if accepted == 2 else "submitted")
        held = 0 if accepted == 2 else 2
        assert figures_at(stock, "TV-55", "SH") == expect(
            available=3 + held, physical=3 + held, sellable=3 + held
        )
    actions = [e["action"] for e in docs.history(draft.id)]
    assert actions[-2:] == ["approve (1 of 2)", "approve"]
