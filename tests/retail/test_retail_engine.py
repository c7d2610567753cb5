"""The retail starter through the engine: the tour, returns, transfers, food batches, and every
flow in one database leaving the ledger and the balances agreeing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from retail_support import (
    EARLY,
    LATE,
    MANAGER,
    RETURN_SUM,
    SALES,
    TOUR,
    TWO_WAREHOUSES,
    WAREHOUSE,
    Clock,
    expect,
    figures_at,
    line,
    line_ids,
    milk,
    order,
    receive,
    tea,
)

from stockform.documents.errors import InvalidTransition
from stockform.documents.service import Documents, DocumentView
from stockform.documents.validate import ValidationFailed
from stockform.stock.errors import InsufficientStock
from stockform.stock.service import Stock


def test_the_tour(docs: Documents, stock: Stock) -> None:
    receive(docs, "SH", {"sku": "TEA-01", "qty": "100"})
    assert figures_at(stock, "TEA-01", "SH") == TOUR["receive 100"]

    so = docs.act(order(docs, {"sku": "TEA-01", "qty": "30"}).id, "submit", SALES)
    assert (so.state, so.totals) == ("approved", {"total": Decimal(3600)})
    assert figures_at(stock, "TEA-01", "SH") == TOUR["order 30 submitted"]

    rt = docs.create("return", {"customer": "Mr Wu", "warehouse": "SH"}, [tea(5)], SALES)
    rt = docs.act(rt.id, "receive", WAREHOUSE)
    assert figures_at(stock, "TEA-01", "SH") == TOUR["return of 5 received"]

    rt = docs.update(rt.id, WAREHOUSE, lines=[{"id": rt.lines[0]["id"], **_split(3, 2)}])
    rt = docs.act(rt.id, "inspect", WAREHOUSE)
    assert rt.state == "inspected"
    assert figures_at(stock, "TEA-01", "SH") == TOUR["inspected: 3 accepted, 2 rejected"]

    docs.act(so.id, "confirm_payment", SALES)
    assert docs.act(so.id, "ship", WAREHOUSE).state == "shipped"
    assert figures_at(stock, "TEA-01", "SH") == TOUR["order paid and shipped"]
    assert figures_at(stock, "TEA-01", "BJ") == expect()


def _split(accepted: int, rejected: int) -> dict[str, str]:
    return {"accepted": str(accepted), "rejected": str(rejected)}


def _received_return(docs: Documents, *lines: dict[str, Any]) -> DocumentView:
    draft = docs.create("return", {"customer": "Mr Wu", "warehouse": "SH"}, list(lines), SALES)
    received = docs.act(draft.id, "receive", WAREHOUSE)
    # Receiving accepts everything until the inspection says otherwise.
    assert [(x["accepted"], x["rejected"]) for x in received.lines] == [
        (Decimal(x["qty"]), Decimal(0)) for x in lines
    ]
    return received


@pytest.mark.parametrize(
    ("number", "split", "error"),
    [
        (1, _split(3, 1), f"line 1: {RETURN_SUM}"),
        (1, _split(5, 1), f"line 1: {RETURN_SUM}"),
        (1, _split(0, 4), f"line 1: {RETURN_SUM}"),
        (2, _split(1, 0), f"line 2: {RETURN_SUM}"),
        (1, _split(6, 0), "line 1, accepted: must be at most 5"),
        (
            1,
            {"accepted": "-1", "rejected": "6"},
            "line 1, accepted: must be at least 0; line 1, rejected: must be at most 5",
        ),
    ],
    ids=["3+1", "5+1", "0+4", "line-2", "over", "negative"],
)
def test_inspection_must_account_for_every_returned_piece(
    docs: Documents, stock: Stock, number: int, split: dict[str, str], error: str
) -> None:
    rt = _received_return(docs, tea(5), line("MUG-1", 2))
    with pytest.raises(ValidationFailed) as refused:
        docs.update(rt.id, WAREHOUSE, lines=[{"id": line_ids(rt)[number - 1], **split}])
    assert str(refused.value) == error
    unchanged = docs.get(rt.id)
    assert [(x["accepted"], x["rejected"]) for x in unchanged.lines] == [(5, 0), (2, 0)]
    assert figures_at(stock, "TEA-01", "SH") == expect(quarantine=5, physical=5)


@pytest.mark.parametrize(
    ("accepted", "rejected", "after"),
    [
        (5, 0, expect(available=5, physical=5, sellable=5)),
        (3, 2, expect(available=3, damaged=2, physical=5, sellable=3)),
        (0, 5, expect(damaged=5, physical=5)),
    ],
)
def test_inspection_frees_the_accepted_and_sets_aside_the_rejected(
    docs: Documents, stock: Stock, accepted: int, rejected: int, after: dict[str, Decimal]
) -> None:
    rt = _received_return(docs, tea(5))
    assert figures_at(stock, "TEA-01", "SH") == expect(quarantine=5, physical=5)
    rt = docs.update(
        rt.id, WAREHOUSE, lines=[{"id": rt.lines[0]["id"], **_split(accepted, rejected)}]
    )
    assert docs.act(rt.id, "inspect", WAREHOUSE).state == "inspected"
    assert figures_at(stock, "TEA-01", "SH") == after


@pytest.mark.parametrize(
    ("steps", "state"),
    [
        ([], "draft"),
        (["receive"], "received"),
        (["receive", "inspect"], "inspected"),
    ],
)
def test_a_return_is_cancelled_only_as_a_draft(
    docs: Documents, stock: Stock, steps: list[str], state: str
) -> None:
    rt = docs.create("return", {"customer": "Mr Wu", "warehouse": "SH"}, [tea(5)], SALES)
    for step in steps:
        docs.act(rt.id, step, WAREHOUSE)
    before = figures_at(stock, "TEA-01", "SH")
    if state == "draft":
        assert docs.act(rt.id, "cancel", SALES).state == "cancelled"
        assert before == expect()
        return
    with pytest.raises(InvalidTransition) as refused:
        docs.act(rt.id, "cancel", SALES)
    assert str(refused.value) == f"'cancel' cannot be taken in state '{state}' (only from draft)"
    assert docs.get(rt.id).state == state
    assert figures_at(stock, "TEA-01", "SH") == before


def _transfer(docs: Documents, qty: int, source: str = "SH", target: str = "BJ") -> DocumentView:
    return docs.create(
        "transfer", {"from_warehouse": source, "to_warehouse": target}, [tea(qty)], WAREHOUSE
    )


def _transfer_line(view: DocumentView) -> tuple[Any, ...]:
    line = view.lines[0]
    return (view.state, line["received"], line["received_total"], line["outstanding"])


def test_a_transfer_is_in_transit_at_its_destination_until_all_is_received(
    docs: Documents, stock: Stock
) -> None:
    receive(docs, "SH", tea(100))
    tr = docs.act(_transfer(docs, 20).id, "ship", WAREHOUSE)
    assert _transfer_line(tr) == ("in_transit", 20, 0, 20)
    assert figures_at(stock, "TEA-01", "SH") == expect(available=80, physical=80, sellable=80)
    assert figures_at(stock, "TEA-01", "BJ") == expect(in_transit=20)

    tr = docs.update(tr.id, WAREHOUSE, lines=[{"id": tr.lines[0]["id"], "received": "12"}])
    tr = docs.act(tr.id, "receive", WAREHOUSE)
    # The rest stays in transit and is what the next receipt proposes.
    assert _transfer_line(tr) == ("in_transit", 8, 12, 8)
    assert tr.totals == {"still_in_transit": Decimal(8)}
    assert figures_at(stock, "TEA-01", "BJ") == expect(
        available=12, in_transit=8, physical=12, sellable=12
    )

    with pytest.raises(ValidationFailed) as refused:
        docs.update(tr.id, WAREHOUSE, lines=[{"id": tr.lines[0]["id"], "received": "9"}])
    assert str(refused.value) == "line 1, received: must be at most 8"

    tr = docs.act(tr.id, "receive", WAREHOUSE)
    assert _transfer_line(tr) == ("received", 0, 20, 0)
    assert [(e["action"], e["user"], e["comment"]) for e in docs.history(tr.id)][-2:] == [
        ("receive", "wes", None),
        ("complete", "wes", "automatic"),
    ]
    assert figures_at(stock, "TEA-01", "BJ") == expect(available=20, physical=20, sellable=20)
    assert figures_at(stock, "TEA-01", "SH") == expect(available=80, physical=80, sellable=80)


@pytest.mark.parametrize(
    ("qty", "source", "target", "error", "message"),
    [
        (20, "SH", "SH", ValidationFailed, TWO_WAREHOUSES),
        (20, "BJ", "BJ", ValidationFailed, TWO_WAREHOUSES),
        (101, "SH", "BJ", InsufficientStock, "TEA-01 at SH: 101 requested, 100 available"),
        (1, "BJ", "SH", InsufficientStock, "TEA-01 at BJ: 1 requested, 0 available"),
    ],
    ids=["SH-to-SH", "BJ-to-BJ", "more-than-there-is", "from-an-empty-warehouse"],
)
def test_transfers_that_cannot_be(
    docs: Documents,
    stock: Stock,
    qty: int,
    source: str,
    target: str,
    error: type[Exception],
    message: str,
) -> None:
    receive(docs, "SH", tea(100))
    with pytest.raises(error) as refused:
        docs.act(_transfer(docs, qty, source, target).id, "ship", WAREHOUSE)
    if error is InsufficientStock:
        message = f"not enough stock: {message}"
    assert str(refused.value) == message
    assert figures_at(stock, "TEA-01", "SH") == expect(available=100, physical=100, sellable=100)
    assert figures_at(stock, "TEA-01", "BJ") == expect()


def test_every_flow_in_one_database_leaves_ledger_and_balances_agreeing(
    docs: Documents, stock: Stock, clock: Clock
) -> None:
    receive(
        docs,
        "SH",
        tea(100),
        line("MUG-1", 30),
        line("TV-55", 5),
        milk(40, batch="E-1", expiry=EARLY),
        milk(20, batch="L-1", expiry=LATE),
    )
    shipped = docs.act(order(docs, tea(30), milk(25)).id, "submit", SALES)
    docs.act(shipped.id, "confirm_payment", SALES)
    docs.act(shipped.id, "ship", WAREHOUSE)
    docs.act(order(docs, tea(10)).id, "submit", SALES)
    assert stock.sweep(now=clock.advance(minutes=31)) == 1
    large = docs.act(order(docs, line("TV-55", 2)).id, "submit", SALES)
    docs.act(large.id, "approve", MANAGER)
    docs.act(large.id, "cancel", MANAGER)

    rt = _received_return(docs, tea(5))
    docs.update(rt.id, WAREHOUSE, lines=[{"id": rt.lines[0]["id"], **_split(3, 2)}])
    docs.act(rt.id, "inspect", WAREHOUSE)

    tr = docs.create(
        "transfer",
        {"from_warehouse": "SH", "to_warehouse": "BJ"},
        [tea(20), milk(10, batch="L-1")],
        WAREHOUSE,
    )
    tr = docs.act(tr.id, "ship", WAREHOUSE)
    tr = docs.update(tr.id, WAREHOUSE, lines=[{"id": tr.lines[0]["id"], "received": "12"}])
    assert docs.act(tr.id, "receive", WAREHOUSE).state == "in_transit"
    assert docs.act(tr.id, "receive", WAREHOUSE).state == "received"

    take = docs.create(
        "stocktake",
        {"warehouse": "SH"},
        [line("TEA-01"), line("MILK-1", batch="E-1")],
        WAREHOUSE,
    )
    take = docs.act(take.id, "start", WAREHOUSE)
    assert [x["book"] for x in take.lines] == [53, 15]
    counted = [{"id": i, "counted": n} for i, n in zip(line_ids(take), ["50", "16"], strict=True)]
    docs.update(take.id, WAREHOUSE, lines=counted)
    docs.act(take.id, "submit", WAREHOUSE)
    docs.act(take.id, "approve", MANAGER)

    for reason, adjusted in [("damage", line("MUG-1", 2)), ("found", line("TV-55", 1))]:
        adjustment = docs.create(
            "adjustment", {"warehouse": "SH", "reason": reason}, [adjusted], WAREHOUSE
        )
        assert docs.act(adjustment.id, "submit", WAREHOUSE).state == "posted"

    final = {
        ("TEA-01", "SH", None): expect(available=50, damaged=2, physical=52, sellable=50),
        ("TEA-01", "BJ", None): expect(available=20, physical=20, sellable=20),
        ("MUG-1", "SH", None): expect(available=28, damaged=2, physical=30, sellable=18),
        ("TV-55", "SH", None): expect(available=6, physical=6, sellable=6),
        ("MILK-1", "SH", None): expect(available=26, physical=26, sellable=26),
        ("MILK-1", "SH", "E-1"): expect(available=16, physical=16, sellable=16),
        ("MILK-1", "SH", "L-1"): expect(available=10, physical=10, sellable=10),
        ("MILK-1", "BJ", None): expect(available=10, physical=10, sellable=10),
        ("MILK-1", "BJ", "L-1"): expect(available=10, physical=10, sellable=10),
    }
    assert {key: figures_at(stock, *key) for key in final} == final
    assert stock.drift() == []
    assert [lock.status for lock in stock.find_locks(per_page=1000)[0]] == [
        "consumed",
        "consumed",
        "expired",
        "released",
    ]


@pytest.mark.parametrize(
    ("form", "fields", "first", "where", "name", "value", "kept"),
    [
        (
            "sales_order",
            {"customer": "A", "warehouse": "SH"},
            tea(10),
            "header",
            "paid",
            True,
            False,
        ),
        (
            "transfer",
            {"from_warehouse": "SH", "to_warehouse": "BJ"},
            tea(20),
            "line",
            "received_total",
            "20",
            0,
        ),
        ("stocktake", {"warehouse": "SH"}, {"sku": "TEA-01"}, "line", "book", "500", None),
    ],
    ids=["order-paid", "transfer-received-total", "stocktake-book"],
)
def test_read_only_fields_are_set_by_workflows_only(
    docs: Documents,
    stock: Stock,
    form: str,
    fields: dict[str, Any],
    first: dict[str, Any],
    where: str,
    name: str,
    value: Any,
    kept: Any,
) -> None:
    receive(docs, "SH", tea(100))
    actor = SALES if form == "sales_order" else WAREHOUSE

    def stored(view: DocumentView) -> Any:
        return view.fields[name] if where == "header" else view.lines[0][name]

    sent = {name: value}
    if where == "header":
        created = docs.create(form, {**fields, **sent}, [first], actor)
        assert stored(created) == kept
        assert stored(docs.update(created.id, actor, fields=sent)) == kept
    else:
        created = docs.create(form, fields, [{**first, **sent}], actor)
        assert stored(created) == kept
        line_id = created.lines[0]["id"]
        assert stored(docs.update(created.id, actor, lines=[{"id": line_id, **sent}])) == kept
        replaced = [{**first, "id": line_id, **sent}]
        assert stored(docs.update(created.id, actor, lines=replaced, replace_lines=True)) == kept

    # What the sent value would have done: ship unpaid goods, finish a transfer at once while
    # its goods stay in transit, or count against a made-up book.
    if form == "sales_order":
        docs.act(created.id, "submit", SALES)
        with pytest.raises(InvalidTransition) as refused:
            docs.act(created.id, "ship", WAREHOUSE)
        assert str(refused.value) == "'ship' needs paid"
        after = expect(available=90, locked=10, physical=100, sellable=90)
    elif form == "transfer":
        assert docs.act(created.id, "ship", WAREHOUSE).state == "in_transit"
        assert figures_at(stock, "TEA-01", "BJ") == expect(in_transit=20)
        after = expect(available=80, physical=80, sellable=80)
    else:
        assert docs.act(created.id, "start", WAREHOUSE).lines[0]["book"] == 100
        after = expect(available=100, physical=100, sellable=100)
    assert figures_at(stock, "TEA-01", "SH") == after
