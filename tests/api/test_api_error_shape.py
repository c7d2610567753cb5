"""Every error on every API route has the one shape, with the expected code and status.

The table below names every route of the URL map; a route added without an entry fails here.
"""

from __future__ import annotations

import re

import pytest
from api_client import Api, error
from flask import Flask

from stockform.api.errors import CODES
from stockform.stock.service import Stock

# Values for path parameters that name nothing.
MISSING = {"form_id": "sales_order", "doc_id": "999999", "lock_id": "999999", "code": "NOPE"}
MISSING["transition"] = "submit"
MISSING["warning_id"] = "999999"

# (method, rule) -> (status, code) for a request with a valid token and a malformed body
# (POST, PATCH) or a missing resource / bad query (GET).
EXPECTED = {
    ("GET", "/api/v1/stock"): (422, "validation_failed"),
    ("GET", "/api/v1/warehouses"): None,  # takes no input that can be wrong
    ("GET", "/api/v1/skus"): (422, "validation_failed"),
    ("POST", "/api/v1/skus"): (400, "bad_request"),
    ("GET", "/api/v1/skus/<code>"): (404, "not_found"),
    ("PATCH", "/api/v1/skus/<code>"): (400, "bad_request"),
    ("GET", "/api/v1/movements"): (422, "validation_failed"),
    ("GET", "/api/v1/locks"): (422, "validation_failed"),
    ("POST", "/api/v1/locks"): (400, "bad_request"),
    ("GET", "/api/v1/locks/<int:lock_id>"): (404, "not_found"),
    ("POST", "/api/v1/locks/<int:lock_id>/release"): (404, "not_found"),
    ("POST", "/api/v1/locks/<int:lock_id>/keep"): (404, "not_found"),
    ("POST", "/api/v1/locks/<int:lock_id>/consume"): (404, "not_found"),
    ("GET", "/api/v1/documents/<form_id>"): (422, "validation_failed"),
    ("POST", "/api/v1/documents/<form_id>"): (400, "bad_request"),
    ("GET", "/api/v1/documents/<form_id>/<int:doc_id>"): (404, "not_found"),
    ("PATCH", "/api/v1/documents/<form_id>/<int:doc_id>"): (404, "not_found"),
    ("POST", "/api/v1/documents/<form_id>/<int:doc_id>/actions/<transition>"): (404, "not_found"),
    ("GET", "/api/v1/warnings"): (422, "validation_failed"),
    ("GET", "/api/v1/warnings/<int:warning_id>"): (404, "not_found"),
    ("POST", "/api/v1/warnings/<int:warning_id>/acknowledge"): (404, "not_found"),
    ("POST", "/api/v1/warnings/<int:warning_id>/snooze"): (404, "not_found"),
    ("GET", "/api/v1/replenishment"): (422, "validation_failed"),
    ("POST", "/api/v1/replenishment/drafts"): (400, "bad_request"),
    ("POST", "/api/v1/skus/<code>/safety-stock"): (400, "bad_request"),
    **{
        ("GET", f"/api/v1/reports/{name}"): (422, "validation_failed")
        for name in (
            "stock-value",
            "turnover",
            "abc",
            "ageing",
            "slow-movers",
            "stock-outs",
            "stock-trend",
            "dashboard",
        )
    },
    ("GET", "/api/v1/openapi.json"): None,
}


def api_routes(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    )


def url_of(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: MISSING[m[1]], rule)


def assert_shape(response: object, status: int, code: str) -> None:
    found_status, found_code, message, details = error(response)  # type: ignore[arg-type]
    assert (found_status, found_code) == (status, code), message
    assert CODES[code][0] == status
    assert message and "Traceback" not in message
    assert isinstance(details, list)


def test_the_table_names_every_api_route(api_app: Flask) -> None:
    assert set(api_routes(api_app)) == set(EXPECTED)


def test_bad_input_on_every_route(api: Api) -> None:
    for (method, rule), expected in sorted(EXPECTED.items()):
        if expected is None:
            continue
        url = url_of(rule)
        if method == "GET":
            bad_query = expected[1] == "validation_failed"
            response = api.request(method, url + ("?page=0&limit=0" if bad_query else ""))
        else:
            response = api.request(
                method, url, data='{"x": ', headers={"Content-Type": "application/json"}
            )
        assert_shape(response, *expected)


def test_no_token_on_every_route_but_the_openapi_document(api: Api) -> None:
    for method, rule in EXPECTED:
        response = api.request(method, url_of(rule), user=None)
        if rule == "/api/v1/openapi.json":
            assert response.status_code == 200
            continue
        assert_shape(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="stockform"'


def test_a_wrong_method_on_every_route(api: Api, api_app: Flask) -> None:
    for rule in {r for _, r in EXPECTED}:
        allowed = {m for m, r in EXPECTED if r == rule}
        for method in {"GET", "POST", "PATCH", "PUT", "DELETE"} - allowed:
            response = api.request(method, url_of(rule))
            assert_shape(response, 405, "method_not_allowed")
            assert set(response.headers["Allow"].split(", ")) - {"HEAD", "OPTIONS"} == allowed


def test_a_body_too_large_on_every_write_route(api: Api) -> None:
    big = '{"x": "' + "a" * (1024 * 1024) + '"}'
    for method, rule in EXPECTED:
        if method in ("POST", "PATCH"):
            response = api.request(method, url_of(rule), data=big)
            assert_shape(response, 413, "payload_too_large")


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/stock", "/api", "/api/v1/stock/"])
def test_unknown_routes_under_api_are_not_found(api: Api, path: str) -> None:
    assert_shape(api.get(path), 404, "not_found")


def test_paths_outside_the_api_keep_their_own_errors(api: Api) -> None:
    response = api.client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype != "application/json" or "error" not in (response.get_json() or {})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"x": ', "the body is not valid JSON: Expecting value"),
        ("[1, 2]", "the body must be a JSON object"),
        ('{"qty": NaN}', "the body is not valid JSON: NaN is not a number JSON allows"),
        (b'{"a": "\xff"}', "the body is not UTF-8 text"),
        ("[" * 100_000, "the body is not valid JSON: maximum recursion depth exceeded"),
        ("", "this request needs a JSON object as its body"),
    ],
)
def test_malformed_json_is_bad_request(api: Api, body: str | bytes, message: str) -> None:
    status, code, text, _details = error(api.post("/api/v1/locks", data=body))
    assert (status, code) == (400, "bad_request")
    assert text.startswith(message)


def test_an_unexpected_failure_is_internal_error_without_a_traceback(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail of the server")

    monkeypatch.setattr(Stock, "query", broken)
    response = api.get("/api/v1/stock")
    assert error(response) == (
        500,
        "internal_error",
        "the server failed to answer this request; nothing changed",
        [],
    )
    assert "secret detail" not in response.get_data(as_text=True)
