"""What the retail tests share: the starter, its SKUs and people, a clock that tests move,
stock figures as one comparable map, and an API client speaking the one error shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from stockform.documents.service import Documents, DocumentView
from stockform.documents.users import Actor
from stockform.paths import STARTERS
from stockform.stock.service import Stock

RETAIL = STARTERS / "retail"

# Every figure a step asserts, in the order the README lists them.
FIGURES = (
    "available",
    "locked",
    "quarantine",
    "damaged",
    "in_transit",
    "expired",
    "physical",
    "sellable",
)

# A plain SKU, one with safety stock, an expensive one (orders over 10,000 and adjustments
# over 5,000) and a food SKU tracked by batch with expiry.
SKUS: list[dict[str, str]] = [
    {
        "code": "TEA-01",
        "name": "Green tea",
        "category": "home",
        "list_price": "120",
        "unit_cost": "60",
    },
    {
        "code": "MUG-1",
        "name": "Mug",
        "category": "home",
        "list_price": "20",
        "unit_cost": "5",
        "safety_stock": "10",
    },
    {
        "code": "TV-55",
        "name": "Television",
        "category": "electronics",
        "list_price": "6000",
        "unit_cost": "3000",
    },
    {"code": "MILK-1", "name": "Milk", "category": "food", "list_price": "8", "unit_cost": "4"},
]

# Users by name; managers come in threes so a creator plus two approvers exist.
USERS: dict[str, list[str]] = {
    "root": ["admin"],
    "sam": ["sales"],
    "sue": ["sales"],
    "wes": ["warehouse"],
    "mia": ["manager"],
    "max": ["manager"],
    "kim": ["manager"],
    "fay": ["finance"],
    "pat": ["purchasing"],
}
ACTORS = {name: Actor(name, frozenset(roles)) for name, roles in USERS.items()}
ADMIN, SALES, SALES2, WAREHOUSE = ACTORS["root"], ACTORS["sam"], ACTORS["sue"], ACTORS["wes"]
MANAGER, MANAGER2, MANAGER3 = ACTORS["mia"], ACTORS["max"], ACTORS["kim"]
FINANCE, PURCHASING = ACTORS["fay"], ACTORS["pat"]

# Expiry dates far from any clock, so no batch is ever too old to pick.
EARLY, LATE = "2099-06-30", "2099-12-31"


def expect(**figures: int | str) -> dict[str, Decimal]:
    """All the figures; those not named are 0."""
    unknown = set(figures) - set(FIGURES)
    assert not unknown, f"not a figure: {unknown}"
    return {name: Decimal(figures.get(name, 0)) for name in FIGURES}


def figures_at(stock: Stock, sku: str, warehouse: str, batch: str | None = None) -> dict[str, Any]:
    """The figures of a SKU at a warehouse (or of one batch there)."""
    if batch is None:
        row = stock.row(sku, warehouse)
    else:
        rows = stock.query(sku=sku, warehouse=warehouse, level="batch", per_page=1000).items
        found = [r for r in rows if r.batch == batch]
        assert len(found) == 1, f"batch {batch} of {sku} at {warehouse}: {rows}"
        row = found[0]
    values = {**row.buckets, **row.quantities}
    return {name: values.get(name, Decimal(0)) for name in FIGURES}


class Clock:
    """Business time that a test moves forward; documents and sweeps read it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


START = datetime(2030, 3, 1, 2, 0, tzinfo=UTC)


def line(sku: str, qty: int | None = None, **more: str) -> dict[str, Any]:
    """A document line; quantities go as text, as a form sends them."""
    return {"sku": sku, **({} if qty is None else {"qty": str(qty)}), **more}


def tea(qty: int) -> dict[str, Any]:
    return line("TEA-01", qty)


def milk(qty: int, **more: str) -> dict[str, Any]:
    return line("MILK-1", qty, **more)


def receive(docs: Documents, warehouse: str, *lines: dict[str, Any]) -> DocumentView:
    """A confirmed receipt of lines at warehouse (taken by the warehouse role)."""
    draft = docs.create("receipt", {"warehouse": warehouse}, list(lines), WAREHOUSE)
    done = docs.act(draft.id, "confirm", WAREHOUSE)
    assert done.state == "received"
    return done


