"""The replenishment page on the retail starter: the plan's rows and transfers as the core
computes them, filters, draft documents from the checked rows (or every suggestion), refusals
as messages, who sees the page, and applying a suggested safety stock."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from flask import Flask
from syrupy.assertion import SnapshotAssertion
from webclient import PASSWORD, Visitor, password_hash, text_of
from werkzeug.serving import make_server

from stockform.app import create_app
from stockform.documents import users
from stockform.documents.errors import Forbidden
from stockform.documents.service import Documents
from stockform.documents.users import Actor
from stockform.documents.validate import FieldError, ValidationFailed
from stockform.paths import STARTERS
from stockform.rules.replenishment import Filter, Plan, plan
from stockform.stock.service import Stock
from stockform.web import replenishment as replenishment_page

MakeVisitor = Callable[[str | None], Visitor]
ROOT = Actor("root", frozenset({"admin"}))
USERS = {
    "root": ["admin"],
    "pat": ["purchasing"],  # creates receipts and transfers
    "wes": ["warehouse"],  # so does the warehouse
    "sam": ["sales"],  # reads receipts and transfers only
    "fay": ["finance"],
}


def stock_the_retail_shop(app: Flask) -> None:
    """PEN: none anywhere, min 10, max 50 (an order of 50 at each warehouse). MUG: 300 at BJ,
    none at SH, min 10, max 100, 9 sold at BJ today (a transfer BJ → SH). Users per role."""
    runtime = app.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    common = {"category": "home", "lead_time_days": 7, "min_stock": "10"}
    stock.create_sku(code="PEN", name="Pen", max_stock="50", **common)
    stock.create_sku(code="MUG", name="Mug", max_stock="100", safety_stock="3", **common)
    stock.receive("MUG", "BJ", 300, unit_cost="6")
    stock.consume(stock.lock("MUG", "BJ", 9).id)
    with (
        runtime.engine.begin() as connection,
        mock.patch.object(users, "hash_password", lambda _password: password_hash()),
    ):
        for name, roles in USERS.items():
            users.add_user(connection, runtime.template, name, roles, PASSWORD)


@pytest.fixture
def retail_settings(settings: dict[str, object]) -> dict[str, object]:
    return {**settings, "TEMPLATE": str(STARTERS / "retail")}


@pytest.fixture
def retail(retail_settings: dict[str, object]) -> Iterator[Flask]:
    app = create_app(retail_settings)
    app.config["TESTING"] = True
    stock_the_retail_shop(app)
    yield app
    app.extensions["stockform.runtime"].engine.dispose()


@pytest.fixture
def visit(retail: Flask) -> MakeVisitor:
    def make(username: str | None) -> Visitor:
        found = Visitor(retail.test_client())
        if username:
            found.login(username)
        return found

    return make


def planned(app: Flask, which: Filter | None = None, needing_action: bool = True) -> Plan:
    runtime = app.extensions["stockform.runtime"]
    with runtime.engine.connect() as connection:
        now = datetime.now(UTC)
        return plan(connection, runtime.template, now, which or Filter(), needing_action)


def rows(html: str) -> list[tuple[str, str]]:
    """(SKU, warehouse) of every suggestion row on the page."""
    return re.findall(
        r'<tr id="row-\d+"[^>]*>\s*<td data-label="SKU"><b>([^<]*)</b>.*?</td>\s*'
        r'<td data-label="Warehouse">([^<]*)</td>',
        html,
        re.S,
    )


def drafts_form(html: str) -> dict[str, str]:
    """What the browser sends of the #drafts form's inputs, before any box is checked."""
    inputs = re.findall(
        r'<input(?: type="hidden")? form="drafts" name="([^"]+)" value="([^"]*)"', html
    )
    return dict(inputs)


def picks(html: str) -> dict[tuple[str, str, str | None], str]:
    """The key of every pick on the page by (SKU, warehouse, source warehouse or None)."""
    inputs = drafts_form(html)
    return {
        (inputs[f"sku.{key}"], inputs[f"warehouse.{key}"], inputs.get(f"from.{key}")): key
        for key in re.findall(r'name="pick" value="(\w+)"', html)
    }


