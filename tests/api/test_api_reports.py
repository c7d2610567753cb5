"""GET /reports/…: figures as exact strings, the default period, refusals in the one error shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from api_client import Api, error

from stockform.stock.service import Stock

ZONE = ZoneInfo("Asia/Shanghai")  # the test shop's time zone


def shanghai_today() -> str:
    return datetime.now(UTC).astimezone(ZONE).date().isoformat()


@pytest.fixture
def sold(api: Api, stock: Stock) -> str:
    """C-3: 15 received today at 2.00 (30.00) and 5 sold through the API (COGS 10.00)."""
    today = shanghai_today()
    stock.create_sku(code="C-3", name="Plum")
    stock.receive("C-3", "SH", 15, unit_cost="2")
    lock = api.post(
        "/api/v1/locks", json={"sku": "C-3", "warehouse": "SH", "qty": "5", "reference": "o-1"}
    ).get_json()
    assert api.post(f"/api/v1/locks/{lock['id']}/consume").status_code == 200
    if shanghai_today() != today:
        pytest.skip("midnight passed in Shanghai while the test ran")
    return today


def test_turnover_of_a_sku(api: Api, sold: str) -> None:
    tomorrow = (datetime.fromisoformat(sold) + timedelta(days=1)).date().isoformat()
    response = api.get(f"/api/v1/reports/turnover?sku=C-3&from={sold}&to={tomorrow}")
    assert response.status_code == 200
    # Closing value 20.00 today and tomorrow: average 20.00; 10 / 20 = 0.5; 2 / 0.5 = 4 days.
    figures = {
        "cogs": "10",
        "average_inventory_value": "20",
        "turnover": "0.5000",
        "days_of_inventory": "4.00",
    }
    assert response.get_json() == {
        "from": sold,
        "to": tomorrow,
        "days": 2,
        "group": "sku",
        "items": [{"sku": "C-3", **figures}],
        "page": 1,
        "per_page": 50,
        "total": 1,
        "summary": figures,
    }


def test_the_default_period_is_the_last_30_days(api: Api, sold: str) -> None:
    body = api.get("/api/v1/reports/turnover?group=warehouse").get_json()
    assert (body["to"], body["days"]) == (sold, 30)
    # 20.00 on the last of 30 days: average 0.6667; 10 / (20 / 30) = 15; 30 / 15 = 2 days.
    assert body["items"] == [
        {
            "warehouse": "SH",
            "cogs": "10",
            "average_inventory_value": "0.6667",
            "turnover": "15.0000",
            "days_of_inventory": "2.00",
        }
    ]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-02-30", "from", "'2026-02-30' is not a date such as 2026-01-31"),
        ("to=yesterday", "to", "'yesterday' is not a date such as 2026-01-31"),
        ("from=2026-03-02&to=2026-03-01", "from", "2026-03-02 is after the end of the period"),
        ("from=2000-01-01&to=2026-01-01", "to", "a period has at most 3660 days, not 9498"),
        ("warehouse=XX", "warehouse", "no warehouse 'XX'"),
        ("group=category", "group", "'category' is not one of sku, warehouse"),
        ("category=food", "category", "this template's SKUs have no category field"),
        ("grup=sku", "grup", "no such query parameter (did you mean 'group'?)"),
    ],
)
def test_bad_parameters_are_refused(api: Api, query: str, field: str, message: str) -> None:
    status, code, _, details = error(api.get(f"/api/v1/reports/turnover?{query}"))
    assert (status, code) == (422, "validation_failed")
    assert details[0]["field"] == field
    assert details[0]["message"].startswith(message)


def test_reports_need_a_token(api: Api) -> None:
    assert error(api.get("/api/v1/reports/turnover", user=None))[:2] == (401, "unauthorized")


def test_every_report_answers_in_its_documented_shape(api: Api, sold: str) -> None:
    base = "/api/v1/reports"
    value = api.get(f"{base}/stock-value?from={sold}&to={sold}&sku=C-3").get_json()
    # Nothing before today; 15 in at 2.00, 5 sold: 10 left worth 20.00.
    assert value["items"] == [
        {
            "sku": "C-3",
            "opening_qty": "0",
            "opening_value": "0",
            "closing_qty": "10",
            "closing_value": "20",
            "sold_qty": "5",
            "cogs": "10",
        }
    ]
    ranked = api.get(f"{base}/abc").get_json()
    assert [(r["sku"], r["class"], r["share"]) for r in ranked["items"]] == [
        ("C-3", "A", "100.00"),
        ("A-1", "C", "0.00"),
        ("B-2", "C", "0.00"),
    ]
    assert ranked["counts"] == {"A": 1, "B": 0, "C": 2}
    aged = api.get(f"{base}/ageing?sku=C-3").get_json()
    assert aged["items"][0]["ages"]["0-30"] == {"qty": "10", "value": "20"}
    slow = api.get(f"{base}/slow-movers?days=1").get_json()
    # A-1 and B-2 never went out; C-3 went out today.
    assert [(r["sku"], r["days_without_out"]) for r in slow["items"]] == [
        ("A-1", None),
        ("B-2", None),
    ]
    outs = api.get(f"{base}/stock-outs?quantity=available").get_json()
    assert outs["quantity"] == "available"
    assert outs["items"] == []
    trend = api.get(f"{base}/stock-trend?from={sold}&to={sold}&warehouse=SH").get_json()
    assert trend["items"][0]["quantities"] == {"physical": "120", "sellable": "115"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("ageing?date=2026-13-01", "date"),
        ("slow-movers?days=0", "days"),
        ("stock-outs?quantity=colour", "quantity"),
        ("stock-trend?page=2", "page"),
    ],
)
def test_each_report_refuses_what_it_cannot_use(api: Api, path: str, field: str) -> None:
    status, code, _, details = error(api.get(f"/api/v1/reports/{path}"))
    assert (status, code, details[0]["field"]) == (422, "validation_failed", field)
