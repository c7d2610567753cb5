"""The dashboard page: its figures (the same as on the report pages they link to), four charts
drawn as inline SVG, filters, refusals explained on the page, who may see it, the landing page
after signing in, Chinese; the chart drawing snapshotted for fixed series."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from flask import Flask
from webclient import PASSWORD, Visitor, password_hash

from stockform.app import create_app
from stockform.documents import users
from stockform.paths import STARTERS
from stockform.rules.hooks import evaluate_all
from stockform.stock.service import Stock
from stockform.web.charts import bar_chart, line_chart

MakeVisitor = Callable[[str | None], Visitor]


@pytest.fixture
def sold(shop_app: Flask) -> None:
    """C-3 at BJ: 3 received at 1.2345 (3.7035), 1 sold, 1 locked: 2 left worth 2.469."""
    runtime = shop_app.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    stock.create_sku(code="C-3", name="Plum")
    stock.receive("C-3", "BJ", 3, unit_cost="1.2345")
    stock.consume(stock.lock("C-3", "BJ", 1).id)
    stock.lock("C-3", "BJ", 1)


def tiles(html: str) -> dict[str, tuple[str, str]]:
    """Each tile's title -> (its link, its figure)."""
    found = re.findall(
        r'<a href="([^"]*)"><span class="kpi-title">([^<]*)</span> '
        r'<strong class="kpi-value">([^<]*)</strong>',
        html,
    )
    return {title: (link.replace("&amp;", "&"), value) for link, title, value in found}


def total_cell(html: str, column: str) -> str:
    found = re.search(rf'<tr class="total">.*?data-label="{column}"[^>]*><strong>([^<]*)<', html)
    assert found, f"no total of {column}"
    return found.group(1)


def test_the_figures_and_their_links(visitor: MakeVisitor, sold: None) -> None:
    vic = visitor("vic")
    page = vic.get("/dashboard")
    assert page.status_code == 200
    shown = tiles(page.text)
    # 2 left at 1.2345; sellable 1 (the other is locked); one open lock worth 1.2345.
    assert shown["Physical stock value"][1] == "2.469"
    assert shown["Sellable stock value"][1] == "1.2345"
    assert shown["Open locks"] == ("/stock?where=locked+%3E+0", "1")
    assert "worth 1.2345" in page.text
    assert [shown[level][1] for level in ("Info", "Warning", "Critical")] == ["0", "0", "0"]
    # Each figure is the one on the report page the tile links to, with the same filters.
    link, value = shown["Physical stock value"]
    assert link.startswith("/reports/stock-value?from=")
    assert total_cell(vic.get(link).text, "Closing value") == value
    link, value = shown["Turnover"]
    assert total_cell(vic.get(link).text, "Turnover") == value
    link, value = shown["Days of inventory"]
    assert f"{total_cell(vic.get(link).text, 'Days of inventory')} days" == value


def test_filters_narrow_every_figure(visitor: MakeVisitor, sold: None) -> None:
    vic = visitor("vic")
    at_sh = tiles(vic.get("/dashboard?warehouse=SH").text)
    assert at_sh["Physical stock value"] == (
        at_sh["Physical stock value"][0],
        "0.00",  # A-1 and B-2 came in without a cost; C-3 is at BJ
    )
    assert "warehouse=SH" in at_sh["Physical stock value"][0]
    assert at_sh["Open locks"] == ("/stock?where=locked+%3E+0&warehouse=SH", "0")
    before = tiles(vic.get("/dashboard?from=2020-01-01&to=2020-01-31").text)
    assert before["Physical stock value"] == (
        "/reports/stock-value?from=2020-01-01&to=2020-01-31",
        "0.00",
    )
    assert before["Turnover"][1] == "—" and before["Days of inventory"][1] == "—"
    page = vic.get("/dashboard?warehouse=BJ").text
    assert '<option value="BJ" selected>' in page
    # No SKU filter: a sku in the query changes nothing.
    assert tiles(vic.get("/dashboard?sku=NOPE").text) == tiles(vic.get("/dashboard").text)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-02-30", "&#39;2026-02-30&#39; is not a date"),
        ("to=soon", "&#39;soon&#39; is not a date"),
        ("from=2026-03-02&to=2026-03-01", "2026-03-02 is after the end of the period"),
        ("from=2000-01-01&to=2026-01-01", "a period has at most 3660 days"),
        ("warehouse=XX", "no warehouse &#39;XX&#39;"),
        ("category=food", "this template&#39;s SKUs have no category field"),
    ],
)
def test_a_bad_filter_is_explained_on_the_page(
    visitor: MakeVisitor, query: str, message: str
) -> None:
    page = visitor("vic").get(f"/dashboard?{query}")
    assert page.status_code == 400
    assert message in page.text
    assert "<svg" not in page.text