def documents_of(app: Flask) -> Documents:
    runtime = app.extensions["stockform.runtime"]
    return Documents(runtime.engine, runtime.template, runtime.version_id)


def test_the_page_shows_every_row_of_the_plan(retail: Flask, visit: MakeVisitor) -> None:
    page = visit("pat").get("/replenishment")
    assert page.status_code == 200
    expected = planned(retail)
    assert rows(page.text) == [(s.sku, s.warehouse) for s in expected.suggestions]
    assert ("PEN", "SH") in rows(page.text) and ("PEN", "BJ") in rows(page.text)
    for number, suggestion in enumerate(expected.suggestions, start=1):
        row = text_of(page.text, f"row-{number}")
        assert f"{suggestion.reorder_point.normalize():f}" in row
    transfers = [(t.sku, t.from_warehouse, t.to_warehouse) for t in expected.transfers]
    assert transfers == [("MUG", "BJ", "SH")]
    assert "MUG BJ SH" in text_of(page.text, "transfers")


def test_a_row_as_the_page_draws_it(visit: MakeVisitor, snapshot: SnapshotAssertion) -> None:
    """MUG at SH: 100 to transfer in, a suggested safety stock that is not the SKU's 3
    (marked), the position's parts, and nothing to order (the transfer covers it)."""
    page = visit("pat").get("/replenishment?sku=MUG&warehouse=SH").text
    found = re.search(r'<tr id="row-1".*?</tr>', page, re.S)
    assert found
    assert found.group(0) == snapshot


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", [("PEN", "SH"), ("PEN", "BJ"), ("MUG", "SH")]),
        ("?warehouse=SH", [("PEN", "SH"), ("MUG", "SH")]),
        ("?sku=PEN", [("PEN", "SH"), ("PEN", "BJ")]),
        ("?category=food", []),
        ("?needs_action=0&needs_action=1", [("PEN", "SH"), ("PEN", "BJ"), ("MUG", "SH")]),
        # Unchecked, the box sends only its hidden 0: the rows needing nothing show too.
        ("?needs_action=0&sku=MUG", [("MUG", "SH"), ("MUG", "BJ")]),
    ],
)
def test_filters_choose_the_rows(
    visit: MakeVisitor, query: str, shown: list[tuple[str, str]]
) -> None:
    page = visit("pat").get("/replenishment" + query).text
    assert sorted(rows(page)) == sorted(shown)


def test_a_filter_the_core_refuses_is_explained_on_the_page(visit: MakeVisitor) -> None:
    page = visit("pat").get("/replenishment?warehouse=XX")
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "XX" in page.text
    assert "Traceback" not in page.text


def test_checked_rows_become_a_draft_document(retail: Flask, visit: MakeVisitor) -> None:
    pat = visit("pat")
    page = pat.get("/replenishment").text
    key = picks(page)[("PEN", "SH", None)]
    sent = {**drafts_form(page), "pick": key, f"qty.{key}": "40", "next": "/replenishment"}
    done = pat.post("/replenishment/drafts", sent)
    assert done.status_code == 302
    found = re.fullmatch(r"/forms/receipt/(\d+)", done.headers["Location"])
    assert found, done.headers["Location"]
    document = documents_of(retail).get(int(found.group(1)))
    assert (document.form, document.state, document.fields["warehouse"]) == (
        "receipt",
        "draft",
        "SH",
    )
    assert [(line["sku"], line["qty"]) for line in document.lines] == [("PEN", Decimal("40"))]
    landed = pat.get(done.headers["Location"]).text
    assert "Draft documents created:" in landed and document.number in landed


def test_a_checked_transfer_becomes_a_transfer_draft(retail: Flask, visit: MakeVisitor) -> None:
    pat = visit("pat")
    page = pat.get("/replenishment").text
    key = picks(page)[("MUG", "SH", "BJ")]
    done = pat.post("/replenishment/drafts", {**drafts_form(page), "pick": key, f"qty.{key}": "12"})
    found = re.fullmatch(r"/forms/transfer/(\d+)", done.headers["Location"])
    assert found, done.headers["Location"]
    document = documents_of(retail).get(int(found.group(1)))
    assert (document.fields["from_warehouse"], document.fields["to_warehouse"]) == ("BJ", "SH")
    assert [(line["sku"], line["qty"]) for line in document.lines] == [("MUG", Decimal("12"))]


