"""The retail starter through the REST API: every flow with a token per role, reading
GET /api/v1/stock?sku=&warehouse= after each step, refusals in the one error shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from retail_support import RETURN_SUM, TOUR, TWO_WAREHOUSES, RetailApi, expect, tea

from stockform.stock.service import Stock

ORDER = {"customer": "Ms Chen", "warehouse": "SH"}


def _receive(api: RetailApi, warehouse: str, *lines: dict[str, Any]) -> None:
    receipt = api.create("receipt", "wes", {"warehouse": warehouse}, list(lines))
    assert receipt["actions"] == ["confirm", "cancel"]
    assert api.act("receipt", receipt["id"], "confirm", "wes")["state"] == "received"


def _submitted(api: RetailApi, user: str, *lines: dict[str, Any]) -> Any:
    draft = api.create("sales_order", user, ORDER, list(lines))
    return api.act("sales_order", draft["id"], "submit", user)


def _ids(doc: Any) -> list[int]:
    return [line["id"] for line in doc["lines"]]


def _document_locks(api: RetailApi, doc: Any) -> list[tuple[str, str, str, str | None]]:
    """(sku, status, open_qty, expires_at) of the document's locks, oldest first."""
    return [
        (lock["sku"], lock["status"], lock["open_qty"], lock["expires_at"])
        for lock in api.locks(per_page="1000")
        if lock["document"] and lock["document"]["id"] == doc["id"]
    ]


def test_the_tour_through_the_api(api: RetailApi) -> None:
    _receive(api, "SH", {"sku": "TEA-01", "qty": 100})
    assert api.figures("TEA-01", "SH") == TOUR["receive 100"]

    so = _submitted(api, "sam", {"sku": "TEA-01", "qty": "30"})
    assert (so["state"], so["totals"], so["fields"]["paid"]) == (
        "approved",
        {"total": "3600"},
        False,
    )
    assert api.figures("TEA-01", "SH", user="sam") == TOUR["order 30 submitted"]

    rt = api.create("return", "sam", {"customer": "Mr Wu", "warehouse": "SH"}, [tea(5)])
    rt = api.act("return", rt["id"], "receive", "wes")
    assert api.figures("TEA-01", "SH") == TOUR["return of 5 received"]

    line = {"id": rt["lines"][0]["id"], "accepted": "3", "rejected": "2"}
    api.patch_lines("return", rt["id"], "wes", [line])
    assert api.act("return", rt["id"], "inspect", "wes")["state"] == "inspected"
    assert api.figures("TEA-01", "SH") == TOUR["inspected: 3 accepted, 2 rejected"]

    assert api.act("sales_order", so["id"], "confirm_payment", "fay")["fields"]["paid"] is True
    assert api.act("sales_order", so["id"], "ship", "wes")["state"] == "shipped"
    assert api.figures("TEA-01", "SH") == TOUR["order paid and shipped"]


