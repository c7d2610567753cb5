"""Documents through the API: create, read, list, change, act; every rule still on the server."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, error

from stockform.stock.service import Stock, figures

ORDERS = "/api/v1/documents/sales_order"


def create(api: Api, lines: list[dict[str, Any]], user: str = "sam", **fields: Any) -> Any:
    body = {"fields": {"customer": "Bob", "warehouse": "SH", **fields}, "lines": lines}
    return api.post(ORDERS, json=body, user=user)


def test_create_answers_201_with_the_computed_document(api: Api) -> None:
    response = create(api, [{"sku": "A-1", "qty": 3}, {"sku": "B-2", "qty": "2", "price": "2.5"}])
    assert response.status_code == 201, response.get_json()
    doc = response.get_json()
    assert doc["number"].startswith("SO-") and doc["number"].endswith("-0001")
    assert (doc["form"], doc["state"], doc["created_by"]) == ("sales_order", "draft", "sam")
    assert doc["fields"] == {
        "customer": "Bob",
        "warehouse": "SH",
        "channel": "online",
        "pickup_note": None,
        "note": None,
    }
    assert [{k: v for k, v in line.items() if k != "id"} for line in doc["lines"]] == [
        {"sku": "A-1", "qty": "3", "price": "10", "amount": "30"},
        {"sku": "B-2", "qty": "2", "price": "2.5", "amount": "5.0"},
    ]
    assert all(isinstance(line["id"], int) for line in doc["lines"])
    assert doc["totals"] == {"total": "35.0"}
    assert doc["actions"] == ["submit", "cancel"]
    assert api.get(f"{ORDERS}/{doc['id']}", user="vic").get_json() == {**doc, "actions": []}


def test_validation_failed_names_every_field_and_line(api: Api) -> None:
    response = create(api, [{"sku": "Z-9", "qty": "1"}, {"sku": "A-1", "qty": "0"}], customer="")
    assert error(response) == (
        422,
        "validation_failed",
        "customer: required; line 1, sku: no SKU 'Z-9'; line 2, qty: must be at least 1",
        [
            {"field": "customer", "line": None, "message": "required"},
            {"field": "sku", "line": 1, "message": "no SKU 'Z-9'"},
            {"field": "qty", "line": 2, "message": "must be at least 1"},
        ],
    )


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"fields": [], "lines": []}, [("fields", "must be an object of field names and values")]),
        ({"fields": {}, "lines": {}}, [("lines", "must be a list of objects, one per line")]),
        ({"fields": None}, [("fields", "must be an object of field names and values")]),
        ({"fields": {}, "lines": None}, [("lines", "must be a list of objects, one per line")]),
        (
            {"lines": [{"id": 4, "sku": "A-1"}]},
            [("lines[1].id", "a new document's lines have no id yet")],
        ),
        ({"header": {}}, [("header", "no such field (valid: fields, lines)")]),
    ],
)
def test_a_malformed_document_body_is_validation_failed(
    api: Api, body: dict[str, Any], details: list[tuple[str, str]]
) -> None:
    status, code, _message, found = error(api.post(ORDERS, json=body))
    assert (status, code) == (422, "validation_failed")
    assert [(d["field"], d["message"]) for d in found] == details


def test_read_and_list_with_filters(api: Api) -> None:
    first = create(api, [{"sku": "A-1", "qty": 1}]).get_json()
    second = create(api, [{"sku": "A-1", "qty": 1}], user="sue").get_json()
    api.post(f"{ORDERS}/{first['id']}/actions/submit", user="sam")
    listed = api.get(ORDERS, user="vic").get_json()
    assert [d["id"] for d in listed["items"]] == [second["id"], first["id"]]
    assert (listed["total"], listed["page"], listed["per_page"]) == (2, 1, 50)
    assert [d["id"] for d in api.get(f"{ORDERS}?state=draft").get_json()["items"]] == [second["id"]]
    by_number = api.get(f"{ORDERS}?number={first['number']}").get_json()["items"]
    assert [d["id"] for d in by_number] == [first["id"]]
    assert [d["id"] for d in api.get(f"{ORDERS}?q=sue").get_json()["items"]] == [second["id"]]


def test_missing_forms_and_documents_are_not_found(api: Api) -> None:
    doc = create(api, [{"sku": "A-1", "qty": 1}]).get_json()
    assert error(api.get("/api/v1/documents/invoice")) == (
        404,
        "not_found",
        "no form 'invoice'",
        [],
    )
    assert error(api.get(f"/api/v1/documents/return/{doc['id']}"))[:3] == (
        404,
        "not_found",
        f"no return document {doc['id']}",
    )
    assert error(api.get(f"{ORDERS}/999999"))[:3] == (404, "not_found", "no document 999999")
    too_large = 2**63
    assert error(api.patch(f"{ORDERS}/{too_large}", json={}))[:3] == (
        404,
        "not_found",
        f"no sales_order document {too_large}",
    )
    assert error(api.post(f"{ORDERS}/{doc['id']}/actions/fly"))[:3] == (
        404,
        "not_found",
        "sales_order has no action 'fly' (valid: approve, auto_approve, cancel, ship, submit)",
    )


def test_patch_changes_what_the_state_leaves_editable(api: Api) -> None:
    doc = create(api, [{"sku": "A-1", "qty": 2}]).get_json()
    line_id = doc["lines"][0]["id"]
    url = f"{ORDERS}/{doc['id']}"
    changed = api.patch(
        url, json={"fields": {"customer": "Robert"}, "lines": [{"id": line_id, "qty": "20"}]}
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["fields"]["customer"], body["lines"][0]["qty"], body["totals"]["total"]) == (
        "Robert",
        "20",
        "200",
    )
    assert body["lines"][0]["id"] == line_id
    assert api.post(f"{url}/actions/submit", user="sam").get_json()["state"] == "submitted"
    assert api.patch(url, json={"fields": {"note": "call first"}}).get_json()["fields"]["note"] == (
        "call first"
    )
    assert error(api.patch(url, json={"fields": {"customer": "Eve"}})) == (
        409,
        "invalid_transition",
        "customer: cannot be changed in state 'submitted'",
        [],
    )


@pytest.mark.parametrize(
    ("body", "details"),
    [
        (
            {"fields": {"colour": "red"}},
            [
                (
                    "colour",
                    "no such field (valid: channel, customer, note, pickup_note, warehouse)",
                )
            ],
        ),
        ({"fields": {"customr": "x"}}, [("customr", "no such field (did you mean 'customer'?)")]),
        (
            {"lines": [{"id": "1", "qty": 2}]},
            [("lines[1].id", "must be the id of one of the document's lines")],
        ),
    ],
)
def test_patch_refuses_unknown_fields(
    api: Api, body: dict[str, Any], details: list[tuple[str, str]]
) -> None:
    doc = create(api, [{"sku": "A-1", "qty": 2}]).get_json()
    status, code, _message, found = error(api.patch(f"{ORDERS}/{doc['id']}", json=body))
    assert (status, code) == (422, "validation_failed")
    assert [(d["field"], d["message"]) for d in found] == details


def test_a_computed_field_cannot_be_set(api: Api, stock: Stock) -> None:
    doc = create(api, [{"sku": "A-1", "qty": 2}]).get_json()
    line_id = doc["lines"][0]["id"]
    response = api.patch(f"{ORDERS}/{doc['id']}", json={"lines": [{"id": line_id, "amount": 1}]})
    assert error(response) == (
        422,
        "validation_failed",
        "lines[1].amount: is computed; it cannot be set",
        [{"field": "lines[1].amount", "line": None, "message": "is computed; it cannot be set"}],
    )


def test_actions_lock_and_ship_stock(api: Api, stock: Stock) -> None:
    doc = create(api, [{"sku": "A-1", "qty": 5}]).get_json()
    submitted = api.post(f"{ORDERS}/{doc['id']}/actions/submit", user="sam")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["state"] == "approved"  # total 50: approved automatically
    assert figures(stock.row("A-1", "SH"))["locked"] == 5
    shipped = api.post(f"{ORDERS}/{doc['id']}/actions/ship", user="wes", json={"comment": "DHL"})
    assert shipped.get_json()["state"] == "shipped"
    row = figures(stock.row("A-1", "SH"))
    assert (row["locked"], row["physical"]) == (0, 95)


def test_a_short_line_is_insufficient_stock_with_its_line_number(api: Api, stock: Stock) -> None:
    doc = create(api, [{"sku": "B-2", "qty": 4}, {"sku": "A-1", "qty": 96}], user="mia").get_json()
    response = api.post(f"{ORDERS}/{doc['id']}/actions/submit", user="root")
    assert error(response) == (
        409,
        "insufficient_stock",
        "not enough stock: A-1 at SH: 96 requested, 95 sellable",
        [
            {
                "sku": "A-1",
                "warehouse": "SH",
                "line": 2,
                "requested": "96",
                "sellable": "95",
                "bucket": "sellable",
                "available": "95",
            }
        ],
    )
    assert figures(stock.row("B-2", "SH"))["locked"] == 0
    assert api.get(f"{ORDERS}/{doc['id']}").get_json()["state"] == "draft"


def test_workflow_rules_hold_through_the_api(api: Api) -> None:
    doc = create(api, [{"sku": "A-1", "qty": 20}]).get_json()  # total 200: needs 2 managers
    url = f"{ORDERS}/{doc['id']}/actions"
    assert error(api.post(f"{url}/ship", user="wes")) == (
        409,
        "invalid_transition",
        "'ship' cannot be taken in state 'draft' (only from approved)",
        [],
    )
    assert error(api.post(f"{url}/cancel", user="sam")) == (
        409,
        "invalid_transition",
        "'cancel' needs a comment",
        [],
    )
    api.post(f"{url}/submit", user="sam")
    assert error(api.post(f"{url}/approve", user="sue"))[:2] == (403, "forbidden")
    assert api.post(f"{url}/approve", user="mia").get_json()["state"] == "submitted"
    assert api.post(f"{url}/approve", user="max").get_json()["state"] == "approved"
    cancelled = api.post(f"{url}/cancel", user="mia", json={"comment": "fraud"}).get_json()
    assert cancelled["state"] == "cancelled"
    assert cancelled["actions"] == []


def test_comment_must_be_text(api: Api) -> None:
    doc = create(api, [{"sku": "A-1", "qty": 1}]).get_json()
    response = api.post(f"{ORDERS}/{doc['id']}/actions/cancel", user="sam", json={"comment": 5})
    assert error(response) == (
        422,
        "validation_failed",
        "comment: must be text",
        [{"field": "comment", "line": None, "message": "must be text"}],
    )


def test_an_absurd_number_is_refused_not_a_server_error(api: Api) -> None:
    written = create(api, [{"sku": "A-1", "qty": "1e999999"}])
    assert error(written)[3] == [
        {
            "field": "qty",
            "line": 1,
            "message": "'1e999999' is not a number: write it out in digits, without an exponent",
        }
    ]
    huge = "1" + "0" * 400
    response = create(api, [{"sku": "A-1", "qty": huge}])
    assert error(response)[3] == [
        {
            "field": "qty",
            "line": 1,
            "message": f"{huge} is too large (at most 1,000,000,000,000,000)",
        }
    ]
