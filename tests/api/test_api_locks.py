"""Direct locks for order systems: lock, list, release, keep, consume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import Api, error

from stockform.stock.service import Stock, figures


def lock(api: Api, user: str = "root", **values: Any) -> Any:
    body = {"sku": "A-1", "warehouse": "SH", "qty": "3", "reference": "order-1", **values}
    return api.post("/api/v1/locks", json=body, user=user)


def test_a_lock_moves_stock_and_expires_by_the_default_rule(api: Api, stock: Stock) -> None:
    before = datetime.now(UTC)
    response = lock(api)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {k: body[k] for k in ("rule", "sku", "warehouse", "qty", "open_qty", "status")} == {
        "rule": "order",
        "sku": "A-1",
        "warehouse": "SH",
        "qty": "3",
        "open_qty": "3",
        "status": "active",
    }
    expires = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(minutes=30) <= expires <= datetime.now(UTC) + timedelta(minutes=30)
    assert (body["reference"], body["document"], body["user"]) == ("order-1", None, "root")
    row = figures(stock.row("A-1", "SH"))
    assert (row["available"], row["locked"], row["sellable"]) == (97, 3, 92)


def test_expires_in_overrides_the_rule(api: Api) -> None:
    body = lock(api, expires_in=60).get_json()
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["expires_at"]) - created == timedelta(seconds=60)


def test_not_enough_sellable_stock_is_insufficient_stock(api: Api, stock: Stock) -> None:
    assert error(lock(api, qty="96")) == (
        409,
        "insufficient_stock",
        "not enough stock: A-1 at SH: 96 requested, 95 sellable",
        [
            {
                "sku": "A-1",
                "warehouse": "SH",
                "line": None,
                "requested": "96",
                "sellable": "95",
                "bucket": "sellable",
                "available": "95",
            }
        ],
    )
    assert figures(stock.row("A-1", "SH"))["locked"] == 0


@pytest.mark.parametrize(
    ("values", "details"),
    [
        (
            {"sku": None, "warehouse": None, "qty": None, "reference": None},
            [
                ("sku", "required"),
                ("warehouse", "required"),
                ("qty", "required"),
                ("reference", "required"),
            ],
        ),
        ({"qty": "0"}, [("qty", "must be more than 0, not 0")]),
        ({"qty": "-2"}, [("qty", "must be more than 0, not -2")]),
        ({"qty": "lots"}, [("qty", "'lots' is not a number")]),
        ({"qty": True}, [("qty", 'must be a number, such as "12.5"')]),
        ({"qty": "10000000000000"}, [("qty", "must be at most 1000000000000, not 10000000000000")]),
        (
            {"qty": "1e13"},
            [("qty", "'1e13' is not a number: write it out in digits, without an exponent")],
        ),
        (
            {"qty": "2,5"},
            [
                (
                    "qty",
                    "'2,5' is not a number: decimals take a point (1.5), and a comma only"
                    " separates thousands",
                )
            ],
        ),
        ({"qty": "1.5"}, [("qty", "1.5 is finer than this SKU allows (whole units)")]),
        ({"sku": "NOPE"}, [("sku", "no SKU 'NOPE'")]),
        ({"warehouse": "XX"}, [("warehouse", "no warehouse 'XX'")]),
        ({"rule": "ordr"}, [("rule", "no lock rule 'ordr' (did you mean 'order'?)")]),
        ({"expires_in": 0}, [("expires_in", "must be from 1 to 31622400, not 0")]),
        ({"expires_in": "60"}, [("expires_in", "must be a whole number")]),
        (
            {"colour": "red"},
            [("colour", "no such field (valid: expires_in, qty, reference, rule, sku, warehouse)")],
        ),
        ({"reference": "x" * 129}, [("reference", "is 129 characters long; at most 128")]),
    ],
)
def test_bad_lock_requests_name_every_field(
    api: Api, values: dict[str, Any], details: list[tuple[str, str]]
) -> None:
    status, code, _message, found = error(lock(api, **values))
    assert (status, code) == (422, "validation_failed")
    assert [(d["field"], d["message"]) for d in found] == details


def test_a_json_number_quantity_is_exact(api: Api) -> None:
    response = api.post(
        "/api/v1/locks",
        data='{"sku": "A-1", "warehouse": "SH", "qty": 2.0, "reference": "r"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert response.get_json()["qty"] == "2"


def test_locks_are_listed_by_reference(api: Api) -> None:
    first = lock(api, reference="order-7").get_json()
    lock(api, reference="order-8")
    second = lock(api, reference="order-7", sku="B-2").get_json()
    body = api.get("/api/v1/locks?reference=order-7").get_json()
    assert [item["id"] for item in body["items"]] == [first["id"], second["id"]]
    assert body["total"] == 2
    assert api.get(f"/api/v1/locks/{first['id']}").get_json() == first
    assert api.get("/api/v1/locks?sku=B-2&status=active").get_json()["total"] == 1
    assert error(api.get("/api/v1/locks?status=open"))[2] == (
        "status: 'open' is not one of active, released, consumed, expired, cut"
    )
    assert error(api.get("/api/v1/locks?status="))[2] == (
        "status: '' is not one of active, released, consumed, expired, cut"
    )
    assert error(api.post(f"/api/v1/locks/{2**63}/release"))[:3] == (
        404,
        "not_found",
        f"no lock {2**63}",
    )


def test_release_gives_the_stock_back(api: Api, stock: Stock) -> None:
    taken = lock(api, qty="5").get_json()
    response = api.post(f"/api/v1/locks/{taken['id']}/release", json={"qty": "2"})
    assert (response.get_json()["open_qty"], response.get_json()["status"]) == ("3", "active")
    response = api.post(f"/api/v1/locks/{taken['id']}/release")
    assert (response.get_json()["open_qty"], response.get_json()["status"]) == ("0", "released")
    assert figures(stock.row("A-1", "SH"))["locked"] == 0
    assert error(api.post(f"/api/v1/locks/{taken['id']}/release")) == (
        409,
        "invalid_transition",
        f"lock {taken['id']} is released, not active",
        [],
    )


def test_keep_clears_the_expiry(api: Api) -> None:
    taken = lock(api).get_json()
    kept = api.post(f"/api/v1/locks/{taken['id']}/keep").get_json()
    assert (kept["expires_at"], kept["status"]) == (None, "active")


def test_consume_ships_all_or_part(api: Api, stock: Stock) -> None:
    taken = lock(api, qty="5").get_json()
    part = api.post(f"/api/v1/locks/{taken['id']}/consume", json={"qty": 2})
    assert part.get_json()["open_qty"] == "3"
    assert error(api.post(f"/api/v1/locks/{taken['id']}/consume", json={"qty": "4"}))[:3] == (
        422,
        "validation_failed",
        f"qty: lock {taken['id']} holds 3; not 4",
    )
    rest = api.post(f"/api/v1/locks/{taken['id']}/consume")
    assert (rest.get_json()["open_qty"], rest.get_json()["status"]) == ("0", "consumed")
    row = figures(stock.row("A-1", "SH"))
    assert (row["available"], row["locked"], row["physical"]) == (95, 0, 95)


def test_a_documents_lock_changes_only_through_the_document(api: Api) -> None:
    order = {"fields": {"customer": "Bob", "warehouse": "SH"}, "lines": [{"sku": "A-1", "qty": 2}]}
    doc = api.post("/api/v1/documents/sales_order", json=order, user="sam").get_json()
    api.post(f"/api/v1/documents/sales_order/{doc['id']}/actions/submit", user="sam")
    owned = api.get("/api/v1/locks?sku=A-1").get_json()["items"][0]
    assert owned["document"] == {
        "form": "sales_order",
        "id": doc["id"],
        "line_id": doc["lines"][0]["id"],
    }
    status, code, message, _ = error(api.post(f"/api/v1/locks/{owned['id']}/release"))
    assert (status, code) == (409, "invalid_transition")
    assert message == (
        f"lock {owned['id']} belongs to sales_order document {doc['id']}; "
        "release it by acting on the document"
    )


def test_roles_limit_the_warehouses(api: Api) -> None:
    assert error(lock(api, user="sam", warehouse="BJ")) == (
        403,
        "forbidden",
        "your roles may not work in warehouse BJ",
        [],
    )
    taken = lock(api, user="sam").get_json()
    assert api.post(f"/api/v1/locks/{taken['id']}/keep", user="sam").status_code == 200
