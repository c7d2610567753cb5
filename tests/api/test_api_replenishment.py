"""GET /replenishment, POST /replenishment/drafts and POST /skus/<code>/safety-stock on the
retail starter: every suggestion field as exact strings, filters and paging, draft documents
(with an Idempotency-Key), applying a safety stock, and refusals in the one error shape."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_client import Api, error
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from stockform.api.openapi import build
from stockform.app import create_app
from stockform.paths import STARTERS
from stockform.rules.functions import FUNCTIONS
from stockform.rules.replenishment import Filter, Suggestion, plan
from stockform.spec.template import load_template
from stockform.stock.service import Stock
from users_support import add_users_with_tokens

USERS = {"root": ["admin"], "pat": ["purchasing"], "sam": ["sales"]}
URL = "/api/v1/replenishment"
DRAFTS = "/api/v1/replenishment/drafts"
PEN_SH = {"sku": "PEN", "warehouse": "SH", "qty": "40"}
SAFETY = "/api/v1/skus/MUG/safety-stock"
MUG_BJ_SH = {"sku": "MUG", "warehouse": "SH", "qty": "12", "from_warehouse": "BJ"}
# The shop the API's schemathesis test fuzzes has no replenishment (every answer here is a 404
# there), so these routes are fuzzed on the retail starter too. A SKU or warehouse code that
# does not exist is a 422 the document cannot rule out.
DOCUMENT = build(load_template(STARTERS / "retail", FUNCTIONS))
FUZZ = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {
            "seed": 20240601,
            "generation": {"mode": "all", "deterministic": True, "with-security-parameters": False},
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
                }
            },
        }
    ),
).include(path_regex="^/api/v1/(replenishment|skus/[{]code[}]/safety-stock)")


@pytest.fixture
def retail_app(api_database: str, tmp_path: Path) -> Iterator[Flask]:
    """PEN: none anywhere, min 10, max 50. MUG: 300 at BJ, none at SH, min 10, max 100, safety
    stock 3, 9 sold at BJ. A token per role."""
    app = create_app(
        {
            "TEMPLATE": str(STARTERS / "retail"),
            "DATABASE_URL": api_database,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SQLITE_SYNCHRONOUS": "NORMAL",
        }
    )
    app.config["TESTING"] = True
    runtime = app.extensions["stockform.runtime"]
    app.config["TEST_TOKENS"] = add_users_with_tokens(runtime.engine, USERS)
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    common = {"category": "home", "lead_time_days": 7, "min_stock": "10"}
    stock.create_sku(code="PEN", name="Pen", max_stock="50", **common)
    stock.create_sku(code="MUG", name="Mug", max_stock="100", safety_stock="3", **common)
    stock.receive("MUG", "BJ", 300, unit_cost="6")
    stock.consume(stock.lock("MUG", "BJ", 9).id)
    yield app
    runtime.engine.dispose()


@pytest.fixture
def retail(retail_app: Flask) -> Api:
    return Api(retail_app)


def answer(api: Api, query: str = "", user: str = "pat") -> dict[str, Any]:
    response = api.get(URL + query, user=user)
    assert response.status_code == 200, response.get_json()
    found: dict[str, Any] = response.get_json()
    return found


def safety_stock(api: Api) -> Any:
    return api.get("/api/v1/skus/MUG").get_json()["safety_stock"]


def places(found: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((item["sku"], item["warehouse"]) for item in found["items"])


def test_every_suggestion_field_as_exact_strings(retail: Api, retail_app: Flask) -> None:
    found = answer(retail)
    runtime = retail_app.extensions["stockform.runtime"]
    with runtime.engine.connect() as connection:
        expected = plan(connection, runtime.template, datetime.now(UTC), Filter(), False)
    assert [(i["sku"], i["warehouse"]) for i in found["items"]] == [
        (s.sku, s.warehouse) for s in expected.suggestions
    ]
    pen = next(i for i in found["items"] if (i["sku"], i["warehouse"]) == ("PEN", "SH"))
    assert set(pen) == {f.name for f in fields(Suggestion)} | {"needs_action"}
    assert (pen["order_qty"], pen["max_level"], pen["unit"]) == ("50", "50", "pcs")
    assert (pen["needs_action"], pen["history_days"], pen["category"]) == (True, 90, "home")
    assert isinstance(pen["service_level"], str) and isinstance(pen["z"], str)
    assert found["transfers"] == [
        {"sku": "MUG", "from_warehouse": "BJ", "to_warehouse": "SH", "qty": "100"}
    ]
    assert (found["page"], found["per_page"], found["total"]) == (1, 50, 4)
    assert datetime.fromisoformat(found["as_of"]).tzinfo is not None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [("MUG", "BJ"), ("MUG", "SH"), ("PEN", "BJ"), ("PEN", "SH")]),
        ("?needs_action=false", [("MUG", "BJ"), ("MUG", "SH"), ("PEN", "BJ"), ("PEN", "SH")]),
        ("?needs_action=true", [("MUG", "SH"), ("PEN", "BJ"), ("PEN", "SH")]),
        ("?warehouse=SH", [("MUG", "SH"), ("PEN", "SH")]),
        ("?sku=PEN&warehouse=BJ", [("PEN", "BJ")]),
        ("?category=food", []),
    ],
)
def test_filters(retail: Api, query: str, expected: list[tuple[str, str]]) -> None:
    assert places(answer(retail, query)) == expected


def test_paging_keeps_the_order_and_the_total(retail: Api) -> None:
    every = answer(retail)["items"]
    second = answer(retail, "?per_page=3&page=2")
    assert second["items"] == every[3:] and second["total"] == 4


@pytest.mark.parametrize(
    ("query", "user", "status", "code", "field"),
    [
        ("?warehouse=XX", "pat", 422, "validation_failed", "warehouse"),
        ("?category=toys", "pat", 422, "validation_failed", "category"),
        ("?needs_action=yes", "pat", 422, "validation_failed", "needs_action"),
        ("?warehous=SH", "pat", 422, "validation_failed", "warehous"),
        ("?per_page=0", "pat", 422, "validation_failed", "per_page"),
        ("", "sam", 403, "forbidden", None),
    ],
)
def test_refused_queries(
    retail: Api, query: str, user: str, status: int, code: str, field: str | None
) -> None:
    found_status, found_code, message, details = error(retail.get(URL + query, user=user))
    assert (found_status, found_code) == (status, code), message
    assert [d["field"] for d in details] == ([field] if field else [])


def test_a_template_without_replenishment_has_none(api: Api) -> None:
    status, code, message, _details = error(api.get(URL))
    assert (status, code) == (404, "not_found")
    assert message == "this template has no replenishment (stock.replenishment)"
    assert error(api.post(DRAFTS, json={"picks": [PEN_SH]}))[:2] == (404, "not_found")
    refused = api.post("/api/v1/skus/A-1/safety-stock", json={"value": "1"})
    assert error(refused)[:2] == (404, "not_found")


def test_drafts_from_picks(retail: Api) -> None:
    created = retail.post(DRAFTS, json={"picks": [PEN_SH, MUG_BJ_SH]}, user="pat")
    assert created.status_code == 201, created.get_json()
    documents = {d["form"]: d for d in created.get_json()["documents"]}
    assert set(documents) == {"receipt", "transfer"}
    receipt, transfer = documents["receipt"], documents["transfer"]
    assert (receipt["state"], receipt["fields"]["warehouse"]) == ("draft", "SH")
    assert [(line["sku"], line["qty"]) for line in receipt["lines"]] == [("PEN", "40")]
    assert (transfer["fields"]["from_warehouse"], transfer["fields"]["to_warehouse"]) == (
        "BJ",
        "SH",
    )
    assert [(line["sku"], line["qty"]) for line in transfer["lines"]] == [("MUG", "12")]
    stored = retail.get(f"/api/v1/documents/receipt/{receipt['id']}", user="pat").get_json()
    assert stored["number"] == receipt["number"] and stored["state"] == "draft"
    # The draft is on order now: 40 at PEN SH is above its minimum of 10, nothing to order.
    pen = next(i for i in answer(retail)["items"] if (i["sku"], i["warehouse"]) == ("PEN", "SH"))
    assert (pen["on_order"], pen["position"], pen["order_qty"]) == ("40", "40", "0")


def test_a_retried_draft_is_drafted_once(retail: Api) -> None:
    headers = {"Idempotency-Key": "drafts-1"}
    first = retail.post(DRAFTS, json={"picks": [PEN_SH]}, headers=headers, user="pat")
    again = retail.post(DRAFTS, json={"picks": [PEN_SH]}, headers=headers, user="pat")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    receipts = retail.get("/api/v1/documents/receipt", user="pat").get_json()
    assert receipts["total"] == 1
    other = retail.post(DRAFTS, json={"picks": [MUG_BJ_SH]}, headers=headers, user="pat")
    assert error(other)[:2] == (422, "idempotency_conflict")


@pytest.mark.parametrize(
    ("body", "fields_at_fault"),
    [
        ({}, ["picks"]),
        ({"picks": []}, ["picks"]),
        ({"picks": "PEN"}, ["picks"]),
        ({"picks": [PEN_SH], "note": "x"}, ["note"]),
        ({"picks": [{"sku": "PEN"}]}, ["picks[1].warehouse", "picks[1].qty"]),
        ({"picks": [PEN_SH, {**PEN_SH, "qty": "0"}]}, ["picks[2].qty"]),
        ({"picks": [{**PEN_SH, "colour": "red"}]}, ["picks[1].colour"]),
        ({"picks": [{**PEN_SH, "sku": "NOPE"}]}, None),
        ({"picks": [{**PEN_SH, "warehouse": "XX"}]}, None),
        ({"picks": [{**MUG_BJ_SH, "from_warehouse": "SH"}]}, None),
    ],
)
def test_refused_drafts_change_nothing(
    retail: Api, body: dict[str, Any], fields_at_fault: list[str] | None
) -> None:
    status, code, message, details = error(retail.post(DRAFTS, json=body, user="pat"))
    assert (status, code) == (422, "validation_failed"), message
    if fields_at_fault is not None:
        assert [d["field"] for d in details] == fields_at_fault
    else:  # the core's refusal, in its words
        assert len(details) >= 1 and message
    for form in ("receipt", "transfer"):
        assert retail.get(f"/api/v1/documents/{form}", user="pat").get_json()["total"] == 0


def test_drafts_need_a_role_that_creates_them(retail: Api) -> None:
    refused = retail.post(DRAFTS, json={"picks": [PEN_SH]}, user="sam")
    assert error(refused)[:2] == (403, "forbidden")


def test_an_admin_applies_a_safety_stock(retail: Api) -> None:
    done = retail.post(SAFETY, json={"value": "7.5"})
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["code"], done.get_json()["safety_stock"]) == ("MUG", "7.5")
    assert safety_stock(retail) == "7.5"
    assert retail.post(SAFETY, json={"value": 0}).status_code == 200
    assert safety_stock(retail) == "0"


@pytest.mark.parametrize(
    ("path", "body", "user", "status", "code"),
    [
        ("MUG", {"value": "7"}, "pat", 403, "forbidden"),
        ("NOPE", {"value": "7"}, "root", 404, "not_found"),
        ("MUG", {"value": "-1"}, "root", 422, "validation_failed"),
        ("MUG", {"value": "many"}, "root", 422, "validation_failed"),
        ("MUG", {"value": True}, "root", 422, "validation_failed"),
        ("MUG", {}, "root", 422, "validation_failed"),
        ("MUG", {"value": "7", "why": "x"}, "root", 422, "validation_failed"),
    ],
)
def test_refused_safety_stocks_change_nothing(
    retail: Api, path: str, body: dict[str, Any], user: str, status: int, code: str
) -> None:
    response = retail.post(f"/api/v1/skus/{path}/safety-stock", json=body, user=user)
    assert error(response)[:2] == (status, code)
    assert safety_stock(retail) == "3"


@pytest.fixture
def app(retail_app: Flask) -> Flask:
    """The retail shop, as the app the fuzzed schema sends to."""
    return retail_app


def test_the_fuzzed_document_is_the_served_one(retail: Api) -> None:
    assert retail.get("/api/v1/openapi.json", user=None).get_json() == DOCUMENT


@FUZZ.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_routes_keep_to_the_document(app: Flask, case: Case) -> None:
    case.operation.schema.app = app
    token = app.config["TEST_TOKENS"]["root"]
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"})
