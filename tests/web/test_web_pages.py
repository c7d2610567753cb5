"""Pages around the forms: the start page, the document list, error pages, languages, assets."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from webclient import Visitor, text_of

from stockform.web import stock as stock_page
from stockform.web.listing import PER_PAGE

MakeVisitor = Callable[[str | None], Visitor]


def save_order(user: Visitor, warehouse: str = "SH", qty: str = "1") -> str:
    data = {
        "field.customer": "Bob",
        "field.warehouse": warehouse,
        "lines": "k1",
        "line.k1.sku": "A-1",
        "line.k1.qty": qty,
    }
    response = user.post("/forms/sales_order/new", data)
    assert response.status_code == 302, response.text
    return str(response.headers["Location"])


def numbers(html: str) -> list[str]:
    return re.findall(r'<td data-label="Number"><a href="[^"]+">([^<]+)</a>', html)


def test_the_start_page_lists_the_forms_a_user_may_use(visitor: MakeVisitor) -> None:
    html = visitor("vic").get("/").text
    assert "Sales order" in html and "Customer return" not in html
    assert 'href="/forms/sales_order/new"' not in html  # read only
    assert 'href="/forms/return/new"' in visitor("sam").get("/").text


def test_the_list_searches_and_filters(visitor: MakeVisitor) -> None:
    root = visitor("root")
    first = save_order(root)
    save_order(root, warehouse="BJ")
    root.post(first + "/act", {"transition": "submit"})
    every = numbers(root.get("/forms/sales_order/").text)
    assert len(every) == 2 and every[0].endswith("0002")  # newest first
    assert numbers(root.get("/forms/sales_order/?state=approved").text) == [every[1]]
    assert numbers(root.get("/forms/sales_order/?warehouse=BJ").text) == [every[0]]
    assert numbers(root.get("/forms/sales_order/?number=0001").text) == [every[1]]
    assert numbers(root.get("/forms/sales_order/?number=so-").text) == every
    today = date.today()
    around = f"since={today - timedelta(days=1)}&until={today + timedelta(days=1)}"
    assert numbers(root.get(f"/forms/sales_order/?{around}").text) == every
    later = f"since={today + timedelta(days=2)}"
    assert numbers(root.get(f"/forms/sales_order/?{later}").text) == []
    bad = root.get("/forms/sales_order/?since=yesterday").text
    assert "yesterday is not a date like 2026-01-31" in bad


def test_the_list_is_paginated(visitor: MakeVisitor) -> None:
    root = visitor("root")
    for _ in range(PER_PAGE + 1):
        save_order(root)
    first = root.get("/forms/sales_order/").text
    assert len(numbers(first)) == PER_PAGE and "Page 1 of 2" in first
    second = root.get("/forms/sales_order/?page=2").text
    assert numbers(second) == [numbers(first)[-1][:-4] + "0001"]
    assert 'href="?page=1" rel="prev"' in second


def test_an_unknown_address_gets_a_friendly_404(visitor: MakeVisitor) -> None:
    response = visitor("sam").get("/no/such/page")
    assert response.status_code == 404
    assert text_of(response.text, "main").startswith("404 Not found")


def test_a_crash_shows_a_friendly_500_without_a_stack_trace(
    visitor: MakeVisitor, shop_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr(stock_page, "query_stock", broken)
    shop_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = visitor("vic").get("/stock")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "caught fire" not in response.text and "Traceback" not in response.text


def test_a_wrong_method_is_a_friendly_405(visitor: MakeVisitor) -> None:
    response = visitor("sam").get("/logout")
    assert response.status_code == 405
    assert "Not allowed here" in response.text


def test_chinese_is_switched_on_remembered_and_labels_come_from_the_template(
    visitor: MakeVisitor,
) -> None:
    sam = visitor("sam")
    switched = sam.get("/locale/zh?next=/forms/sales_order/new")
    assert switched.headers["Location"] == "/forms/sales_order/new"
    page = sam.get("/forms/sales_order/new").text
    assert '<html lang="zh-CN">' in page
    assert "新建 · 销售订单" in page  # UI string, then the template's zh label
    assert "SH — 上海" in page and "扫描或输入编码，然后按回车" in page
    assert "Customer" in page  # a field without a zh label keeps its only text
    assert "销售订单" in sam.get("/").text  # remembered
    sam.get("/locale/en?next=/")
    assert "Sales order" in sam.get("/").text


def test_the_browser_language_is_the_default(visitor: MakeVisitor) -> None:
    guest = visitor(None)
    assert "登录" in guest.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "Sign in" in guest.get("/login", headers={"Accept-Language": "fr"}).text


def test_an_unknown_language_is_ignored(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    sam.get("/locale/xx?next=/")
    assert "Sign out" in sam.get("/").text


def test_assets_are_served_by_the_app_itself(visitor: MakeVisitor) -> None:
    guest = visitor(None)
    htmx = guest.get("/vendor/htmx.min.js")
    assert htmx.status_code == 200 and htmx.mimetype == "text/javascript"
    assert b'version:"2.' in htmx.data
    for asset in ("/assets/css/stockform.css", "/assets/js/stockform.js"):
        with guest.client.get(asset) as response:
            assert response.status_code == 200
    page = visitor("sam").get("/forms/sales_order/new").text
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from another host