def test_a_sales_order_from_refusal_to_shipment(api: RetailApi) -> None:
    _receive(api, "SH", tea(100), {"sku": "MUG-1", "qty": "25"})
    draft = api.create("sales_order", "sam", ORDER, [tea(10), {"sku": "MUG-1", "qty": "16"}])
    refused = api.refuse_action("sales_order", draft["id"], "submit", "sam")
    assert (refused.status, refused.code) == (409, "insufficient_stock")
    assert refused.message == "not enough stock: MUG-1 at SH: 16 requested, 15 sellable"
    assert refused.details == [
        {
            "sku": "MUG-1",
            "warehouse": "SH",
            "line": 2,
            "requested": "16",
            "sellable": "15",
            "bucket": "sellable",
            "available": "15",
        }
    ]
    assert api.locks() == []
    assert api.document("sales_order", draft["id"])["state"] == "draft"
    assert api.figures("TEA-01", "SH") == expect(available=100, physical=100, sellable=100)
    assert api.figures("MUG-1", "SH") == expect(available=25, physical=25, sellable=15)

    api.patch_lines("sales_order", draft["id"], "sam", [{"id": _ids(draft)[1], "qty": "15"}])
    so = api.act("sales_order", draft["id"], "submit", "sam")
    assert so["state"] == "approved"
    assert so["actions"] == ["confirm_payment", "cancel"]  # lock_again needs paid
    assert api.figures("TEA-01", "SH") == expect(available=90, locked=10, physical=100, sellable=90)
    assert api.figures("MUG-1", "SH") == expect(available=10, locked=15, physical=25)
    locks = api.locks(sku="TEA-01")
    assert [(x["status"], x["open_qty"], x["document"]) for x in locks] == [
        ("active", "10", {"form": "sales_order", "id": so["id"], "line_id": _ids(so)[0]})
    ]
    assert locks[0]["expires_at"] is not None

    owned = api.error("POST", f"/api/v1/locks/{locks[0]['id']}/release", "root")
    assert (owned.status, owned.code, owned.details) == (409, "invalid_transition", [])
    assert owned.message == (
        f"lock {locks[0]['id']} belongs to sales_order document {so['id']}; "
        "release it by acting on the document"
    )
    unpaid = api.refuse_action("sales_order", so["id"], "ship", "wes")
    assert (unpaid.status, unpaid.code, unpaid.message) == (
        409,
        "invalid_transition",
        "'ship' needs paid",
    )

    paid = api.act("sales_order", so["id"], "confirm_payment", "fay")
    assert (paid["state"], paid["fields"]["paid"]) == ("approved", True)
    assert _document_locks(api, so) == [
        ("TEA-01", "active", "10", None),
        ("MUG-1", "active", "15", None),
    ]
    forbidden = api.refuse_action("sales_order", so["id"], "ship", "sam")
    assert (forbidden.status, forbidden.code) == (403, "forbidden")
    assert api.act("sales_order", so["id"], "ship", "wes")["state"] == "shipped"
    assert _document_locks(api, so) == [
        ("TEA-01", "consumed", "0", None),
        ("MUG-1", "consumed", "0", None),
    ]
    assert api.figures("TEA-01", "SH") == expect(available=90, physical=90, sellable=90)
    assert api.figures("MUG-1", "SH") == expect(available=10, physical=10)


def test_a_large_order_waits_for_a_manager_and_cancelling_releases(api: RetailApi) -> None:
    _receive(api, "SH", {"sku": "TV-55", "qty": "5"})
    so = _submitted(api, "sam", {"sku": "TV-55", "qty": "2"})
    assert (so["state"], so["totals"]) == ("submitted", {"total": "12000"})
    assert api.figures("TV-55", "SH") == expect(available=3, locked=2, physical=5, sellable=3)
    for user in ("sam", "fay", "wes"):
        refused = api.refuse_action("sales_order", so["id"], "approve", user)
        assert (refused.status, refused.code, refused.message) == (
            403,
            "forbidden",
            "your roles may not take 'approve'",
        ), user
    assert api.act("sales_order", so["id"], "approve", "mia")["state"] == "approved"
    assert api.act("sales_order", so["id"], "cancel", "sue")["state"] == "cancelled"
    assert [lock[:3] for lock in _document_locks(api, so)] == [("TV-55", "released", "0")]
    assert api.figures("TV-55", "SH") == expect(available=5, physical=5, sellable=5)


