"""The app factory and its first pages."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_index_shows_the_template_summary(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Minimal shop" in text
    assert "sellable = max(available - sku.safety_stock, 0)" in text


def test_healthz_answers(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
