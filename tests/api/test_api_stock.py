"""GET /stock and GET /warehouses: every bucket and quantity, exact decimals, filters in SQL."""

from __future__ import annotations

import pytest
from api_client import Api, error

from stockform.stock.service import Stock


def test_every_bucket_and_quantity_is_present_as_an_exact_string(api: Api) -> None:
    response = api.get("/api/v1/stock?sku=A-1")
    assert response.status_code == 200
    assert response.get_json() == {
        "items": [
            {
                "sku": "A-1",
                "warehouse": "BJ",
                "buckets": {"available": "0", "locked": "0", "quarantine": "0", "damaged": "0"},
                "quantities": {"physical": "0", "sellable": "0"},
            },
            {
                "sku": "A-1",
                "warehouse": "SH",
                "buckets": {"available": "100", "locked": "0", "quarantine": "0", "damaged": "0"},
                "quantities": {"physical": "100", "sellable": "95"},
            },
        ],
        "page": 1,
        "per_page": 50,
        "total": 2,
    }


def test_sku_and_warehouse_match_codes_exactly(api: Api) -> None:
    rows = api.get("/api/v1/stock?warehouse=SH").get_json()["items"]
    assert [(r["sku"], r["warehouse"]) for r in rows] == [("A-1", "SH"), ("B-2", "SH")]
    assert api.get("/api/v1/stock?sku=A").get_json()["items"] == []
    assert api.get("/api/v1/stock?warehouse=sh").get_json()["total"] == 0


def test_fractions_stay_exact(api: Api, stock: Stock) -> None:
    stock.create_sku(code="RICE", precision=3)
    stock.receive("RICE", "BJ", "1.250")
    stock.move("RICE", "0.005", ("BJ", "available"), ("BJ", "damaged"))
    row = api.get("/api/v1/stock?sku=RICE&warehouse=BJ").get_json()["items"][0]
    assert row["buckets"]["available"] == "1.245"
    assert row["buckets"]["damaged"] == "0.005"
    assert row["quantities"]["physical"] == "1.25"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("where=sellable > 10", [("A-1", "SH")]),
        ("where=available > 0&order=available", [("B-2", "SH"), ("A-1", "SH")]),
        ("where=sku.list_price < 5", [("B-2", "BJ"), ("B-2", "SH")]),
        ("order=sellable desc, sku.code&per_page=2", [("A-1", "SH"), ("B-2", "SH")]),
        ("order=-physical&page=2&per_page=3", [("B-2", "BJ")]),
    ],
)
def test_where_and_order_take_template_expressions(
    api: Api, query: str, expected: list[tuple[str, str]]
) -> None:
    response = api.get(f"/api/v1/stock?{query}")
    assert response.status_code == 200, response.get_json()
    assert [(r["sku"], r["warehouse"]) for r in response.get_json()["items"]] == expected


def test_paging_reports_the_total(api: Api) -> None:
    body = api.get("/api/v1/stock?page=2&per_page=1").get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (2, 1, 4, 1)
    past = api.get("/api/v1/stock?page=9").get_json()
    assert (past["items"], past["total"]) == ([], 4)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "where=sellable >",
            (
                "where: the expression ends too early",
                [
                    {
                        "parameter": "where",
                        "offset": 10,
                        "message": "the expression ends too early",
                        "hint": None,
                    }
                ],
            ),
        ),
        (
            "where=sellabel > 1",
            (
                "where: unknown name 'sellabel' (did you mean 'sellable'?)",
                [],
            ),
        ),
        (
            "order=sellable *",
            ("order: the expression ends too early", []),
        ),
        (
            "order=None",
            (
                "order: 'None' is the same for every row (order by sellable, sku.code, …)",
                [
                    {
                        "parameter": "order",
                        "offset": 0,
                        "message": "'None' is the same for every row",
                        "hint": "order by sellable, sku.code, …",
                    }
                ],
            ),
        ),
        (
            "where=available",
            (
                "where: 'available' is not a condition (compare something, e.g. sellable < "
                "sku.min_stock)",
                [],
            ),
        ),
    ],
)
def test_a_bad_expression_is_invalid_expression(
    api: Api, query: str, expected: tuple[str, list[object]]
) -> None:
    status, code, message, details = error(api.get(f"/api/v1/stock?{query}"))
    assert (status, code) == (422, "invalid_expression")
    assert message == expected[0]
    if expected[1]:
        assert details == expected[1]
    assert details[0]["parameter"] == query.split("=", 1)[0]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=0", "page: must be from 1 to 1000000, not 0"),
        ("page=x", "page: 'x' is not a whole number"),
        ("page=", "page: '' is not a whole number"),
        ("sku=A%00", "sku: must not contain the NUL character"),
        ("per_page=1001", "per_page: must be from 1 to 1000, not 1001"),
        ("per_page=-1", "per_page: '-1' is not a whole number"),
        (
            "page=99999999999999999999999",
            "page: must be from 1 to 1000000, not 99999999999999999999999",
        ),
    ],
)
def test_bad_paging_is_validation_failed(api: Api, query: str, message: str) -> None:
    status, code, text, details = error(api.get(f"/api/v1/stock?{query}"))
    assert (status, code, text) == (422, "validation_failed", message)
    name = query.split("=")[0]
    assert details == [{"field": name, "line": None, "message": message[len(name) + 2 :]}]


@pytest.mark.parametrize(
    ("path", "details"),
    [
        (
            "/api/v1/stock?warehous=SH&sku=A-1&x=1",
            [
                ("warehous", "no such query parameter (did you mean 'warehouse'?)"),
                (
                    "x",
                    "no such query parameter (valid: order, page, per_page, sku, warehouse, where)",
                ),
            ],
        ),
        ("/api/v1/warehouses?page=1", [("page", "no such query parameter")]),
    ],
)
def test_unknown_query_parameters_are_validation_failed(
    api: Api, path: str, details: list[tuple[str, str]]
) -> None:
    status, code, _message, found = error(api.get(path))
    assert (status, code) == (422, "validation_failed")
    assert [(d["field"], d["message"]) for d in found] == details


def test_warehouses_list_codes_and_names(api: Api) -> None:
    assert api.get("/api/v1/warehouses").get_json() == {
        "items": [
            {"code": "BJ", "name": "Beijing", "active": True},
            {"code": "SH", "name": "Shanghai", "active": True},
        ]
    }