def test_direct_locks_for_an_order_system(api: RetailApi, app_stock: Stock) -> None:
    _receive(api, "SH", tea(100))
    body = {"sku": "TEA-01", "warehouse": "SH", "qty": "10", "reference": "WEB-1001"}
    lock = api.ok("POST", "/api/v1/locks", "sam", body, status=201)
    assert (lock["status"], lock["qty"], lock["open_qty"], lock["rule"], lock["document"]) == (
        "active",
        "10",
        "10",
        "order",
        None,
    )
    assert datetime.fromisoformat(lock["expires_at"]) == datetime.fromisoformat(
        lock["created_at"]
    ) + timedelta(minutes=30)
    assert api.figures("TEA-01", "SH") == expect(available=90, locked=10, physical=100, sellable=90)

    short = api.error("POST", "/api/v1/locks", "sam", {**body, "qty": "91", "reference": "W-2"})
    assert (short.status, short.code) == (409, "insufficient_stock")
    assert short.details == [
        {
            "sku": "TEA-01",
            "warehouse": "SH",
            "line": None,
            "requested": "91",
            "sellable": "90",
            "bucket": "sellable",
            "available": "90",
        }
    ]
    path = f"/api/v1/locks/{lock['id']}"
    kept = api.ok("POST", f"{path}/keep", "sam")
    assert (kept["status"], kept["expires_at"]) == ("active", None)
    released = api.ok("POST", f"{path}/release", "sam", {"qty": "4"})
    assert (released["status"], released["open_qty"]) == ("active", "6")
    assert api.figures("TEA-01", "SH") == expect(available=94, locked=6, physical=100, sellable=94)
    consumed = api.ok("POST", f"{path}/consume", "wes")
    assert (consumed["status"], consumed["open_qty"]) == ("consumed", "0")
    assert api.figures("TEA-01", "SH") == expect(available=94, physical=94, sellable=94)
    again = api.error("POST", f"{path}/release", "sam")
    assert (again.status, again.code) == (409, "invalid_transition")
    assert [x["status"] for x in api.locks(reference="WEB-1001")] == ["consumed"]

    brief = {**body, "reference": "WEB-1002", "expires_in": 60}
    expiring = api.ok("POST", "/api/v1/locks", "sam", brief, status=201)
    assert api.figures("TEA-01", "SH") == expect(available=84, locked=10, physical=94, sellable=84)
    assert app_stock.sweep(now=datetime.now(UTC) + timedelta(seconds=61)) == 1
    assert api.ok("GET", f"/api/v1/locks/{expiring['id']}", "sam")["status"] == "expired"
    assert api.figures("TEA-01", "SH") == expect(available=94, physical=94, sellable=94)


def test_a_return_is_inspected_by_patching_its_lines(api: RetailApi) -> None:
    fields = {"customer": "Mr Wu", "warehouse": "SH"}
    rt = api.create("return", "sam", fields, [tea(5)])
    rt = api.act("return", rt["id"], "receive", "wes")
    assert [(x["accepted"], x["rejected"]) for x in rt["lines"]] == [("5", "0")]
    assert api.figures("TEA-01", "SH") == expect(quarantine=5, physical=5)

    path = f"/api/v1/documents/return/{rt['id']}"
    line_id = rt["lines"][0]["id"]
    uneven = {"lines": [{"id": line_id, "accepted": "3", "rejected": "1"}]}
    refused = api.error("PATCH", path, "wes", uneven)
    assert (refused.status, refused.code) == (422, "validation_failed")
    assert refused.message == f"line 1, {RETURN_SUM}"
    assert refused.details == [{"field": "", "line": 1, "message": RETURN_SUM}]
    frozen = api.error("PATCH", path, "wes", {"lines": [{"id": line_id, "qty": "6"}]})
    assert (frozen.status, frozen.code) == (409, "invalid_transition")
    assert frozen.message == f"line {line_id}, qty: cannot be changed in state 'received'"

    even = {"lines": [{"id": line_id, "accepted": "3", "rejected": "2"}]}
    patched = api.ok("PATCH", path, "wes", even)
    assert [(x["accepted"], x["rejected"]) for x in patched["lines"]] == [("3", "2")]
    assert api.figures("TEA-01", "SH") == expect(quarantine=5, physical=5)
    cancel = api.refuse_action("return", rt["id"], "cancel", "wes")
    assert (cancel.status, cancel.code, cancel.message) == (
        409,
        "invalid_transition",
        "'cancel' cannot be taken in state 'received' (only from draft)",
    )
    assert api.act("return", rt["id"], "inspect", "wes")["state"] == "inspected"
    assert api.figures("TEA-01", "SH") == expect(available=3, damaged=2, physical=5, sellable=3)


