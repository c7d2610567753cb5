"""The OpenAPI document: generated from the running template, covering every route."""

from __future__ import annotations

import re
from typing import Any

from api_client import Api
from flask import Flask
from jsonschema import Draft202012Validator

from stockform.api.openapi import build
from stockform.paths import STARTERS
from stockform.spec.template import load_template


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }


def routed(app: Flask) -> set[tuple[str, str]]:
    """Every API route and method, with <form_id> spelled out for each of the template's forms."""
    forms = list(app.extensions["stockform.runtime"].template.forms)
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            for form in forms if "<form_id>" in rule.rule else [None]:
                path = rule.rule.replace("<form_id>", form or "")
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
                found.add((method, path))
    return found


def test_every_route_is_documented_and_nothing_else(api: Api, api_app: Flask) -> None:
    document = api.get("/api/v1/openapi.json", user=None).get_json()
    assert document["openapi"] == "3.1.0"
    assert documented(document) == routed(api_app)


def test_operation_ids_are_unique(api: Api) -> None:
    document = api.get("/api/v1/openapi.json", user=None).get_json()
    ids = [
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
    ]
    assert len(ids) == len(set(ids))


def test_every_schema_is_valid_json_schema(api: Api) -> None:
    document = api.get("/api/v1/openapi.json", user=None).get_json()
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_each_forms_fields_are_components(api: Api) -> None:
    schemas = api.get("/api/v1/openapi.json", user=None).get_json()["components"]["schemas"]
    assert list(schemas["sales_order.Fields"]["properties"]) == [
        "customer",
        "warehouse",
        "channel",
        "pickup_note",
        "note",
    ]
    assert schemas["sales_order.Fields"]["properties"]["channel"] == {
        "enum": ["online", "store", None],
        "title": "Channel",
    }
    assert list(schemas["return.Line"]["properties"]) == [
        "id",
        "sku",
        "qty",
        "accepted",
        "rejected",
    ]
    line_input = schemas["sales_order.DocumentInput"]["properties"]["lines"]["items"]
    assert "amount" not in line_input["properties"]  # computed: never sent
    assert line_input["required"] == ["sku", "qty"]
    assert schemas["StockRow"]["properties"]["buckets"]["required"] == [
        "available",
        "locked",
        "quarantine",
        "damaged",
    ]
    assert list(schemas["Sku"]["properties"])[-2:] == ["list_price", "safety_stock"]


def test_another_template_gives_another_document() -> None:
    document = build(load_template(STARTERS / "minimal"))
    assert "/api/v1/documents/receipt" in document["paths"]
    assert "receipt.Document" in document["components"]["schemas"]
    transitions = document["paths"]["/api/v1/documents/receipt/{doc_id}/actions/{transition}"]
    assert transitions["parameters"][1]["schema"] == {"enum": ["cancel", "confirm"]}


def test_links_lead_from_a_new_thing_to_the_operations_on_it(api: Api) -> None:
    """The links schemathesis' state machine follows: each names an operation of the document
    and fills a path parameter that operation has from the answer's body."""
    document = api.get("/api/v1/openapi.json", user=None).get_json()
    operations = {
        operation["operationId"]: [*item.get("parameters", []), *operation.get("parameters", [])]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
    }
    links = {}
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for response in operation["responses"].values():
                for link in response.get("links", {}).values():
                    links.setdefault(operation["operationId"], set()).add(link["operationId"])
                    path_parameters = {
                        p["name"] for p in operations[link["operationId"]] if p["in"] == "path"
                    }
                    assert set(link["parameters"]) <= path_parameters, link
                    assert all(
                        v.startswith("$response.body#/") for v in link["parameters"].values()
                    )
    assert links["createLock"] == {"getLock", "releaseLock", "keepLock", "consumeLock"}
    assert links["createSku"] == {"getSku", "updateSku"}
    assert links["create_sales_order"] == {
        "get_sales_order",
        "update_sales_order",
        "act_sales_order",
    }
    assert links["act_return"] == {"get_return", "update_return", "act_return"}
