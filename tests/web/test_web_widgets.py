"""Every field type has an input that sends back what the user chose, and is shown again as
it was saved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from webclient import PASSWORD, Visitor, text_of

from stockform.app import create_app
from stockform.documents.users import add_user

WIDGETS = Path(__file__).parents[1] / "data/templates/valid/widgets"
FILLED = {
    "field.title": "Crate",
    "field.notes": "two\nlines",
    "field.count": "3",
    "field.weight": "1.25",
    "field.fee": "2.5",
    "field.due": "2026-02-01",
    "field.at": "2026-02-01T09:30",
    "field.urgent": ["false", "true"],  # the hidden "false", then the ticked box
    "field.urgent_note": "today",
    "field.colour": "blue",
    "field.tags": ["", "a", "c"],
    "field.owner": "ann",
    "field.code": "4006381333931",
    "field.warehouse": "MAIN",
    "lines": "k1",
    "line.k1.sku": "",
}


@pytest.fixture
def ann(settings: dict[str, object]) -> Iterator[Visitor]:
    app: Flask = create_app({**settings, "TEMPLATE": str(WIDGETS)})
    app.config["TESTING"] = True
    runtime = app.extensions["stockform.runtime"]
    with runtime.engine.begin() as connection:
        add_user(connection, runtime.template, "ann", ["admin"], PASSWORD)
    visitor = Visitor(app.test_client())
    visitor.login("ann")
    yield visitor
    runtime.engine.dispose()


def test_every_field_type_has_an_input(ann: Visitor) -> None:
    html = ann.get("/forms/everything/new").text
    for expected in (
        '<textarea name="field.notes"',
        'inputmode="decimal" name="field.count"',
        '<input type="date" name="field.due"',
        '<input type="datetime-local" name="field.at"',
        '<input type="hidden" name="field.urgent" value="false"><input type="checkbox"',
        '<option value="blue">Blue</option>',
        '<input type="checkbox" name="field.tags" value="c">',
        'list="sku-options"',
        '<option value="MAIN">MAIN — Main</option>',
        '<output id="f-double_fee"',
    ):
        assert expected in html, expected
    assert "#f-urgent_note-wrap{display:none}" in html


def test_what_was_chosen_is_saved_and_shown_again(ann: Visitor) -> None:
    saved = ann.post("/forms/everything/new", FILLED)
    assert saved.status_code == 302, text_of(saved.text, "main")
    page = ann.get(saved.headers["Location"]).text
    shown = {
        name: text_of(page, f"v-{name}")
        for name in ("notes", "count", "weight", "fee", "due", "at", "urgent", "colour", "tags")
    }
    assert shown == {
        "notes": "two lines",
        "count": "3",
        "weight": "1.25",
        "fee": "2.50",
        "due": "2026-02-01",
        "at": "2026-02-01 09:30",
        "urgent": "Yes",
        "colour": "Blue",
        "tags": "a, c",
    }
    assert text_of(page, "v-double_fee") == "5.00"
    edit = ann.get(saved.headers["Location"] + "/edit").text
    assert 'value="2026-02-01T09:30"' in edit
    assert 'type="checkbox" name="field.urgent" id="f-urgent" value="true" checked' in edit
    assert '<input type="checkbox" name="field.tags" value="a" checked>' in edit
    assert '<option value="blue" selected>Blue</option>' in edit


def test_unticking_and_clearing_are_saved_too(ann: Visitor) -> None:
    url = ann.post("/forms/everything/new", FILLED).headers["Location"]
    cleared = {**FILLED, "field.urgent": "false", "field.tags": "", "field.notes": ""}
    assert ann.post(url + "/edit", cleared).status_code == 302
    page = ann.get(url).text
    assert text_of(page, "v-urgent") == "No"
    assert 'id="v-tags"' not in page and 'id="v-notes"' not in page
    assert 'id="v-urgent_note"' not in page  # hidden again, so cleared
