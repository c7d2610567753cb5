"""Stocktakes on the counts test template: per-line checks that name the line, `state` in
checks, `set` effects that record the book quantity and recompute what depends on it, a
clock for history, and counts whose loss cuts the newest locks, previewed before approval."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from stockform.database import Prepared, prepare
from stockform.documents.service import CutNotice, Documents, DocumentView
from stockform.documents.tables import AuditEvent, Document
from stockform.documents.users import Actor
from stockform.documents.validate import ValidationFailed
from stockform.stock.columns import stock_tables
from stockform.stock.service import Stock, figures
from stockform.stock.tables import Batch, Lock, Movement, table_of

COUNTS = Path(__file__).parents[1] / "data/templates/valid/counts"
CLERK = Actor("cal", frozenset({"clerk"}))
MANAGER = Actor("mia", frozenset({"manager"}))
TODAY = datetime.now(UTC).date()


@dataclass(frozen=True)
class Shop:
    prepared: Prepared
    docs: Documents
    stock: Stock

    def documents(self, clock: Callable[[], datetime]) -> Documents:
        """The same shop's documents on another clock."""
        applied = self.prepared.applied
        return Documents(self.prepared.engine, self.prepared.template, applied.version_id, clock)


@pytest.fixture
def counts(database_url: str) -> Iterator[Shop]:
    """The counts template at MAIN: HAMMER 10, SAW 5 (tools), MILK (food, batches, none yet)."""
    prepared = prepare(database_url, COUNTS)
    version = prepared.applied.version_id
    stock = Stock(prepared.engine, prepared.template, version)
    stock.create_sku(code="HAMMER", category="tools")
    stock.create_sku(code="SAW", category="tools")
    stock.create_sku(code="MILK", category="food")
    stock.receive("HAMMER", "MAIN", 10)
    stock.receive("SAW", "MAIN", 5)
    yield Shop(prepared, Documents(prepared.engine, prepared.template, version), stock)
    prepared.engine.dispose()


def order(docs: Documents, *lines: tuple[str, int]) -> DocumentView:
    """A submitted order: its lines are locked at MAIN."""
    created = docs.create(
        "order",
        {"customer": "Bo", "warehouse": "MAIN"},
        [{"sku": sku, "qty": str(qty)} for sku, qty in lines],
        CLERK,
    )
    return docs.act(created.id, "submit", CLERK)


def stocktake(
    docs: Documents, *lines: dict[str, Any], start: bool = True, **fields: Any
) -> DocumentView:
    """A stocktake at MAIN, counting (its book quantities recorded) unless start is False."""
    created = docs.create("stocktake", {"warehouse": "MAIN", **fields}, list(lines), CLERK)
    return docs.act(created.id, "start", CLERK) if start else created


def count(docs: Documents, doc: DocumentView, *values: dict[str, Any]) -> DocumentView:
    """Enter counted quantities (and reasons), one dict per line in order."""
    changes = [{"id": line["id"], **v} for line, v in zip(doc.lines, values, strict=True)]
    return docs.update(doc.id, CLERK, lines=changes)


def refusals(save: Callable[[], Any]) -> list[str]:
    """The problems a save is refused with; none when it is saved."""
    try:
        save()
    except ValidationFailed as refused:
        return [str(e) for e in refused.errors]
    return []


def lock_states(shop: Shop) -> dict[tuple[str | None, int | None], tuple[str, Decimal]]:
    """(status, open qty) of every lock by (reference or document number, line number)."""
    found = []
    for record in shop.stock.find_locks(per_page=100)[0]:
        if record.document_id is None:
            found.append(((record.reference, None), (record.status, record.open_qty)))
            continue
        owner = shop.docs.get(record.document_id)
        line = [x["id"] for x in owner.lines].index(record.line_id) + 1
        found.append(((owner.number, line), (record.status, record.open_qty)))
    return dict(found)


def snapshot(shop: Shop) -> tuple[Any, ...]:
    """Every balance, lock, batch and document row, and how many movements and audit events
    there are: what a preview must not touch."""
    tables = (stock_tables(shop.prepared.template).balance, *map(table_of, (Lock, Batch, Document)))
    with shop.prepared.engine.connect() as connection:
        return tuple(
            [tuple(r) for r in connection.execute(select(table).order_by(*table.primary_key))]
            for table in tables
        ) + tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (Movement, AuditEvent)
        )