def test_drafts_for_every_suggestion(retail: Flask, visit: MakeVisitor) -> None:
    pat = visit("pat")
    done = pat.post("/replenishment/drafts", {"all": "1", "next": "/replenishment"})
    assert done.headers["Location"] == "/replenishment"
    page = pat.get("/replenishment").text
    links = re.findall(r'<a href="/forms/(receipt|transfer)/(\d+)">', page)
    # One order per warehouse (PEN at SH and BJ, MUG at SH if the transfer leaves it short)
    # and one transfer BJ → SH.
    docs = documents_of(retail)
    made = [docs.get(int(doc_id)) for _form, doc_id in links]
    assert {d.form for d in made} == {"receipt", "transfer"}
    assert all(d.state == "draft" for d in made)
    ordered = {
        (d.fields["warehouse"], line["sku"])
        for d in made
        if d.form == "receipt"
        for line in d.lines
    }
    assert {("SH", "PEN"), ("BJ", "PEN")} <= ordered


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Nothing to draft: check a suggestion first."),
        (
            {"pick": "x1", "sku.x1": "PEN", "warehouse.x1": "SH", "qty.x1": "lots"},
            "is not a quantity above 0",
        ),
        (
            {"pick": "x1", "sku.x1": "PEN", "warehouse.x1": "SH", "qty.x1": "-2"},
            "is not a quantity above 0",
        ),
        ({"pick": "x1", "sku.x1": "NOPE", "warehouse.x1": "SH", "qty.x1": "1"}, "NOPE"),
        ({"pick": "x1", "sku.x1": "PEN", "warehouse.x1": "XX", "qty.x1": "1"}, "XX"),
        (
            {"pick": "x1", "sku.x1": "PEN", "warehouse.x1": "SH", "qty.x1": "1.5"},
            "pick 1: 1.5 is finer than this SKU allows (whole units)",
        ),
        (
            {"pick": "x1", "sku.x1": "MUG", "warehouse.x1": "SH", "from.x1": "SH", "qty.x1": "1"},
            "pick 1: a transfer needs two different warehouses",
        ),
    ],
)
def test_refusals_come_back_as_messages(
    retail: Flask, visit: MakeVisitor, form: dict[str, str], message: str
) -> None:
    pat = visit("pat")
    done = pat.post("/replenishment/drafts", {**form, "next": "/replenishment?sku=PEN"})
    assert done.status_code == 302 and done.headers["Location"] == "/replenishment?sku=PEN"
    page = pat.get(done.headers["Location"]).text
    flashed = re.findall(r'<p class="flash" role="status">([^<]*)</p>', page)
    assert len(flashed) == 1 and message in flashed[0].replace("&#39;", "'"), flashed
    assert documents_of(retail).search("receipt", ROOT)[1] == 0  # nothing was drafted


@pytest.mark.parametrize(
    ("refusal", "message"),
    [
        (
            ValidationFailed([FieldError("qty", "must be at least 0.001", 1)]),
            "line 1, qty: must be at least 0.001",
        ),
        (Forbidden("your roles may not create receipt documents"), "your roles may not create"),
    ],
)
def test_a_refusal_of_the_documents_is_a_message(
    visit: MakeVisitor, monkeypatch: pytest.MonkeyPatch, refusal: Exception, message: str
) -> None:
    def refuse(*_args: object) -> None:
        raise refusal

    monkeypatch.setattr(replenishment_page, "draft_documents", refuse)
    pat = visit("pat")
    pat.post("/replenishment/drafts", {"all": "1"})
    flashed = re.findall(r'<p class="flash" role="status">([^<]*)</p>', pat.get("/").text)
    assert len(flashed) == 1 and message in flashed[0], flashed


