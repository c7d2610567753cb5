"""A plan over warehouses: transfers from surplus before orders, what is on order or on its way
counted in the position (so a drafted receipt stops the suggestion repeating), a partial
receipt, the rows a filter covers and the filters it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from replenishment_support import ADMIN, BUYER, NOW, TODAY, Shop, d, local, open_shop

from stockform.database import Prepared
from stockform.rules.replenishment import (
    Filter,
    Pick,
    ReplenishmentError,
    TransferSuggestion,
    draft_documents,
    plan,
)


@pytest.fixture
def shop(database_url: str, tmp_path: Path) -> Iterator[Shop]:
    found = open_shop(database_url, tmp_path)
    yield found
    found.prepared.engine.dispose()


def lamp_short_at_sh(shop: Shop, **fields: str) -> None:
    """LAMP at SH: ROP 20, position 10, target 50 (as TEA in the levels tests): 40 short."""
    shop.sku("LAMP", lead_time_days="4", **fields)
    shop.put("LAMP", "SH", 25)
    shop.demand("LAMP", "SH", [2, 4, 0, 6, 3])


def test_transfer_from_the_warehouse_with_most_surplus(shop: Shop) -> None:
    lamp_short_at_sh(shop)
    # BJ and GZ sell nothing and have no min or max: trigger 0, target 0, so all their stock
    # is surplus; BJ has the most and covers the 40 alone.
    shop.put("LAMP", "BJ", 80)
    shop.put("LAMP", "GZ", 30)
    result = shop.plan()
    assert list(result.transfers) == [TransferSuggestion("LAMP", "BJ", "SH", d("40"))]
    rows = {(s.sku, s.warehouse): s for s in result.suggestions}
    assert (rows["LAMP", "SH"].transfer_in, rows["LAMP", "SH"].order_qty) == (d("40"), 0)
    assert not rows["LAMP", "BJ"].needs_action


def test_donors_by_surplus_then_an_order_for_the_rest(shop: Shop) -> None:
    lamp_short_at_sh(shop, max_stock="75")
    # With max 75 everywhere: SH's target is 75, need 75 − 10 = 65. BJ holds 80: surplus
    # 80 − 75 = 5; GZ holds 100: surplus 25. GZ gives first (most), then BJ; 65 − 30 = 35
    # is ordered (no multiple).
    shop.put("LAMP", "BJ", 80)
    shop.put("LAMP", "GZ", 100)
    result = shop.plan()
    assert list(result.transfers) == [
        TransferSuggestion("LAMP", "GZ", "SH", d("25")),
        TransferSuggestion("LAMP", "BJ", "SH", d("5")),
    ]
    row = shop.row("LAMP", "SH")
    assert (row.transfer_in, row.order_qty) == (d("30"), d("35"))


def test_a_donor_gives_no_more_than_its_own_stock(shop: Shop) -> None:
    lamp_short_at_sh(shop)
    # BJ holds 10 and has 60 on order: position 70 above its target 0, but only the 10 it
    # holds can leave. SH takes them and orders the other 30.
    shop.put("LAMP", "BJ", 10)
    draft_documents(shop.documents, [Pick("LAMP", "BJ", d("60"))], BUYER)
    assert list(shop.plan().transfers) == [TransferSuggestion("LAMP", "BJ", "SH", d("10"))]
    row = shop.row("LAMP", "SH")
    assert (row.transfer_in, row.order_qty) == (d("10"), d("30"))


def test_a_drafted_receipt_stops_the_suggestion_and_a_partial_receipt_counts(
    shop: Shop,
) -> None:
    lamp_short_at_sh(shop)
    assert shop.row("LAMP", "SH").order_qty == d("40")
    (receipt,) = draft_documents(shop.documents, [Pick("LAMP", "SH", d("40"))], BUYER)
    row = shop.row("LAMP", "SH")
    # position = 10 on hand + 40 on order = 50 > ROP 20: nothing more to order.
    assert (row.on_order, row.position, row.order_qty) == (d("40"), d("50"), 0)
    # 15 arrive: 25 on hand, 40 − 15 = 25 still on order, the position stays 50.
    line = receipt.lines[0]
    shop.documents.update(receipt.id, BUYER, lines=[{"id": line["id"], "arriving": "15"}])
    shop.documents.act(receipt.id, "receive", BUYER)
    row = shop.row("LAMP", "SH")
    assert (row.stock, row.on_order, row.position) == (d("25"), d("25"), d("50"))
    # Closed (a final state): what did not come is no longer on order.
    shop.documents.act(receipt.id, "close", BUYER)
    row = shop.row("LAMP", "SH")
    assert (row.on_order, row.position, row.needs_action) == (0, d("25"), False)


def test_open_transfers_count_until_they_ship(shop: Shop) -> None:
    lamp_short_at_sh(shop)
    shop.put("LAMP", "BJ", 80)
    (transfer,) = draft_documents(
        shop.documents, [Pick("LAMP", "SH", d("40"), from_warehouse="BJ")], BUYER
    )
    sh, bj = shop.row("LAMP", "SH"), shop.row("LAMP", "BJ")
    assert (sh.incoming, sh.position, sh.needs_action) == (d("40"), d("50"), False)
    assert (bj.outgoing, bj.position) == (d("40"), d("40"))
    assert list(shop.plan().transfers) == []
    # Shipped: the goods are in transit at SH (counted by `position`), no longer incoming.
    shop.documents.act(transfer.id, "ship", BUYER)
    sh, bj = shop.row("LAMP", "SH"), shop.row("LAMP", "BJ")
    assert (sh.stock, sh.incoming, sh.position) == (d("50"), 0, d("50"))
    assert (bj.stock, bj.outgoing) == (d("40"), 0)


def test_rows_needing_action_first_and_only(shop: Shop) -> None:
    for code in ("A", "B", "C"):
        shop.sku(code, lead_time_days="4", min_stock="5" if code == "B" else "0")
    shop.put("C", "GZ", 1)
    # B has a min of 5 and no stock anywhere: short at every warehouse (no donor).
    result = shop.plan()
    assert [(s.sku, s.warehouse, s.needs_action) for s in result.suggestions][:4] == [
        ("B", "BJ", True),
        ("B", "GZ", True),
        ("B", "SH", True),
        ("A", "BJ", False),
    ]
    only = shop.plan(needing_action_only=True)
    assert [(s.sku, s.warehouse) for s in only.suggestions] == [
        ("B", "BJ"),
        ("B", "GZ"),
        ("B", "SH"),
    ]
    assert {s.order_qty for s in only.suggestions} == {d("5")}


def test_one_warehouse_shares_transfers_as_the_whole_plan_does(shop: Shop) -> None:
    lamp_short_at_sh(shop)
    shop.sku("MUG", lead_time_days="4")
    shop.put("MUG", "BJ", 10)
    shop.put("LAMP", "BJ", 80)
    result = shop.plan(Filter(warehouse="SH"))
    assert {s.warehouse for s in result.suggestions} == {"SH"}
    assert [(s.sku, s.transfer_in) for s in result.suggestions if s.needs_action] == [
        ("LAMP", d("40"))
    ]
    assert list(result.transfers) == [TransferSuggestion("LAMP", "BJ", "SH", d("40"))]
    # BJ is a donor; in its own plan it receives nothing and shows no transfer to SH.
    assert list(shop.plan(Filter(warehouse="BJ")).transfers) == []


def test_category_filter_and_inactive_skus(shop: Shop) -> None:
    shop.sku("F", category="food", min_stock="1")
    shop.sku("H", category="home", min_stock="1")
    assert {s.sku for s in shop.plan(Filter(category="food")).suggestions} == {"F"}


def test_the_window_follows_local_days(shop: Shop) -> None:
    shop.sku("T", lead_time_days="1")
    shop.put("T", "SH", 100)
    first = TODAY - timedelta(days=4)
    # 23:30 the evening before the window (15:30 UTC) is outside; 00:30 on its first day in.
    for moment, qty in ((local(first - timedelta(days=1), 23), 7), (local(first, 0), 5)):
        shop.stock.move("T", qty, ("SH", "available"), None, kind="sale", effective_at=moment)
    row = shop.row("T", "SH")
    assert row.average_daily_demand == d("1")  # 5 over 5 days


@pytest.mark.parametrize(
    ("which", "field", "message"),
    [
        (Filter(sku="LAMPP"), "sku", "unknown SKU 'LAMPP' (did you mean 'LAMP'?)"),
        (Filter(warehouse="SJ"), "warehouse", "unknown warehouse 'SJ' (valid: BJ, GZ, SH)"),
        (Filter(category="fod"), "category", "unknown category 'fod' (did you mean 'food'?)"),
    ],
)
def test_unknown_filter_values(shop: Shop, which: Filter, field: str, message: str) -> None:
    shop.sku("LAMP")
    with pytest.raises(ReplenishmentError) as caught:
        shop.plan(which)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_a_template_without_the_section(prepared: Prepared) -> None:
    with prepared.engine.connect() as connection, pytest.raises(ReplenishmentError) as caught:
        plan(connection, prepared.template, NOW)
    assert caught.value.field is None
    assert "no stock.replenishment section" in caught.value.message


def test_admin_sees_the_same_plan(shop: Shop) -> None:
    # The plan reads no actor: what a buyer drafts is what everyone's plan counts.
    lamp_short_at_sh(shop)
    draft_documents(shop.documents, [Pick("LAMP", "SH", d("40"))], ADMIN)
    assert shop.row("LAMP", "SH").on_order == d("40")
