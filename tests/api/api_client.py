"""A Flask test client for the API that checks every answer against the served OpenAPI
document, and a reader for the one error shape."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

BASE = "urn:stockform:openapi"
SHOP = Path(__file__).parents[1] / "data/templates/valid/shop"


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def is_datetime(value: object) -> bool:
        return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None

    @checker.checks("date", raises=ValueError)
    def is_date(value: object) -> bool:
        return not isinstance(value, str) or bool(date.fromisoformat(value))

    return checker


class OpenApi:
    """Validates a response against the operation the served OpenAPI document gives for it."""

    def __init__(self, app: Flask, document: dict[str, Any]) -> None:
        self.document = document
        self.registry: Registry[Any] = Registry().with_resource(
            BASE, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        self.urls = app.url_map.bind("localhost")
        self.checker = _format_checker()

    def schema_for(self, method: str, path: str, status: int) -> dict[str, Any]:
        try:
            rule, args = self.urls.match(path, method=method, return_rule=True)
        except HTTPException:
            assert status >= 400, (method, path, status)
            return {"$ref": "#/components/schemas/Error"}
        template = re.sub(
            r"<(?:\w+:)?(\w+)>",
            lambda m: str(args[m[1]]) if m[1] == "form_id" else "{" + m[1] + "}",
            rule.rule,
        )
        operation = self.document["paths"].get(template, {}).get(method.lower())
        if operation is None:  # a form the template does not have, say
            assert status >= 400, (method, path, status)
            return {"$ref": "#/components/schemas/Error"}
        responses = operation["responses"]
        found = responses.get(str(status)) or responses["default"]
        schema: dict[str, Any] = found["content"]["application/json"]["schema"]
        return schema

    def check(self, method: str, path: str, response: TestResponse) -> None:
        schema = self.schema_for(method, path, response.status_code)
        if "$ref" in schema:
            schema = {"$ref": BASE + schema["$ref"]}
        assert response.mimetype == "application/json", response.get_data(as_text=True)
        validator = Draft202012Validator(
            schema, registry=self.registry, format_checker=self.checker
        )
        errors = sorted(validator.iter_errors(response.get_json()), key=str)
        assert not errors, f"{method} {path} -> {response.status_code}: {errors[0]}"


class Api:
    """A test client speaking as one of the shop's users; every answer is checked against the
    OpenAPI document."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.tokens: dict[str, str] = app.config["TEST_TOKENS"]
        document = self.client.get("/api/v1/openapi.json").get_json()
        self.openapi = OpenApi(app, document)

    def request(
        self,
        method: str,
        path: str,
        *,
        user: str | None = "root",
        headers: dict[str, str] | None = None,
        check: bool = True,
        **kwargs: Any,
    ) -> TestResponse:
        sent = dict(headers or {})
        if user is not None:
            sent.setdefault("Authorization", f"Bearer {self.tokens[user]}")
        response = self.client.open(path, method=method, headers=sent, **kwargs)
        if check:
            self.openapi.check(method, path.split("?", 1)[0], response)
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)


def error(response: TestResponse) -> tuple[int, str, str, list[Any]]:
    """(status, code, message, details) of an error response."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    return (
        response.status_code,
        body["error"]["code"],
        body["error"]["message"],
        body["error"]["details"],
    )
