"""Benchmark: server time to render, and to validate and save, a big document in the web UI.

The form has 30 header fields (text, numbers, money, dates, choices, a warehouse) and lines of
6 fields (SKU, quantity, price, computed amount, discount, note); the document has 200 lines,
each a different SKU. Measured through Flask's test client, signed in, on SQLite (WAL,
synchronous=FULL) in a scratch file:
  * render: GET the edit page (reads the document, evaluates it, renders every input);
  * save: POST the edit page with every field and line (parse, validate every field and line,
    recompute, replace the lines, audit) — the redirect that follows is not counted.
Raw ceilings in the same run, interleaved in rounds: a bare Jinja2 render of a page with the
same inputs (a loop over 30 + 200 x 6 plain <input> tags, no evaluation), and a bare sqlite3
transaction that writes the header and 200 line rows as JSON.
Targets: render under 20 ms, save under 100 ms.

    python bench/forms.py [--runs 20] [--rounds 3] [--lines 200]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment
from werkzeug.datastructures import MultiDict

from _common import SCRATCH, median, remove_sqlite, table, timed, verdict
from stockform.app import create_app
from stockform.documents import users
from stockform.documents.service import Documents
from stockform.documents.users import Actor
from stockform.stock.service import Stock

HEADER_TYPES = ["text", "decimal", "money", "date", "choice", "integer"]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def write_template(folder: Path) -> Path:
    fields = []
    for n in range(29):
        kind = HEADER_TYPES[n % len(HEADER_TYPES)]
        extra = ", options: [a, b, c]" if kind == "choice" else ""
        fields.append(f"      f{n:02d}: {{type: {kind}{extra}}}")
    fields.append("      warehouse: {type: warehouse, required: true}")
    (folder / "template.yaml").write_text(
        f"""template: {{id: big, name: Big form, version: 1, format: 1, locales: [en, zh]}}
warehouses:
  MAIN: {{name: Main}}
sku:
  fields:
    list_price: {{type: money, default: 0}}
stock:
  buckets: {{available: {{}}, locked: {{}}}}
  quantities:
    physical: available + locked
    sellable: available
forms:
  big:
    label: Big form
    fields:
{chr(10).join(fields)}
    lines:
      sku: {{type: sku, required: true, input: scan}}
      qty: {{type: decimal, required: true, min: 1}}
      price: {{type: money, default: sku.list_price}}
      discount: {{type: decimal, default: 0, min: 0, max: 100}}
      amount: {{type: money, compute: qty * price * (100 - discount) / 100}}
      note: {{type: text, max_length: 200}}
    totals:
      total: sum(lines.amount)
roles:
  clerk: {{forms: all}}
""",
        encoding="utf-8",
    )
    return folder


def header_values() -> dict[str, str]:
    values = {"warehouse": "MAIN"}
    samples = {
        "text": "some text",
        "decimal": "12.5",
        "money": "99.95",
        "date": "2026-11-25",
        "choice": "b",
        "integer": "7",
    }
    for n in range(29):
        values[f"f{n:02d}"] = samples[HEADER_TYPES[n % len(HEADER_TYPES)]]
    return values


def line_values(lines: int) -> list[dict[str, str]]:
    return [
        {"sku": f"S{n:04d}", "qty": str(1 + n % 5), "discount": "5", "note": f"line {n}"}
        for n in range(lines)
    ]


class FormFields(HTMLParser):
    """The name/value pairs a browser would submit from the page's first POST form."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: MultiDict[str, str] = MultiDict()
        self.select: str | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    @classmethod
    def of(cls, html: str) -> MultiDict[str, str]:
        parser = cls()
        parser.feed(html[html.index('method="post"') :])
        return parser.data

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.add(name, a.get("value") or "")
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in a:
            self.data.add(self.select, a.get("value") or "")
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.data.add(self.textarea, "".join(self.text))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text.append(data)


