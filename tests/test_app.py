"""The app factory and its first pages."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from stockform.documents.users import add_user


def test_index_shows_the_template_summary(app: Flask, client: FlaskClient) -> None:
    assert client.get("/").status_code == 302  # sign in first
    runtime = app.extensions["stockform.runtime"]
    with runtime.engine.begin() as connection:
        add_user(connection, runtime.template, "ann", ["sales"], "pw")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    client.post("/login", data={"username": "ann", "password": "pw", "csrf_token": token[1]})
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Minimal shop" in text
    assert "sellable = max(available - sku.safety_stock, 0)" in text


def test_healthz_answers(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
