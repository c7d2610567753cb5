"""SKUs: template fields flat beside the built-in keys, in requests and responses alike."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, error


def test_list_and_read(api: Api) -> None:
    apple = {
        "code": "A-1",
        "name": "Apple",
        "unit": "pcs",
        "barcode": None,
        "precision": 0,
        "active": True,
        "list_price": "10",
        "safety_stock": "5",
    }
    assert api.get("/api/v1/skus?q=app", user="vic").get_json() == {
        "items": [apple],
        "page": 1,
        "per_page": 50,
        "total": 1,
    }
    assert api.get("/api/v1/skus/A-1", user="vic").get_json() == apple
    assert [s["code"] for s in api.get("/api/v1/skus").get_json()["items"]] == ["A-1", "B-2"]


def test_create_returns_what_get_returns(api: Api) -> None:
    response = api.post(
        "/api/v1/skus",
        json={
            "code": "C-3",
            "name": "Cherry box",
            "barcode": "6901234567892",
            "unit": "box",
            "precision": 1,
            "list_price": "12.5",
            "safety_stock": 2,
        },
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created == {
        "code": "C-3",
        "name": "Cherry box",
        "unit": "box",
        "barcode": "6901234567892",
        "precision": 1,
        "active": True,
        "list_price": "12.5",
        "safety_stock": "2",
    }
    assert api.get("/api/v1/skus/C-3").get_json() == created
    assert api.get("/api/v1/skus?barcode=6901234567892").get_json()["items"] == [created]
    # a new SKU shows, at zero, in every warehouse
    assert api.get("/api/v1/stock?sku=C-3").get_json()["total"] == 2


def test_json_numbers_are_read_exactly(api: Api) -> None:
    response = api.post(
        "/api/v1/skus",
        data='{"code": "D-4", "list_price": 0.1, "safety_stock": 1.10}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert (response.get_json()["list_price"], response.get_json()["safety_stock"]) == (
        "0.1",
        "1.1",
    )


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({}, [("code", "required")]),
        ({"code": "A-1"}, [("code", "SKU 'A-1' exists already")]),
        (
            {"code": "X", "colour": "red", "list_price": "abc"},
            [("colour", "no such SKU field"), ("list_price", "'abc' is not a number")],
        ),
        ({"code": "X", "precision": 5}, [("precision", "must be a whole number from 0 to 3")]),
        ({"code": 7}, [("code", "must be text")]),
        ({"code": "X" * 65}, [("code", "is 65 characters long; at most 64")]),
        (
            {"code": "X", "safety_stock": "100,000,000,000,000,000,000"},
            [
                (
                    "safety_stock",
                    "100,000,000,000,000,000,000 is too large (at most 1,000,000,000,000,000)",
                )
            ],
        ),
        (
            {"code": "X", "list_price": "1.00001"},
            [("list_price", "1.00001 has too many decimals: at most 4 decimals")],
        ),
    ],
)
def test_bad_values_are_validation_failed_per_field(
    api: Api, body: dict[str, Any], details: list[tuple[str | None, str]]
) -> None:
    status, code, _message, found = error(api.post("/api/v1/skus", json=body))
    assert (status, code) == (422, "validation_failed")
    assert [(d["field"], d["message"]) for d in found] == details


def test_a_barcode_belongs_to_one_sku(api: Api) -> None:
    assert api.patch("/api/v1/skus/A-1", json={"barcode": "111"}).status_code == 200
    _status, code, message, _ = error(
        api.post("/api/v1/skus", json={"code": "X", "barcode": "111"})
    )
    assert (code, message) == ("validation_failed", "barcode: barcode '111' belongs to SKU 'A-1'")
    _status, code, message, _ = error(api.patch("/api/v1/skus/B-2", json={"barcode": "111"}))
    assert (code, message) == ("validation_failed", "barcode: barcode '111' belongs to SKU 'A-1'")


def test_patch_changes_only_the_named_keys(api: Api) -> None:
    response = api.patch("/api/v1/skus/A-1", json={"name": "Green apple", "safety_stock": "7"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["safety_stock"], body["list_price"]) == ("Green apple", "7", "10")
    # the new safety stock is live in sellable at once
    row = api.get("/api/v1/stock?sku=A-1&warehouse=SH").get_json()["items"][0]
    assert row["quantities"]["sellable"] == "93"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"code": "Z-9"}, "code: cannot be changed"),
        ({"precision": 2}, "precision: cannot be changed"),
        ({"name": ""}, "name: required"),
        ({"list_price": "x"}, "list_price: 'x' is not a number"),
        ({"active": False}, "active: no such SKU field"),
    ],
)
def test_patch_refusals(api: Api, body: dict[str, Any], message: str) -> None:
    status, code, text, _ = error(api.patch("/api/v1/skus/A-1", json=body))
    assert (status, code, text) == (422, "validation_failed", message)


def test_only_admin_creates_or_changes_skus(api: Api) -> None:
    assert error(api.post("/api/v1/skus", json={"code": "X"}, user="mia"))[:3] == (
        403,
        "forbidden",
        "only the admin role may create SKUs",
    )
    assert error(api.patch("/api/v1/skus/A-1", json={"name": "x"}, user="mia"))[:3] == (
        403,
        "forbidden",
        "only the admin role may change SKUs",
    )


def test_unknown_sku_is_not_found(api: Api) -> None:
    assert error(api.get("/api/v1/skus/NOPE")) == (404, "not_found", "no SKU 'NOPE'", [])
    assert error(api.patch("/api/v1/skus/NOPE", json={"name": "x"}))[:2] == (404, "not_found")
