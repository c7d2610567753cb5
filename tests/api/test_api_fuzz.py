"""Throw generated requests at every operation of the OpenAPI document: whatever comes in, the
answer is never a server error and always matches the document. Hypothesis draws values that
mostly fit each schema (a small stand-in for a schemathesis run)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from api_client import SHOP, Api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockform.api.openapi import build
from stockform.spec.template import load_template

# Every operation the shop's OpenAPI document lists (but the document itself).
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in build(load_template(SHOP))["paths"].items()
    for method in item
    if method != "parameters" and not path.endswith("/openapi.json")
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str)
    | st.sampled_from(["A-1", "B-2", "SH", "BJ", "1", "0", "-1", "1.5", "order", "", "x"])
    | st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
ids = st.integers(min_value=1, max_value=4) | st.integers(min_value=0, max_value=2**40)
texts = st.sampled_from(["A-1", "B-2", "SH", "x", "", "active", "draft", "submit", "1", "-1"])


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolve(
            document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], document
        )
    return schema


def like(schema: dict[str, Any], document: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that mostly fit a schema, sometimes anything at all."""
    schema = _resolve(schema, document)
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "enum" in schema:
        fitting: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif "pattern" in schema:
        fitting = st.sampled_from(["1", "2", "3", "0.5", "1.25", "100"]) | st.integers(1, 5)
    elif "object" in kinds:
        properties = schema.get("properties", {})
        fitting = st.fixed_dictionaries(
            {}, optional={n: like(s, document) for n, s in properties.items()}
        )
    elif "array" in kinds:
        fitting = st.lists(like(schema.get("items", {}), document), max_size=3)
    elif "integer" in kinds:
        fitting = st.integers(-1, 100)
    elif "boolean" in kinds:
        fitting = st.booleans()
    elif "string" in kinds:
        fitting = texts
    else:
        fitting = values
    return st.one_of(fitting, fitting, fitting, values)


@pytest.fixture
def busy_api(api: Api) -> Api:
    """The shop with documents and locks in several states, so ids 1 to 4 exist."""
    order = {"fields": {"customer": "Bob", "warehouse": "SH"}, "lines": [{"sku": "A-1", "qty": 2}]}
    for _ in range(3):
        api.post("/api/v1/documents/sales_order", json=order, user="sam")
    api.post("/api/v1/documents/sales_order/2/actions/submit", user="sam")
    ret = {"fields": {"customer": "Bob", "warehouse": "SH"}, "lines": [{"sku": "B-2", "qty": 1}]}
    api.post("/api/v1/documents/return", json=ret, user="sam")
    for qty in ("1", "2", "3"):
        lock = {"sku": "B-2", "warehouse": "SH", "qty": qty, "reference": "r"}
        api.post("/api/v1/locks", json=lock)
    api.post("/api/v1/locks/3/release")
    return api


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@settings(
    max_examples=25,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_request_gets_a_server_error(busy_api: Api, method: str, path: str, data: Any) -> None:
    api = busy_api
    document = api.openapi.document
    item = document["paths"][path]
    operation = item[method.lower()]
    parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
    paths = {p["name"]: p["schema"] for p in parameters if p["in"] == "path"}
    url = re.sub(
        r"\{(\w+)\}",
        lambda m: str(
            data.draw(ids if m[1].endswith("id") else like(paths[m[1]], document), label=m[1])
        ),
        path,
    )
    query = {
        p["name"]: data.draw(like(p["schema"], document), label=p["name"])
        for p in parameters
        if p["in"] == "query" and data.draw(st.booleans())
    }
    kwargs: dict[str, Any] = {}
    if "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        kwargs["json"] = _plain(data.draw(like(schema, document), label="body"))
    user = data.draw(st.sampled_from(["root", "sam", "mia", "wes", "vic"]), label="user")
    query_string = urlencode({k: _plain(v) for k, v in query.items()}) if query else ""
    response = api.request(method, url + ("?" + query_string if query else ""), user=user, **kwargs)
    assert response.status_code < 500, response.get_json()


def _plain(value: Any) -> Any:
    """Decimals as JSON numbers would arrive: written out in full."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
