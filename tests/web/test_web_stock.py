"""The stock page: every SKU x warehouse, filtered and ordered by any bucket or quantity,
searched by code, name or barcode; a bad expression's message on the page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from webclient import Visitor, text_of

MakeVisitor = Callable[[str | None], Visitor]


def rows(html: str) -> list[tuple[str, str, str]]:
    """(SKU, warehouse, sellable) of each row shown."""
    found = re.findall(
        r'<td data-label="SKU">([^<]*)</td>.*?<td data-label="Warehouse">([^<]*)</td>'
        r'.*?class="num q-sellable">([^<]*)</td>',
        html,
        re.S,
    )
    return [(a, b, c) for a, b, c in found]


def test_every_sku_and_warehouse_with_buckets_and_quantities(visitor: MakeVisitor) -> None:
    html = visitor("vic").get("/stock").text
    assert rows(html) == [
        ("A-1", "BJ", "0"),
        ("A-1", "SH", "95"),
        ("B-2", "BJ", "0"),
        ("B-2", "SH", "10"),
    ]
    for heading in ("Available", "Locked", "Quarantine", "Damaged", "Physical", "Sellable"):
        assert f">{heading}</a>" in html
    assert '<td data-label="Name">Apple</td>' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("where=sellable+>+0", [("A-1", "SH", "95"), ("B-2", "SH", "10")]),
        ("where=sellable+>+0&order=-physical", [("A-1", "SH", "95"), ("B-2", "SH", "10")]),
        ("where=sellable+>+0&order=sellable", [("B-2", "SH", "10"), ("A-1", "SH", "95")]),
        ("where=available+<+50+and+physical+>+0", [("B-2", "SH", "10")]),
        ("warehouse=SH&order=-sku.code", [("B-2", "SH", "10"), ("A-1", "SH", "95")]),
        ("q=pear", [("B-2", "BJ", "0"), ("B-2", "SH", "10")]),
        ("q=6901&warehouse=SH", [("A-1", "SH", "95")]),
        ("q=a-1&where=sellable+>+0", [("A-1", "SH", "95")]),
        ("q=nothing-like-this", []),
    ],
)
def test_filter_order_and_search(
    visitor: MakeVisitor, query: str, expected: list[tuple[str, str, str]]
) -> None:
    response = visitor("vic").get(f"/stock?{query}")
    assert response.status_code == 200
    assert rows(response.text) == expected


def test_a_column_heading_orders_by_it_then_the_other_way(visitor: MakeVisitor) -> None:
    html = visitor("vic").get("/stock?order=sellable").text
    assert '<a href="?order=-sellable">Sellable ▲</a>' in html
    assert '<a href="?order=physical">Physical</a>' in html


@pytest.mark.parametrize(
    ("query", "message", "caret"),
    [
        ("where=selable+>+1", "Where: unknown name 'selable' (did you mean 'sellable'?)", "^"),
        ("where=sellable+<", "Where: the expression ends too early", "          ^"),
        ("where=sellable+%2B+1", "Where: 'sellable + 1' is not a condition", "^"),
        ("q=apple&where=selable+>+1", "Where: unknown name 'selable' (did you mean", "^"),
        ("order=colour", "Order by: unknown name 'colour'", None),
    ],
)
def test_a_bad_expression_is_explained_on_the_page(
    visitor: MakeVisitor, query: str, message: str, caret: str | None
) -> None:
    response = visitor("vic").get(f"/stock?{query}")
    assert response.status_code == 400
    assert text_of(response.text, "problem").startswith(message)
    if caret is not None:
        pre = re.search(r'<pre class="code">(.*?)</pre>', response.text, re.S)
        assert pre is not None and pre.group(1).split("\n")[1] == caret
    assert 'aria-invalid="true"' in response.text