def test_a_transfer_received_in_two_parts(api: RetailApi) -> None:
    _receive(api, "SH", tea(100))
    same = api.error(
        "POST",
        "/api/v1/documents/transfer",
        "wes",
        {"fields": {"from_warehouse": "SH", "to_warehouse": "SH"}, "lines": [tea(20)]},
    )
    assert (same.status, same.code, same.message) == (422, "validation_failed", TWO_WAREHOUSES)
    assert same.details == [{"field": "", "line": None, "message": TWO_WAREHOUSES}]

    tr = api.create("transfer", "wes", {"from_warehouse": "SH", "to_warehouse": "BJ"}, [tea(20)])
    tr = api.act("transfer", tr["id"], "ship", "wes")
    assert api.figures("TEA-01", "SH") == expect(available=80, physical=80, sellable=80)
    assert api.figures("TEA-01", "BJ") == expect(in_transit=20)

    line_id = tr["lines"][0]["id"]
    api.patch_lines("transfer", tr["id"], "wes", [{"id": line_id, "received": "12"}])
    tr = api.act("transfer", tr["id"], "receive", "wes")
    assert tr["state"] == "in_transit"
    assert tr["totals"] == {"still_in_transit": "8"}
    line = tr["lines"][0]
    assert (line["received"], line["received_total"], line["outstanding"]) == ("8", "12", "8")
    assert api.figures("TEA-01", "BJ") == expect(
        available=12, in_transit=8, physical=12, sellable=12
    )

    path = f"/api/v1/documents/transfer/{tr['id']}"
    too_many = api.error("PATCH", path, "wes", {"lines": [{"id": line_id, "received": "9"}]})
    assert (too_many.status, too_many.code) == (422, "validation_failed")
    assert too_many.details == [{"field": "received", "line": 1, "message": "must be at most 8"}]
    assert api.act("transfer", tr["id"], "receive", "wes")["state"] == "received"
    assert api.figures("TEA-01", "BJ") == expect(available=20, physical=20, sellable=20)
    assert api.figures("TEA-01", "SH") == expect(available=80, physical=80, sellable=80)
    both = api.ok("GET", "/api/v1/stock?sku=TEA-01&order=warehouse", "root")
    assert [(r["warehouse"], r["quantities"]["physical"]) for r in both["items"]] == [
        ("BJ", "20"),
        ("SH", "80"),
    ]


def test_a_stocktake_loss_cuts_the_newest_order_first(api: RetailApi) -> None:
    _receive(api, "SH", tea(40))
    older = _submitted(api, "sam", tea(20))
    newer = _submitted(api, "sue", tea(15))
    assert api.figures("TEA-01", "SH") == expect(available=5, locked=35, physical=40, sellable=5)

    take = api.create("stocktake", "wes", {"warehouse": "SH"}, [{"sku": "TEA-01"}])
    take = api.act("stocktake", take["id"], "start", "wes")
    assert take["lines"][0]["book"] == "40"
    early = api.refuse_action("stocktake", take["id"], "submit", "wes")
    assert (early.status, early.code) == (409, "invalid_transition")
    api.patch_lines("stocktake", take["id"], "wes", [{"id": _ids(take)[0], "counted": "15"}])
    take = api.act("stocktake", take["id"], "submit", "wes")
    assert (take["lines"][0]["variance"], take["totals"]["variance_value"]) == ("-25", "-1500")
    refused = api.refuse_action("stocktake", take["id"], "approve", "wes")
    assert (refused.status, refused.code) == (403, "forbidden")
    assert api.act("stocktake", take["id"], "approve", "mia")["state"] == "approved"

    assert api.figures("TEA-01", "SH") == expect(locked=15, physical=15)
    locks = api.locks(sku="TEA-01", warehouse="SH")
    assert [(x["document"]["id"], x["status"], x["qty"], x["open_qty"]) for x in locks] == [
        (older["id"], "active", "20", "15"),
        (newer["id"], "cut", "15", "0"),
    ]
    assert [x["id"] for x in api.locks(status="cut")] == [locks[1]["id"]]