def test_rows_past_the_cap_are_counted_not_drawn(
    visit: MakeVisitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replenishment_page, "MAX_ROWS_SHOWN", 2)
    page = visit("pat").get("/replenishment").text
    assert len(rows(page)) == 2
    assert "3 rows — showing the first 2; 1 more not shown" in page


@pytest.mark.parametrize(
    ("user", "status", "linked"),
    [
        ("root", 200, True),
        ("pat", 200, True),
        ("wes", 200, True),
        ("sam", 403, False),
        ("fay", 403, False),
    ],
)
def test_who_sees_the_page(visit: MakeVisitor, user: str, status: int, linked: bool) -> None:
    visitor = visit(user)
    assert visitor.get("/replenishment").status_code == status
    assert ('href="/replenishment"' in visitor.get("/").text) is linked
    refused = visitor.post("/replenishment/drafts", {"all": "1"})
    assert refused.status_code == (302 if linked else 403)


def test_the_page_needs_a_signed_in_user(visit: MakeVisitor) -> None:
    response = visit(None).get("/replenishment")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_admin_applies_a_suggested_safety_stock(retail: Flask, visit: MakeVisitor) -> None:
    runtime = retail.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template)
    root = visit("root")
    page = root.get("/replenishment?sku=MUG&needs_action=0").text
    assert 'action="/replenishment/safety-stock"' in page  # MUG's own 3 is not the suggestion
    assert 'onsubmit="return confirm(this.dataset.confirm)"' in page
    done = root.post(
        "/replenishment/safety-stock",
        {"sku": "MUG", "value": "7.5", "next": "/replenishment?sku=MUG"},
    )
    assert done.headers["Location"] == "/replenishment?sku=MUG"
    assert stock.sku("MUG")["safety_stock"] == Decimal("7.5")
    assert "Safety stock of MUG set to 7.5." in root.get("/replenishment").text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "is not a safety stock"),
        ("many", "is not a safety stock"),
        ("7,5", "is not a safety stock"),  # never 75
    ],
)
def test_a_bad_safety_stock_is_refused_with_a_message(
    retail: Flask, visit: MakeVisitor, value: str, message: str
) -> None:
    root = visit("root")
    root.post("/replenishment/safety-stock", {"sku": "MUG", "value": value})
    assert message in root.get("/replenishment").text
    runtime = retail.extensions["stockform.runtime"]
    assert Stock(runtime.engine, runtime.template).sku("MUG")["safety_stock"] == Decimal("3")


def test_only_admins_apply_a_safety_stock(retail: Flask, visit: MakeVisitor) -> None:
    pat = visit("pat")
    assert (
        'action="/replenishment/safety-stock"' not in pat.get("/replenishment?needs_action=0").text
    )
    refused = pat.post("/replenishment/safety-stock", {"sku": "MUG", "value": "7"})
    assert refused.status_code == 403
    runtime = retail.extensions["stockform.runtime"]
    assert Stock(runtime.engine, runtime.template).sku("MUG")["safety_stock"] == Decimal("3")


def test_the_page_in_chinese(visit: MakeVisitor) -> None:
    pat = visit("pat")
    pat.get("/locale/zh")
    page = pat.get("/replenishment").text
    assert "<h1>补货</h1>" in page and "生成草稿单据" in page and "建议调拨" in page


@pytest.fixture
def retail_server(retail_settings: dict[str, object]) -> Iterator[str]:
    """The stocked retail shop on a free port of this machine, in a thread."""
    app = create_app(retail_settings)
    stock_the_retail_shop(app)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()
    app.extensions["stockform.runtime"].engine.dispose()


@pytest.mark.browser
def test_one_click_from_a_suggestion_to_its_draft(chromium: Any, retail_server: str) -> None:
    context = chromium.new_context(base_url=retail_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "pat")
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.click("nav >> text=Replenishment")
    page.get_by_label("Order PEN for SH").check()
    page.get_by_role("button", name="Create draft documents", exact=True).click()
    page.wait_for_url(re.compile(r"/forms/receipt/[0-9]+$"))
    assert "Draft documents created:" in page.text_content("main")
    assert "PEN" in page.text_content("main")
    context.close()
