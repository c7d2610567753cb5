"""An action refused because the document would not hold in the state it leads to (a check of
that state) is shown on the document's page with what is wrong, never as an error page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from flask import Flask
from webclient import PASSWORD, Visitor, password_hash, text_of

from stockform.app import create_app
from stockform.documents import users
from stockform.documents.service import Documents
from stockform.documents.users import Actor
from stockform.stock.service import Stock

COUNTS = Path(__file__).parents[1] / "data/templates/valid/counts"
CLERK = Actor("cal", frozenset({"clerk"}))


@pytest.fixture
def counts(settings: dict[str, object]) -> Iterator[Flask]:
    app = create_app({**settings, "TEMPLATE": str(COUNTS)})
    app.config["TESTING"] = True
    runtime = app.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    stock.create_sku(code="HAMMER", name="Hammer")
    stock.receive("HAMMER", "MAIN", 10)
    with (
        runtime.engine.begin() as connection,
        mock.patch.object(users, "hash_password", lambda _password: password_hash()),
    ):
        users.add_user(connection, runtime.template, "mia", ["manager"], PASSWORD)
    yield app
    runtime.engine.dispose()


@pytest.mark.parametrize(
    ("locale", "said"),
    [("en", "line 1: Count this line"), ("zh", "第 1 行：请填写实盘数")],
)
def test_approving_an_uncounted_stocktake_names_the_line_on_its_page(
    counts: Flask, locale: str, said: str
) -> None:
    runtime = counts.extensions["stockform.runtime"]
    docs = Documents(runtime.engine, runtime.template, runtime.version_id)
    doc = docs.create("stocktake", {"warehouse": "MAIN"}, [{"sku": "HAMMER"}], CLERK)
    docs.act(doc.id, "start", CLERK)
    visitor = Visitor(counts.test_client())
    visitor.login("mia")
    visitor.get(f"/locale/{locale}")
    visitor.get(f"/forms/stocktake/{doc.id}")
    response = visitor.post(f"/forms/stocktake/{doc.id}/act", {"transition": "approve"})
    assert response.status_code == 422
    assert said in text_of(response.text, "refusal")
    assert docs.get(doc.id).state == "counting"