def order(
    docs: Documents, *lines: dict[str, Any], warehouse: str = "SH", actor: Actor = SALES
) -> DocumentView:
    """A draft sales order."""
    return docs.create(
        "sales_order", {"customer": "Ms Chen", "warehouse": warehouse}, list(lines), actor
    )


def line_ids(view: DocumentView) -> list[int]:
    return [line["id"] for line in view.lines]


@dataclass(frozen=True)
class ApiError:
    status: int
    code: str
    message: str
    details: list[Any]


class RetailApi:
    """The Flask test client with a bearer token per user of USERS."""

    def __init__(self, app: Flask, tokens: dict[str, str]) -> None:
        self.client = app.test_client()
        self.tokens = tokens

    def request(
        self, method: str, path: str, user: str, json: Any = None, **headers: str
    ) -> TestResponse:
        sent = {"Authorization": f"Bearer {self.tokens[user]}", **headers}
        response = self.client.open(path, method=method, headers=sent, json=json)
        assert response.mimetype == "application/json", response.get_data(as_text=True)
        return response

    def ok(self, method: str, path: str, user: str, json: Any = None, status: int = 200) -> Any:
        response = self.request(method, path, user, json)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def error(self, method: str, path: str, user: str, json: Any = None) -> ApiError:
        """A refused request, read through the one error shape (nothing else in it)."""
        response = self.request(method, path, user, json)
        body = response.get_json()
        assert response.status_code >= 400, body
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"code", "message", "details"}, body
        error = body["error"]
        return ApiError(response.status_code, error["code"], error["message"], error["details"])

    # -- documents
    def create(
        self, form: str, user: str, fields: dict[str, Any], lines: list[dict[str, Any]]
    ) -> Any:
        return self.ok(
            "POST", f"/api/v1/documents/{form}", user, {"fields": fields, "lines": lines}, 201
        )

    def act(self, form: str, doc_id: int, action: str, user: str) -> Any:
        return self.ok("POST", f"/api/v1/documents/{form}/{doc_id}/actions/{action}", user)

    def refuse_action(self, form: str, doc_id: int, action: str, user: str) -> ApiError:
        return self.error("POST", f"/api/v1/documents/{form}/{doc_id}/actions/{action}", user)

    def patch_lines(self, form: str, doc_id: int, user: str, lines: list[dict[str, Any]]) -> Any:
        return self.ok("PATCH", f"/api/v1/documents/{form}/{doc_id}", user, {"lines": lines})

    def document(self, form: str, doc_id: int, user: str = "root") -> Any:
        return self.ok("GET", f"/api/v1/documents/{form}/{doc_id}", user)

    # -- stock
    def figures(self, sku: str, warehouse: str, user: str = "root") -> dict[str, Decimal]:
        """GET /api/v1/stock?sku=&warehouse=: the seven figures as exact decimals."""
        page = self.ok("GET", f"/api/v1/stock?sku={sku}&warehouse={warehouse}", user)
        assert page["total"] == len(page["items"]) == 1, page
        row = page["items"][0]
        assert (row["sku"], row["warehouse"]) == (sku, warehouse)
        assert set(row["buckets"]) == set(FIGURES[:6])
        assert set(row["quantities"]) == set(FIGURES[6:])
        values = {**row["buckets"], **row["quantities"]}
        return {name: Decimal(values[name]) for name in FIGURES}

    def locks(self, user: str = "root", **query: str) -> list[dict[str, Any]]:
        text = "&".join(f"{k}={v}" for k, v in query.items())
        return list(self.ok("GET", f"/api/v1/locks?{text}", user)["items"])


# The walk-through every newcomer takes, TEA-01 at SH after each step (engine and API alike).
TOUR = {
    "receive 100": expect(available=100, physical=100, sellable=100),
    "order 30 submitted": expect(available=70, locked=30, physical=100, sellable=70),
    "return of 5 received": expect(
        available=70, locked=30, quarantine=5, physical=105, sellable=70
    ),
    "inspected: 3 accepted, 2 rejected": expect(
        available=73, locked=30, damaged=2, physical=105, sellable=73
    ),
    "order paid and shipped": expect(available=73, damaged=2, physical=75, sellable=73),
}

# The retail starter's messages are in its first locale, Chinese.
RETURN_SUM = "合格与不合格数量之和必须等于退货数量"  # accepted + rejected must add up to qty
TWO_WAREHOUSES = "调出仓与调入仓不能相同"  # a transfer needs two different warehouses
