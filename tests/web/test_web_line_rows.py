"""The editor's lines, drawn in Python (`web/linerows.py`, `web/widgets.py`): the markup of a
cell of every field type pinned by golden files (recorded from the Jinja macros they replace),
the same rows in the page and in the htmx partials, and every value escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from markupsafe import Markup, escape
from webclient import PASSWORD, Visitor

from stockform.app import create_app
from stockform.documents.service import Documents
from stockform.documents.users import Actor, add_user
from stockform.stock.service import Stock
from stockform.web.widgets import esc

HOSTILE = "\"><script>alert('x')</script>&amp;"
TEMPLATE = """
template: {id: kinds, name: Kinds, version: 1, format: 1, locales: [en, zh], timezone: UTC}
warehouses:
  MAIN: {name: {en: "Main <&> \\"wh\\"", zh: 主仓}}
  NORTH: {name: North}
sku:
  tracking: {batches: true}
  fields:
    list_price: {type: money, default: 0}
stock:
  buckets: {available: {}, locked: {}}
  quantities:
    physical: available + locked
    sellable: {expr: available, label: {en: "Sellable <now>", zh: 可售}}
roles:
  clerk: {forms: all, warehouses: [MAIN]}
forms:
  target:
    label: Target
    fields:
      name: {type: text}
  kinds:
    label: Kinds
    fields:
      warehouse: {type: warehouse, required: true}
    lines:
      sku: {type: sku, required: true, input: scan, label: {en: "SKU <&>", zh: 货品}}
      qty: {type: decimal, required: true, min: 1}
      price: {type: money, default: sku.list_price}
      amount: {type: money, compute: qty * price}
      cnt: {type: integer}
      txt: {type: text, max_length: 50}
      area: {type: textarea}
      day: {type: date}
      at: {type: datetime}
      yes: {type: boolean}
      pick: {type: choice, options: [red, {value: "b\\"l<ue", label: {en: "Blue <&>", zh: 蓝}}]}
      must: {type: choice, required: true, options: [x, y], default: x}
      many: {type: multi_choice, options: [a, "b<", c]}
      wh: {type: warehouse}
      batch: {type: batch, show_if: qty > 2}
      who: {type: user}
      link: {type: link, form: target}
      code: {type: barcode}
      fixed: {type: text, readonly: true, default: "fixed&"}
      double: {type: decimal, compute: qty * 2}
    totals:
      total: sum(lines.amount)
    workflow: flow
workflows:
  flow:
    initial: open
    states:
      open: {editable: all}
      part: {editable: [qty, txt]}
    transitions:
      half: {from: open, to: part}
"""
HTMX = {"HX-Request": "true"}
# A save refused line by line: a wrong number, a long text, unknown codes, an unknown choice.
REFUSED = {
    "field.warehouse": "MAIN",
    "lines": ["k1", "k2", "k3"],
    "line.k1.sku": "A-1",
    "line.k1.qty": "x<y",
    "line.k1.txt": "a" * 60,
    "line.k1.pick": "zz",
    "line.k2.sku": HOSTILE,
    "line.k2.qty": "0",
    "line.k2.wh": "NOPE<",
    "line.k3.sku": 'Q"<s>',
    "line.k3.qty": "2",
    "line.k3.many": ["c"],
    "line.k3.yes": ["false", "true"],
}


@dataclass
class Kinds:
    app: Flask
    open: int  # a document whose lines are all editable
    part: int  # one in a state where only qty and txt are

    def visitor(self, username: str = "root", locale: str = "en") -> Visitor:
        found = Visitor(self.app.test_client())
        found.login(username)
        found.get(f"/locale/{locale}")
        return found


@pytest.fixture
def kinds(settings: dict[str, object], tmp_path: Path) -> Iterator[Kinds]:
    folder = tmp_path / "kinds"
    folder.mkdir()
    (folder / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    app = create_app({**settings, "TEMPLATE": str(folder)})
    app.config["TESTING"] = True
    runtime = app.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    stock.create_sku(code="A-1", name="Apple", list_price="10")
    stock.create_sku(code='Q"<s>', name="<script>alert(1)</script>", list_price="2.5")
    stock.receive("A-1", "MAIN", 100, batch="B1")
    with runtime.engine.begin() as connection:
        add_user(connection, runtime.template, "root", ["admin"], PASSWORD)
        add_user(connection, runtime.template, "clerk", ["clerk"], PASSWORD)
    docs = Documents(runtime.engine, runtime.template, runtime.version_id)
    root = Actor("root", frozenset({"admin"}))
    line = {
        "sku": "A-1",
        "qty": "3",
        "cnt": "4",
        "txt": HOSTILE,
        "area": HOSTILE,
        "day": "2026-01-02",
        "at": "2026-01-02T03:04",
        "yes": "true",
        "pick": 'b"l<ue',
        "many": ["a", "b<"],
        "wh": "MAIN",
        "who": "root",
        "code": "12'3",
    }
    plain = {"sku": 'Q"<s>', "qty": "2", "price": "1.5", "yes": "false", "wh": "NORTH"}
    opened = docs.create("kinds", {"warehouse": "MAIN"}, [line, plain], root)
    part = docs.create("kinds", {"warehouse": "MAIN"}, [line], root)
    docs.act(part.id, "half", root)
    yield Kinds(app, opened.id, part.id)
    runtime.engine.dispose()


def lines_of(html: str) -> str:
    found = re.search(r'<tbody id="lines-body">(.*?)</tbody>', html, re.S)
    assert found, "no lines on the page"
    return found.group(1)


@pytest.mark.parametrize(
    ("username", "locale", "which"),
    [("root", "en", "open"), ("clerk", "zh", "open"), ("root", "en", "part")],
)
def test_the_edit_page_draws_every_field_type(
    kinds: Kinds, username: str, locale: str, which: str, snapshot: Any
) -> None:
    doc = kinds.open if which == "open" else kinds.part
    page = kinds.visitor(username, locale).get(f"/forms/kinds/{doc}/edit")
    assert page.status_code == 200
    assert lines_of(page.text) == snapshot


def test_a_refused_save_shows_each_line_as_typed_with_its_problems(
    kinds: Kinds, snapshot: Any
) -> None:
    refused = kinds.visitor().post(f"/forms/kinds/{kinds.open}/edit", REFUSED)
    assert refused.status_code == 422
    assert lines_of(refused.text) == snapshot


def test_the_partials_draw_the_rows_as_the_page_does(kinds: Kinds, snapshot: Any) -> None:
    root = kinds.visitor()
    page = lines_of(root.post(f"/forms/kinds/{kinds.open}/edit", REFUSED).text)
    rows = re.findall(r'<tr id="row-k\d".*?</tr>', page, re.S)
    for key, row in zip(("k1", "k2", "k3"), rows, strict=True):
        drawn = root.post("/forms/kinds/live/row", {**REFUSED, "row": key}, headers=HTMX)
        assert drawn.text == row
    scanned = root.post("/forms/kinds/live/scan", {**REFUSED, "scan": "A-1"}, headers=HTMX)
    recomputed = root.post("/forms/kinds/live/recompute", REFUSED, headers=HTMX)
    assert {"scan": scanned.text, "recompute": recomputed.text} == snapshot


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sku", "<script>alert(1)</script>"),
        ("sku", '" autofocus onfocus="alert(1)'),
        ("txt", "<script>alert(1)</script>"),
        ("txt", "' onmouseover='alert(1)"),
        ("area", "</textarea><script>alert(1)</script>"),
        ("wh", '"><img src=x onerror=alert(1)>'),
    ],
)
def test_what_a_user_typed_is_escaped_wherever_a_line_shows_it(
    kinds: Kinds, field: str, value: str
) -> None:
    root = kinds.visitor()
    # qty 0 is refused, so the page comes back with the line as typed
    data = {"field.warehouse": "MAIN", "lines": "k1", "line.k1.sku": "A-1", "line.k1.qty": "0"}
    data[f"line.k1.{field}"] = value
    refused = root.post(f"/forms/kinds/{kinds.open}/edit", data)
    assert refused.status_code == 422
    page = lines_of(refused.text)
    row = root.post("/forms/kinds/live/row", {**data, "row": "k1"}, headers=HTMX).text
    for html in (page, row):
        assert value not in html
        assert str(escape(value)) in html


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "",
        HOSTILE,
        "&amp; &lt; '\"<>",
        "中文 <b>",
        Decimal("12.50"),
        7,
        None,
        True,
        Markup("<b>kept</b>"),
    ],
)
def test_esc_escapes_as_markupsafe_does(value: object) -> None:
    assert esc(value) == str(escape(value))
    assert type(esc(value)) is str
