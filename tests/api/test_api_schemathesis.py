"""Schemathesis against the shop's OpenAPI document: every operation gets generated requests
(valid and invalid), and a state machine chains them along the document's links. Whatever comes
in, the answer is never a server error and always matches the document."""

from __future__ import annotations

import sqlite3

import pytest
import schemathesis
from api_client import SHOP, Api
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.auths import AuthContext
from schemathesis.config import SchemathesisConfig

from stockform.api.openapi import build
from stockform.rules.functions import FUNCTIONS
from stockform.rules.hooks import evaluate_all
from stockform.spec.template import load_template

DOCUMENT = build(load_template(SHOP, FUNCTIONS))
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20240601,
        "generation": {
            "mode": "all",
            "deterministic": True,
            # The tests send a real token themselves; a generated Authorization header
            # would only be replaced by it. ignored_auth still checks that none gets a 401.
            "with-security-parameters": False,
        },
        "operations": [
            {
                # Schema-valid is not always acceptable: a SKU or warehouse code that does
                # not exist, a SKU code taken already, more than a lock holds, a quantity
                # finer than its SKU allows, an Idempotency-Key used before for another
                # request. These are 422s the document cannot rule out.
                "include-method": ["POST", "PATCH"],
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            },
            {
                # Nor can it rule out a `where` or `order` the expression language refuses.
                "include-path": "/api/v1/stock",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            },
            {
                # Nor a report period that ends before it starts or is too long.
                "include-path-regex": "^/api/v1/reports/",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            },
        ],
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.fixture
def busy_api(api: Api) -> Api:
    """The shop with documents and locks in several states, so ids 1 to 4 exist, and warnings
    1 to 3."""
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
    runtime = api.app.extensions["stockform.runtime"]
    evaluate_all(runtime.engine, runtime.template)  # warnings 1 to 3: low stock
    return api


@pytest.fixture
def app(busy_api: Api) -> Flask:
    """The busy shop, as the app the module's schema sends to."""
    return busy_api.app


def bearer(app: Flask, user: str = "root") -> dict[str, str]:
    return {"Authorization": f"Bearer {app.config['TEST_TOKENS'][user]}"}


def test_the_fuzzed_document_is_the_served_one(api: Api) -> None:
    assert api.get("/api/v1/openapi.json", user=None).get_json() == DOCUMENT


def examples(count: int) -> settings:
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def call_and_validate(app: Flask, case: Case) -> None:
    # A check that sends requests of its own (ignored_auth drops the token and expects a 401)
    # sends them through the schema's transport, which must know the app.
    case.operation.schema.app = app
    case.call_and_validate(app=app, headers=bearer(app))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@schema.parametrize()
@examples(100)
def test_every_operation_keeps_to_the_document(app: Flask, case: Case) -> None:
    call_and_validate(app, case)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
@schema.parametrize()
@examples(40)
def test_every_operation_keeps_to_the_document_on_postgresql(app: Flask, case: Case) -> None:
    """The same on PostgreSQL, with fewer examples: what differs there is the database's
    types and errors, which the first examples of each operation reach."""
    call_and_validate(app, case)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_chained_calls_keep_to_the_document(app: Flask) -> None:
    """Scenarios that follow the document's links: a new lock's id to its release, a new
    document's id to its actions. On SQLite only: each scenario starts from a copy of the
    same database, since Hypothesis replays a scenario to shrink it and expects the same
    answers (the per-operation tests above cover PostgreSQL)."""
    engine = app.extensions["stockform.runtime"].engine
    saved = sqlite3.connect(":memory:")
    with engine.connect() as connection:
        connection.connection.driver_connection.backup(saved)
    stateful = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    token = app.config["TEST_TOKENS"]["root"]

    @stateful.auth()
    class Bearer:
        def get(self, case: Case, context: AuthContext) -> str:
            return token

        def set(self, case: Case, data: str, context: AuthContext) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    class Scenarios(stateful.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            with engine.connect() as connection:
                saved.backup(connection.connection.driver_connection)

    Scenarios.run(
        settings=settings(
            max_examples=100,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