# -- per-line checks and `state`


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        pytest.param(
            [{"counted": "10"}, {}], ["line 2: Count this line"], id="one-line-not-counted"
        ),
        pytest.param(
            [{}, {}],
            ["line 1: Count this line", "line 2: Count this line"],
            id="every-line-named",
        ),
        pytest.param(
            [{"counted": "10"}, {"counted": "4"}],
            ["line 2: A loss needs a reason"],
            id="second-check-second-line",
        ),
        pytest.param(
            [{"counted": "9"}, {}],
            ["line 1: A loss needs a reason"],  # line 2 may stay uncounted while counting
            id="a-check-of-any-state-on-save",
        ),
    ],
)
def test_a_per_line_check_names_each_line_that_fails(
    counts: Shop, values: list[dict[str, str]], errors: list[str]
) -> None:
    """Each refusal, on saving the counts or on approving them, names its lines."""
    doc = stocktake(counts.docs, {"sku": "HAMMER"}, {"sku": "SAW"})
    with pytest.raises(ValidationFailed) as refused:
        count(counts.docs, doc, *values)
        counts.docs.act(doc.id, "approve", MANAGER)
    assert sorted(str(e) for e in refused.value.errors) == errors
    assert all(e.field == "" and e.line for e in refused.value.errors)
    assert counts.docs.get(doc.id).state == "counting"  # nothing was posted


@pytest.mark.parametrize(
    ("max_loss", "errors"),
    [
        pytest.param(None, [], id="limit-is-the-book-total"),
        pytest.param("6", [], id="within-the-limit"),
        pytest.param("5", ["line 1: The loss is above the limit"], id="above-the-limit"),
    ],
)
def test_a_per_line_check_sees_the_header_computed_fields(
    counts: Shop, max_loss: str | None, errors: list[str]
) -> None:
    # loss_limit = coalesce(max_loss, book_total), computed after the lines' own values.
    doc = stocktake(counts.docs, {"sku": "HAMMER"}, {"sku": "SAW"}, max_loss=max_loss)
    assert doc.fields["loss_limit"] == Decimal(max_loss or 15)
    entered = ({"counted": "4", "reason": "missing"}, {"counted": "5"})
    assert refusals(lambda: count(counts.docs, doc, *entered)) == errors


def test_a_check_on_state_applies_in_the_states_it_names(counts: Shop) -> None:
    # `state in ['draft', 'counting'] or counted != null`: while a count is being entered,
    # lines may stay uncounted ...
    draft = stocktake(counts.docs, {"sku": "HAMMER"}, {"sku": "SAW"}, start=False)
    draft = counts.docs.update(draft.id, CLERK, fields={"note": "aisle 3"})
    counting = counts.docs.act(draft.id, "start", CLERK)
    counting = counts.docs.update(counting.id, CLERK, fields={"note": "aisle 4"})
    assert counting.state == "counting"
    # ... but a document must hold in the state it enters: approval needs every line counted,
    # and the refusal leaves nothing posted.
    with pytest.raises(ValidationFailed) as refused:
        counts.docs.act(counting.id, "approve", MANAGER)
    assert str(refused.value) == "line 1: Count this line; line 2: Count this line"
    assert counts.docs.get(counting.id).state == "counting"
    counted = count(counts.docs, counting, {"counted": "10"}, {"counted": "5"})
    assert [line["variance"] for line in counted.lines] == [0, 0]


# -- set effects


def test_set_records_the_book_and_recomputes_what_depends_on_it(counts: Shop) -> None:
    draft = stocktake(
        counts.docs,
        {"sku": "HAMMER", "counted": "7", "reason": "broken"},
        {"sku": "SAW", "counted": "5"},
        start=False,
    )
    assert [(x["book"], x["variance"]) for x in draft.lines] == [(None, None), (None, None)]
    assert (draft.fields["book_total"], draft.totals) == (0, {"variance": 0})
    started = counts.docs.act(draft.id, "start", CLERK)
    assert [(x["book"], x["variance"]) for x in started.lines] == [(10, -3), (5, 0)]
    assert (started.fields["book_total"], started.totals) == (15, {"variance": -3})
    assert counts.docs.get(draft.id) == started  # stored, not only returned
    changes = [h["changes"] for h in counts.docs.history(draft.id) if h["action"] == "start"]
    assert changes == [{"line.book": "per line"}]


