"""Retail starter pages: a check of a whole line (`checks: - per: line`) is refused beside that
line in the editor, and an order's page shows what its locks still hold after a count cut one."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from flask import Flask
from webclient import PASSWORD, Visitor, password_hash, text_of

from stockform.app import create_app
from stockform.documents import users
from stockform.documents.service import Documents
from stockform.documents.users import Actor
from stockform.paths import STARTERS
from stockform.stock.service import Stock

WAREHOUSE = Actor("wes", frozenset({"warehouse"}))
SALES = Actor("sam", frozenset({"sales"}))
MANAGER = Actor("mia", frozenset({"manager"}))


@pytest.fixture
def retail(settings: dict[str, object]) -> Iterator[Flask]:
    app = create_app({**settings, "TEMPLATE": str(STARTERS / "retail")})
    app.config["TESTING"] = True
    runtime = app.extensions["stockform.runtime"]
    Stock(runtime.engine, runtime.template, runtime.version_id).create_sku(
        code="MUG", name="Mug", unit_cost="6", category="home"
    )
    with (
        runtime.engine.begin() as connection,
        mock.patch.object(users, "hash_password", lambda _password: password_hash()),
    ):
        users.add_user(connection, runtime.template, "wes", ["warehouse"], PASSWORD)
    yield app
    runtime.engine.dispose()


def test_a_line_check_is_refused_beside_its_line(retail: Flask) -> None:
    runtime = retail.extensions["stockform.runtime"]
    docs = Documents(runtime.engine, runtime.template, runtime.version_id)
    doc = docs.create(
        "return",
        {"customer": "Mr Wu", "warehouse": "SH"},
        [{"sku": "MUG", "qty": "5"}, {"sku": "MUG", "qty": "2"}],
        WAREHOUSE,
    )
    doc = docs.act(doc.id, "receive", WAREHOUSE)
    visitor = Visitor(retail.test_client())
    visitor.login("wes")
    page = visitor.get(f"/forms/return/{doc.id}/edit").text
    keys = [k for k in page.split('name="lines" value="')[1:]]
    first, second = (k.split('"')[0] for k in keys[:2])
    data = {
        "lines": [first, second],
        f"line.{first}.id": str(doc.lines[0]["id"]),
        f"line.{first}.accepted": "3",
        f"line.{first}.rejected": "1",  # 3 + 1 is not the 5 returned
        f"line.{second}.id": str(doc.lines[1]["id"]),
        f"line.{second}.accepted": "2",
        f"line.{second}.rejected": "0",
    }
    response = visitor.post(f"/forms/return/{doc.id}/edit", data)
    assert response.status_code == 422
    message = "Accepted and rejected must add up to the quantity returned"  # the UI's locale
    assert message in text_of(response.text, f"r-{first}-info")
    assert message not in text_of(response.text, f"r-{second}-info")
    assert docs.get(doc.id).lines[0]["accepted"] == 5  # nothing was saved


def test_an_order_page_shows_what_its_locks_still_hold(retail: Flask) -> None:
    runtime = retail.extensions["stockform.runtime"]
    docs = Documents(runtime.engine, runtime.template, runtime.version_id)
    Stock(runtime.engine, runtime.template, runtime.version_id).receive("MUG", "SH", 50)
    order = docs.create(
        "sales_order",
        {"customer": "Ms Chen", "warehouse": "SH"},
        [{"sku": "MUG", "qty": "40"}],
        SALES,
    )
    order = docs.act(order.id, "submit", SALES)
    count = docs.create("stocktake", {"warehouse": "SH"}, [{"sku": "MUG"}], WAREHOUSE)
    count = docs.act(count.id, "start", WAREHOUSE)  # book 50: 10 available + 40 locked
    count = docs.update(count.id, WAREHOUSE, lines=[{"id": count.lines[0]["id"], "counted": "30"}])
    docs.act(count.id, "submit", WAREHOUSE)
    docs.act(count.id, "approve", MANAGER)  # a loss of 20: 10 available, 10 cut from the order
    visitor = Visitor(retail.test_client())
    visitor.login("wes")
    page = visitor.get(f"/forms/sales_order/{order.id}").text
    shown = text_of(page, "locks")
    # Line 1 still holds 30 of its 40, and its lock still expires (the order is unpaid).
    assert shown.startswith(
        "Locks Line SKU Warehouse Held Status Expires 1 MUG SH 30 of 40 active "
    )
    assert len(shown.split()) == 16  # ... and the expiry's date and time


def test_line_fields_show_their_help_in_the_column_heading(retail: Flask) -> None:
    visitor = Visitor(retail.test_client())
    visitor.login("wes")
    page = visitor.get("/forms/transfer/new").text
    assert "Defaults to what is still in transit" in text_of(page, "doc-form")