def test_signing_in_lands_on_the_dashboard(visitor: MakeVisitor) -> None:
    guest = visitor(None)
    response = guest.get("/dashboard")
    assert response.headers["Location"] == "/login?next=/dashboard"
    guest.get("/login")
    assert (
        guest.post("/login", {"username": "vic", "password": PASSWORD}).headers["Location"]
        == "/dashboard"
    )
    # The start page with the forms stays where it was, and the top bar leads to both.
    home = guest.get("/").text
    assert 'href="/forms/sales_order/"' in home and 'href="/dashboard"' in home


def test_warnings_per_level_follow_the_readers_roles(shop_app: Flask, visitor: MakeVisitor) -> None:
    runtime = shop_app.extensions["stockform.runtime"]
    evaluate_all(runtime.engine, runtime.template)  # low stock: B-2 at SH, A-1 and B-2 at BJ
    counts = {
        name: tiles(visitor(name).get("/dashboard").text)["Warning"]
        for name in ("sam", "mia", "wes")
    }
    assert counts["mia"] == ("/warnings?level=warning", "3")  # manager: every warehouse
    assert counts["sam"][1] == "1"  # sales: notified at SH only
    assert counts["wes"][1] == "0"  # warehouse: not notified
    assert tiles(visitor("mia").get("/dashboard?warehouse=BJ").text)["Warning"] == (
        "/warnings?level=warning&warehouse=BJ",
        "2",
    )


@pytest.fixture
def retail(settings: dict[str, object]) -> Iterator[Flask]:
    """The retail starter (SKUs have categories): a mug and a tee received, one mug sold."""
    app = create_app({**settings, "TEMPLATE": str(STARTERS / "retail")})
    app.config["TESTING"] = True
    runtime = app.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    stock.create_sku(code="MUG", name="Mug", unit_cost="6", category="home")
    stock.create_sku(code="TEE", name="Tee", unit_cost="3", category="apparel")
    stock.receive("MUG", "SH", 10, unit_cost="6")
    stock.receive("TEE", "SH", 5, unit_cost="3")
    stock.consume(stock.lock("MUG", "SH", 2).id)
    with (
        runtime.engine.begin() as connection,
        mock.patch.object(users, "hash_password", lambda _password: password_hash()),
    ):
        users.add_user(connection, runtime.template, "root", ["admin"], PASSWORD)
    yield app
    runtime.engine.dispose()


def test_four_charts_each_named_for_screen_readers(retail: Flask) -> None:
    root = Visitor(retail.test_client())
    root.login("root")
    page = root.get("/dashboard").text
    charts = re.findall(
        r'<svg class="chart[^"]*" viewBox="[^"]*" role="img" aria-label="([^"]*)"', page
    )
    assert charts == [
        "Stock value by day",
        "Days of inventory by category",
        "Stock value by age",
        "The 10 slowest movers and the value they hold",
    ]
    # Sized by their viewBox and the page's CSS (width 100%), so they fit a phone.
    assert all(" width=" not in tag for tag in re.findall(r"<svg[^>]*>", page))
    # A bar per category with stock or sales, each with its figure in a <title>.
    assert "<title>Apparel: —</title>" in page  # nothing sold: no days of inventory
    assert re.search(r"<title>Home: [0-9.]+ days</title>", page)
    assert "<title>TEE · SH: 15.00</title>" in page  # never went out: a slow mover
    narrowed = root.get("/dashboard?category=apparel").text
    assert "<title>TEE · SH: 15.00</title>" in narrowed and "Home:" not in narrowed


def test_the_page_in_chinese(visitor: MakeVisitor, sold: None) -> None:
    vic = visitor("vic")
    vic.get("/locale/zh?next=/")
    page = vic.get("/dashboard").text
    for text in ("仪表板", "实物库存价值", "可售库存价值", "未结锁定", "每日库存价值", "2.469"):
        assert text in page, text


def test_the_charts_as_drawn(snapshot: Any) -> None:
    values = [Decimal(v) for v in ("10", "12.5", "9", "0", "15.25")]
    line = line_chart("Stock value by day", "2026-03-01", "2026-03-05", [("Value", values)])
    bars = bar_chart(
        "Days of inventory <by> category",
        [
            ("apparel", Decimal("12.5"), "12.5 days"),
            ("home", None, "—"),
            ("a category with a very long name indeed", Decimal("50"), "50 days"),
            ("returns", Decimal("-3"), "-3 days"),
        ],
    )
    # One element a line, so a change to the drawing shows as a readable diff.
    assert str(line).replace("><", ">\n<") == snapshot
    assert str(bars).replace("><", ">\n<") == snapshot


@pytest.mark.parametrize(
    ("drawn", "expected"),
    [
        (line_chart("t", "a", "b", [("v", [Decimal(1)])]), ""),  # one point: no line
        (line_chart("t", "a", "b", []), ""),
        (bar_chart("t", []), ""),
    ],
)
def test_nothing_to_draw_draws_nothing(drawn: Any, expected: str) -> None:
    assert str(drawn) == expected


def test_a_one_day_period_says_why_there_is_no_line(visitor: MakeVisitor) -> None:
    today = date.today().isoformat()
    page = visitor("vic").get(f"/dashboard?from={today}&to={today}").text
    assert "A period of one day has no line to draw." in page