def test_set_reads_the_stock_of_the_line_batch(counts: Shop) -> None:
    counts.stock.receive("MILK", "MAIN", 4, batch="L-1", expiry=TODAY + timedelta(days=5))
    counts.stock.receive("MILK", "MAIN", 6, batch="L-2", expiry=TODAY + timedelta(days=50))
    order(counts.docs, ("MILK", 3))  # FEFO: locks 3 of L-1
    doc = stocktake(counts.docs, {"sku": "MILK", "batch": "L-1"}, {"sku": "MILK", "batch": "L-2"})
    assert [x["book"] for x in doc.lines] == [4, 6]  # available + locked of each batch


def test_set_gives_a_line_without_stock_there_a_book_of_zero(counts: Shop) -> None:
    counts.stock.create_sku(code="NAIL")
    counts.stock.receive("MILK", "NORTH", 2, batch="N-1", expiry=TODAY + timedelta(days=9))
    doc = stocktake(counts.docs, {"sku": "NAIL"}, {"sku": "MILK", "batch": "N-1"})
    assert [x["book"] for x in doc.lines] == [0, 0]


# -- the clock


def test_the_clock_stamps_documents_history_locks_and_movements(counts: Shop) -> None:
    first = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    now = [first]
    docs = counts.documents(lambda: now[-1])
    created = docs.create("receipt", {"warehouse": "MAIN"}, [{"sku": "SAW", "qty": "2"}], CLERK)
    now.append(first + timedelta(hours=1))
    done = docs.act(created.id, "confirm", CLERK)
    assert (done.created_at, done.updated_at) == (first, now[-1])
    assert done.number == "RC-20260301-001"  # 17:30 in Asia/Shanghai, the template's zone
    assert [h["at"] for h in docs.history(done.id)] == [first, now[-1]]
    (receipt,) = [e for e in counts.stock.entries() if e.document_id == done.id]
    assert (receipt.recorded_at, receipt.effective_at) == (now[-1], now[-1])
    now.append(first + timedelta(hours=2))
    submitted = order(docs, ("SAW", 1))
    (held,) = counts.stock.find_locks(per_page=100)[0]
    assert (submitted.updated_at, held.created_at) == (now[-1], now[-1])
    assert held.expires_at == now[-1] + timedelta(minutes=30)


# -- counts that cut locks


def test_the_preview_names_each_lock_a_count_would_cut_and_changes_nothing(
    counts: Shop,
) -> None:
    first = order(counts.docs, ("HAMMER", 3))
    second = order(counts.docs, ("SAW", 1), ("HAMMER", 4))
    counts.stock.lock("HAMMER", "MAIN", 1, reference="WEB-7")  # the newest: an order system's
    doc = stocktake(counts.docs, {"sku": "HAMMER"}, {"sku": "SAW"})
    doc = count(counts.docs, doc, {"counted": "4", "reason": "missing"}, {"counted": "5"})
    before = snapshot(counts)
    # Book 10, counted 4: a loss of 6 with 2 available cuts 4, newest first.
    assert counts.docs.cuts(doc.id, "approve", MANAGER) == [
        CutNotice(None, None, None, None, "WEB-7", "HAMMER", "MAIN", Decimal(1)),
        CutNotice("order", second.id, second.number, 2, None, "HAMMER", "MAIN", Decimal(3)),
    ]
    assert snapshot(counts) == before
    approved = counts.docs.act(doc.id, "approve", MANAGER)
    assert approved.state == "approved"
    assert lock_states(counts) == {
        (first.number, 1): ("active", 3),
        (second.number, 1): ("active", 1),
        (second.number, 2): ("active", 1),
        ("WEB-7", None): ("cut", 0),
    }
    assert figures(counts.stock.row("HAMMER", "MAIN")) == {
        "available": 0,
        "locked": 4,
        "physical": 4,  # what was counted
        "sellable": 0,
    }
    moved = [
        (e.kind, e.qty, e.from_bucket, e.to_bucket, e.document_id)
        for e in counts.stock.entries(limit=1000)
        if e.kind in ("cut", "count")
    ]
    assert moved == [
        ("cut", 1, "locked", "available", None),
        ("cut", 3, "locked", "available", second.id),
        ("count", 6, "available", None, doc.id),
    ]
    assert counts.stock.drift() == []