BARE_PAGE = """<form method="post">{% for name, value in header %}
<label for="{{ name }}">{{ name }}</label>
<input id="{{ name }}" name="field.{{ name }}" value="{{ value }}">
{% endfor %}<table>{% for line in lines %}<tr>{% for name, value in line %}
<td><input name="line.{{ loop.index }}.{{ name }}" value="{{ value }}"></td>{% endfor %}</tr>
{% endfor %}</table></form>"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lines", type=int, default=200)
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    database = SCRATCH / "forms.db"
    remove_sqlite(database)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TEMPLATE": str(write_template(Path(folder))),
                "INSTANCE_PATH": str(SCRATCH / "instance"),
                "DATABASE_URL": f"sqlite:///{database}",
                "SECRET_KEY": "bench",
                "TIMEZONE": None,
                "HOST": "127.0.0.1",
                "PORT": 5000,
                "DEMO": False,
                "SQLITE_SYNCHRONOUS": "FULL",
                "CONFIG": "config/stockform.toml",
            }
        )
    runtime = app.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    for n in range(args.lines):
        stock.create_sku(code=f"S{n:04d}", name=f"SKU {n}", list_price=str(10 + n % 7))
    with runtime.engine.begin() as connection:
        users.add_user(connection, runtime.template, "clerk", ["clerk"], "bench-password")
    docs = Documents(runtime.engine, runtime.template, runtime.version_id)
    clerk = Actor("clerk", frozenset({"clerk"}))
    doc = docs.create("big", header_values(), line_values(args.lines), clerk)

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = TOKEN.search(page).group(1)  # type: ignore[union-attr]
    client.post(
        "/login", data={"csrf_token": token, "username": "clerk", "password": "bench-password"}
    )
    url = f"/forms/big/{doc.id}/edit"
    first = client.get(url)
    assert first.status_code == 200, first.status_code
    html = first.get_data(as_text=True)
    token = TOKEN.search(html).group(1)  # type: ignore[union-attr]
    inputs = html.count("<input") + html.count("<select") + html.count("<textarea")
    # Post back what the page holds, as a browser submitting it unchanged would.
    form_data = FormFields.of(html)
    assert form_data.getlist("lines"), "the edit page has no lines"

    def render() -> None:
        response = client.get(url)
        assert response.status_code == 200

    def save() -> None:
        response = client.post(url, data=form_data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    bare_template = Environment(autoescape=True).from_string(BARE_PAGE)
    header = list(header_values().items())
    lines = [
        list(line.items()) + [("price", "10"), ("amount", "9.5")]
        for line in line_values(args.lines)
    ]

    def bare_render() -> None:
        bare_template.render(header=header, lines=lines)

    raw_path = SCRATCH / "forms-raw.db"
    remove_sqlite(raw_path)
    raw = sqlite3.connect(raw_path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE doc (id INTEGER PRIMARY KEY, fields TEXT)")
    raw.execute("CREATE TABLE line (id INTEGER PRIMARY KEY, doc INTEGER, pos INTEGER, data TEXT)")
    raw.execute("INSERT INTO doc VALUES (1, '{}')")
    raw_lines = [json.dumps(line) for line in line_values(args.lines)]

    def bare_save() -> None:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE doc SET fields = ? WHERE id = 1", (json.dumps(header_values()),))
        raw.execute("DELETE FROM line WHERE doc = 1")
        raw.executemany(
            "INSERT INTO line (doc, pos, data) VALUES (1, ?, ?)", list(enumerate(raw_lines))
        )
        raw.execute("COMMIT")

    for action in (render, save, bare_render, bare_save):
        action()  # warm up
    results: dict[str, list[float]] = {"render": [], "save": [], "bare_render": [], "bare_save": []}
    for _ in range(args.rounds):
        results["render"] += timed(render, args.runs)
        results["bare_render"] += timed(bare_render, args.runs)
        results["save"] += timed(save, max(args.runs // 2, 3))
        results["bare_save"] += timed(bare_save, max(args.runs // 2, 3))
    raw.close()
    runtime.engine.dispose()

    render_ms, save_ms = median(results["render"]), median(results["save"])
    print(f"30-field form, {args.lines} lines, {inputs} inputs on the page")
    print(
        table(
            ["Step", "stockform ms", "raw ceiling ms", "target", "verdict"],
            [
                [
                    "render edit page",
                    render_ms,
                    median(results["bare_render"]),
                    "< 20 ms",
                    verdict(render_ms < 20),
                ],
                [
                    "validate + save",
                    save_ms,
                    median(results["bare_save"]),
                    "< 100 ms",
                    verdict(save_ms < 100),
                ],
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