def test_a_large_adjustment_needs_two_manager_tokens(api: RetailApi) -> None:
    _receive(api, "SH", {"sku": "TV-55", "qty": "5"})
    fields = {"warehouse": "SH", "reason": "loss"}
    ad = api.create("adjustment", "wes", fields, [{"sku": "TV-55", "qty": "2"}])
    ad = api.act("adjustment", ad["id"], "submit", "wes")
    assert (ad["state"], ad["totals"]) == ("submitted", {"total_value": "6000"})

    first = api.act("adjustment", ad["id"], "approve", "mia")
    assert first["state"] == "submitted"
    assert api.figures("TV-55", "SH") == expect(available=5, physical=5, sellable=5)
    twice = api.refuse_action("adjustment", ad["id"], "approve", "mia")
    assert (twice.status, twice.code, twice.message) == (
        409,
        "invalid_transition",
        "you have already approved; 2 different people must approve",
    )
    assert api.act("adjustment", ad["id"], "approve", "max")["state"] == "posted"
    assert api.figures("TV-55", "SH") == expect(available=3, physical=3, sellable=3)

    own = api.create("adjustment", "kim", fields, [{"sku": "TV-55", "qty": "2"}])
    api.act("adjustment", own["id"], "submit", "kim")
    refused = api.refuse_action("adjustment", own["id"], "approve", "kim")
    assert (refused.status, refused.code, refused.message) == (
        403,
        "forbidden",
        "you created this document; someone else must approve it",
    )
    assert api.figures("TV-55", "SH") == expect(available=3, physical=3, sellable=3)


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        (
            {"sku": "MILK-1", "qty": "5"},
            (422, "validation_failed", "MILK-1 is tracked by batch: name the batch"),
        ),
        (
            {"sku": "MILK-1", "qty": "5", "batch": "B1"},
            (
                409,
                "invalid_transition",
                "line 1: batch 'B1' of MILK-1 is new: it needs an expiry date",
            ),
        ),
        ({"sku": "MILK-1", "qty": "5", "batch": "B1", "expiry": "2099-06-30"}, None),
    ],
)
def test_a_food_receipt_through_the_api(
    api: RetailApi, line: dict[str, str], refusal: tuple[int, str, str] | None
) -> None:
    # A draft may wait without batch and expiry (a suggested order, say); confirming needs
    # them, and a refused confirm leaves the draft as it was.
    if refusal is not None:
        draft = api.create("receipt", "wes", {"warehouse": "SH"}, [line])
        refused = api.refuse_action("receipt", draft["id"], "confirm", "wes")
        assert (refused.status, refused.code, refused.message) == refusal
        assert api.figures("MILK-1", "SH") == expect()
        assert api.ok("GET", f"/api/v1/documents/receipt/{draft['id']}", "wes")["state"] == "draft"
        return
    _receive(api, "SH", line)
    assert api.figures("MILK-1", "SH") == expect(available=5, physical=5, sellable=5)


def test_a_client_cannot_mark_an_order_paid(api: RetailApi) -> None:
    _receive(api, "SH", tea(100))
    draft = api.create("sales_order", "sam", {**ORDER, "paid": True}, [tea(10)])
    assert draft["fields"]["paid"] is False
    path = f"/api/v1/documents/sales_order/{draft['id']}"
    assert api.ok("PATCH", path, "sam", {"fields": {"paid": True}})["fields"]["paid"] is False
    so = api.act("sales_order", draft["id"], "submit", "sam")
    refused = api.refuse_action("sales_order", so["id"], "ship", "wes")
    assert (refused.status, refused.code, refused.message) == (
        409,
        "invalid_transition",
        "'ship' needs paid",
    )
    assert api.figures("TEA-01", "SH") == expect(available=90, locked=10, physical=100, sellable=90)