@pytest.mark.parametrize(
    ("transition", "counted"),
    [
        pytest.param("approve", "8", id="available-suffices"),
        pytest.param("approve", "12", id="a-gain"),
        pytest.param("no_such_action", "2", id="unknown-transition"),
    ],
)
def test_the_preview_is_empty_when_nothing_would_be_cut(
    counts: Shop, transition: str, counted: str
) -> None:
    order(counts.docs, ("HAMMER", 7))  # available 3
    doc = stocktake(counts.docs, {"sku": "HAMMER"})
    doc = count(counts.docs, doc, {"counted": counted, "reason": "recount"})
    assert counts.docs.cuts(doc.id, transition, MANAGER) == []


def test_an_action_without_cut_locks_previews_nothing(counts: Shop) -> None:
    counts.stock.lock("HAMMER", "MAIN", 10, reference="WEB-1")  # nothing available
    draft = counts.docs.create(
        "order", {"customer": "Bo", "warehouse": "MAIN"}, [{"sku": "HAMMER", "qty": "1"}], CLERK
    )
    assert counts.docs.cuts(draft.id, "submit", MANAGER) == []


def test_a_count_of_one_batch_cuts_only_orders_holding_that_batch(counts: Shop) -> None:
    counts.stock.receive("MILK", "MAIN", 5, batch="L-EARLY", expiry=TODAY + timedelta(days=5))
    counts.stock.receive("MILK", "MAIN", 5, batch="L-LATE", expiry=TODAY + timedelta(days=50))
    older = order(counts.docs, ("MILK", 7))  # L-EARLY 5 and L-LATE 2 (FEFO)
    newer = order(counts.docs, ("MILK", 2))  # L-LATE 2
    doc = stocktake(counts.docs, {"sku": "MILK", "batch": "L-EARLY"})
    doc = count(counts.docs, doc, {"counted": "2", "reason": "spoiled"})
    assert counts.docs.cuts(doc.id, "approve", MANAGER) == [
        CutNotice("order", older.id, older.number, 1, None, "MILK", "MAIN", Decimal(3))
    ]
    counts.docs.act(doc.id, "approve", MANAGER)
    assert lock_states(counts) == {
        (older.number, 1): ("active", 4),
        (newer.number, 1): ("active", 2),
    }
    batches = {r.batch: r.buckets for r in counts.stock.query(sku="MILK", level="batch").items}
    assert batches == {
        "L-EARLY": {"available": 0, "locked": 2},
        "L-LATE": {"available": 1, "locked": 4},
    }
    assert counts.stock.drift() == []


def test_an_expired_order_gives_its_stock_back_before_a_live_one_is_cut(counts: Shop) -> None:
    live = order(counts.docs, ("HAMMER", 5))
    # Submitted an hour ago, unpaid: its 30-minute lock has run out but nothing swept it yet.
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    stale = order(counts.documents(lambda: an_hour_ago), ("HAMMER", 5))
    doc = stocktake(counts.docs, {"sku": "HAMMER"})
    doc = count(counts.docs, doc, {"counted": "5", "reason": "missing"})
    assert counts.docs.cuts(doc.id, "approve", MANAGER) == []
    counts.docs.act(doc.id, "approve", MANAGER)
    assert lock_states(counts) == {
        (live.number, 1): ("active", 5),
        (stale.number, 1): ("expired", 0),
    }
    assert figures(counts.stock.row("HAMMER", "MAIN")) == {
        "available": 0,
        "locked": 5,
        "physical": 5,
        "sellable": 0,
    }
    assert counts.stock.drift() == []
