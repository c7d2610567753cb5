"""GET /warnings and acknowledging or snoozing one, as each role sees them; an API lock's row
is evaluated once the answer is sent; the stock list takes the rule functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import Api, error
from flask import Flask

from stockform.rules.hooks import evaluate_all


@pytest.fixture
def warned(api: Api, api_app: Flask) -> Api:
    """Low stock (sellable < 20) at B-2 SH (10), A-1 BJ and B-2 BJ (0)."""
    runtime = api_app.extensions["stockform.runtime"]
    evaluate_all(runtime.engine, runtime.template)
    return api


def items(api: Api, query: str = "", user: str = "root") -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/warnings{query}", user=user)
    assert response.status_code == 200, response.get_json()
    found: list[dict[str, Any]] = response.get_json()["items"]
    return found


def places(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((w["sku"], w["warehouse"]) for w in found)


def one(api: Api, sku: str, warehouse: str) -> dict[str, Any]:
    (found,) = [w for w in items(api) if (w["sku"], w["warehouse"]) == (sku, warehouse)]
    return found


def test_list_and_filter(warned: Api) -> None:
    every = items(warned)
    assert places(every) == [("A-1", "BJ"), ("B-2", "BJ"), ("B-2", "SH")]
    b2 = one(warned, "B-2", "SH")
    assert {k: b2[k] for k in ("rule", "label", "level", "message", "state", "batch")} == {
        "rule": "low_stock",
        "label": "Low stock",
        "level": "warning",
        "message": "Only 10 of B-2 sellable at SH",
        "state": "open",
        "batch": None,
    }
    assert datetime.fromisoformat(b2["opened_at"]).tzinfo is not None
    assert places(items(warned, "?warehouse=SH")) == [("B-2", "SH")]
    assert places(items(warned, "?sku=A-1&level=warning&state=open")) == [("A-1", "BJ")]
    assert items(warned, "?level=critical") == []
    assert items(warned, "?state=closed") == []
    page = warned.get("/api/v1/warnings?per_page=2&page=2").get_json()
    assert (len(page["items"]), page["total"]) == (1, 3)


def test_each_role_sees_what_it_is_notified_of(warned: Api) -> None:
    assert places(items(warned, user="sam")) == [("B-2", "SH")]  # sales: SH only
    assert len(items(warned, user="mia")) == 3  # manager: every warehouse
    assert items(warned, user="wes") == []  # warehouse: not notified
    hidden = one(warned, "A-1", "BJ")["id"]
    assert error(warned.get(f"/api/v1/warnings/{hidden}", user="sam"))[:2] == (404, "not_found")
    refused = warned.post(f"/api/v1/warnings/{hidden}/acknowledge", user="sam")
    assert error(refused)[:2] == (404, "not_found")


def test_bad_filters_are_refused(warned: Api) -> None:
    status, code, message, details = error(warned.get("/api/v1/warnings?level=loud"))
    assert (status, code) == (422, "validation_failed")
    assert details == [
        {"field": "level", "line": None, "message": "'loud' is not one of info, warning, critical"}
    ]
    assert error(warned.get("/api/v1/warnings?stat=open"))[1] == "validation_failed"


def test_acknowledge_then_snooze_with_history(warned: Api) -> None:
    warning = one(warned, "B-2", "SH")["id"]
    done = warned.post(
        f"/api/v1/warnings/{warning}/acknowledge", json={"comment": "reorder placed"}, user="sam"
    ).get_json()
    assert (done["state"], done["acknowledged_by"], done["comment"]) == (
        "acknowledged",
        "sam",
        "reorder placed",
    )
    again = warned.post(f"/api/v1/warnings/{warning}/acknowledge", user="mia")
    assert error(again)[:2] == (409, "invalid_transition")
    until = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    snoozed = warned.post(
        f"/api/v1/warnings/{warning}/snooze",
        json={"until": until.isoformat(), "comment": "supplier closed"},
        user="mia",
    ).get_json()
    assert snoozed["state"] == "snoozed"
    assert datetime.fromisoformat(snoozed["snoozed_until"]) == until
    assert [(e["event"], e["user"], e["comment"]) for e in snoozed["history"]] == [
        ("opened", None, None),
        ("acknowledged", "sam", "reorder placed"),
        ("snoozed", "mia", "supplier closed"),
    ]
    assert warned.get(f"/api/v1/warnings/{warning}").get_json() == snoozed


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "until: required"),
        ({"until": "tomorrow"}, "until: 'tomorrow' is not a date and time"),
        ({"until": "2030-01-01T09:00:00"}, "until: needs a UTC offset"),
        ({"until": "2020-01-01T09:00:00+00:00"}, "until: must be in the future"),
        ({"until": "2099-01-01T09:00:00+00:00"}, "until: must be within a year"),
        ({"until": "2099-01-01T09:00:00+00:00", "why": "x"}, "why: no such field"),
    ],
)
def test_a_bad_snooze_is_refused(warned: Api, body: dict[str, Any], message: str) -> None:
    warning = one(warned, "B-2", "SH")["id"]
    status, code, text, _details = error(
        warned.post(f"/api/v1/warnings/{warning}/snooze", json=body)
    )
    assert (status, code) == (422, "validation_failed")
    assert message in text


def test_a_locks_row_is_evaluated_once_the_answer_is_sent(warned: Api) -> None:
    lock = {"sku": "A-1", "warehouse": "SH", "qty": "80", "reference": "order-1"}
    response = warned.post("/api/v1/locks", json=lock)
    assert response.status_code == 201
    assert ("A-1", "SH") not in places(items(warned))  # not yet: the answer is still open
    response.close()
    assert one(warned, "A-1", "SH")["message"] == "Only 15 of A-1 sellable at SH"
    released = warned.post(f"/api/v1/locks/{response.get_json()['id']}/release")
    released.close()
    assert one(warned, "A-1", "SH")["state"] == "closed"


def test_a_changed_skus_rows_are_evaluated_once_the_answer_is_sent(warned: Api) -> None:
    # A-1 has 100 in Shanghai and keeps 5 back; keeping 85 back leaves 15 sellable.
    response = warned.patch("/api/v1/skus/A-1", json={"safety_stock": "85"})
    assert response.status_code == 200
    response.close()
    assert one(warned, "A-1", "SH")["message"] == "Only 15 of A-1 sellable at SH"
    added = warned.post("/api/v1/skus", json={"code": "C-3", "name": "Plum"})
    assert added.status_code == 201
    added.close()
    assert ("C-3", "SH") in places(items(warned))  # none in stock: low at once


def test_the_stock_list_takes_the_rule_functions(warned: Api) -> None:
    found = warned.get("/api/v1/stock?where=days_since_last_out() >= 0&order=sku.code")
    assert found.status_code == 200, found.get_json()
    assert [(r["sku"], r["warehouse"]) for r in found.get_json()["items"]] == [
        ("A-1", "SH"),
        ("B-2", "SH"),
    ]
