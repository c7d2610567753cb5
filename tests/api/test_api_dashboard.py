"""GET /reports/dashboard: the dashboard's figures and series as exact strings, equal to the
report routes' figures for the same filters, warnings as the token's user sees them, refusals
in the one error shape."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from api_client import Api, error
from flask import Flask

from stockform.rules.hooks import evaluate_all
from stockform.stock.service import Stock

ZONE = ZoneInfo("Asia/Shanghai")  # the test shop's time zone


def shanghai_today() -> str:
    return datetime.now(UTC).astimezone(ZONE).date().isoformat()


@pytest.fixture
def sold(api: Api, stock: Stock) -> str:
    """C-3: 15 received today at 2.00 (30.00), 5 sold (COGS 10.00), 3 locked and still open."""
    today = shanghai_today()
    stock.create_sku(code="C-3", name="Plum")
    stock.receive("C-3", "SH", 15, unit_cost="2")
    lock = api.post(
        "/api/v1/locks", json={"sku": "C-3", "warehouse": "SH", "qty": "5", "reference": "o-1"}
    ).get_json()
    assert api.post(f"/api/v1/locks/{lock['id']}/consume").status_code == 200
    stock.lock("C-3", "SH", 3)
    if shanghai_today() != today:
        pytest.skip("midnight passed in Shanghai while the test ran")
    return today


def test_the_dashboard_of_one_day(api: Api, sold: str) -> None:
    body = api.get(f"/api/v1/reports/dashboard?from={sold}&to={sold}").get_json()
    # C-3: 10 left at 2.00 = 20.00; A-1 and B-2 came in without a cost (0).
    # Sellable: C-3 10 - 3 locked = 7 × 2.00 = 14.00; A-1 95 × 0 and B-2 10 × 0.
    # One day: average 20.00; turnover 10 / 20 = 0.5; days 1 × 20 / 10 = 2.00.
    # The lock: 3 × 2.00 = 6.00.
    assert body == {
        "from": sold,
        "to": sold,
        "days": 1,
        "physical_value": "20",
        "sellable_value": "14",
        "cogs": "10",
        "average_inventory_value": "20",
        "turnover": "0.5000",
        "days_of_inventory": "2.00",
        "open_locks": {"count": 1, "value": "6", "expired": 0},
        "warnings": {"info": 0, "warning": 0, "critical": 0},
        "value_by_day": [{"date": sold, "value": "20"}],
        "days_by_category": [],
        "value_by_age": {"0-30": "20", "31-60": "0", "61-90": "0", "over_90": "0"},
        "slow_movers": [
            {
                "sku": sku,
                "name": name,
                "category": None,
                "warehouse": "SH",
                "qty": qty,
                "value": "0",
                "last_out": None,
                "days_without_out": None,
            }
            for sku, name, qty in (("A-1", "Apple", "100"), ("B-2", "Pear", "10"))
        ],
    }


@pytest.mark.parametrize("query", ["", "warehouse=SH", "warehouse=BJ", "from=2026-01-01"])
def test_the_figures_equal_the_reports(api: Api, sold: str, query: str) -> None:
    base = "/api/v1/reports"
    board = api.get(f"{base}/dashboard?{query}").get_json()
    value = api.get(f"{base}/stock-value?{query}").get_json()["summary"]
    rates = api.get(f"{base}/turnover?{query}").get_json()["summary"]
    assert board["physical_value"] == value["closing_value"]
    assert board["cogs"] == value["cogs"] == rates["cogs"]
    for name in ("average_inventory_value", "turnover", "days_of_inventory"):
        assert board[name] == rates[name], name
    assert board["value_by_day"][-1]["value"] == board["physical_value"]
    assert len(board["value_by_day"]) == board["days"]


def test_warnings_per_level_follow_the_token_user(api: Api, api_app: Flask, sold: str) -> None:
    runtime = api_app.extensions["stockform.runtime"]
    # Low stock (sellable < 20): B-2 and C-3 at SH; A-1, B-2 and C-3 at BJ (nothing there).
    evaluate_all(runtime.engine, runtime.template)
    counts = {
        user: api.get("/api/v1/reports/dashboard", user=user).get_json()["warnings"]
        for user in ("root", "sam", "wes")
    }
    # root (admin) sees all 5; sam (sales: notified, works in SH) the 2 at SH; wes (warehouse)
    # is not notified.
    assert counts["root"] == {"info": 0, "warning": 5, "critical": 0}
    assert counts["sam"] == {"info": 0, "warning": 2, "critical": 0}
    assert counts["wes"] == {"info": 0, "warning": 0, "critical": 0}
    at_bj = api.get("/api/v1/reports/dashboard?warehouse=BJ").get_json()["warnings"]
    assert at_bj["warning"] == 3


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-02-30", "from", "'2026-02-30' is not a date such as 2026-01-31"),
        ("from=2026-03-02&to=2026-03-01", "from", "2026-03-02 is after the end of the period"),
        ("warehouse=XX", "warehouse", "no warehouse 'XX'"),
        ("category=food", "category", "this template's SKUs have no category field"),
        ("sku=A-1", "sku", "no such query parameter"),
        ("group=sku", "group", "no such query parameter"),
    ],
)
def test_bad_parameters_are_refused(api: Api, query: str, field: str, message: str) -> None:
    status, code, _, details = error(api.get(f"/api/v1/reports/dashboard?{query}"))
    assert (status, code) == (422, "validation_failed")
    assert details[0]["field"] == field
    assert details[0]["message"].startswith(message)


def test_the_dashboard_needs_a_token(api: Api) -> None:
    assert error(api.get("/api/v1/reports/dashboard", user=None))[:2] == (401, "unauthorized")
