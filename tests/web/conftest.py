"""Fixtures for the web pages: the test shop with stock and one user per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from webclient import SHOP, Visitor, stock_the_shop

from stockform.app import create_app


@pytest.fixture
def shop_settings(settings: dict[str, object]) -> dict[str, object]:
    return {**settings, "TEMPLATE": str(SHOP)}


@pytest.fixture
def shop_app(shop_settings: dict[str, object]) -> Iterator[Flask]:
    app = create_app(shop_settings)
    app.config["TESTING"] = True
    stock_the_shop(app)
    yield app
    app.extensions["stockform.runtime"].engine.dispose()


@pytest.fixture
def visitor(shop_app: Flask) -> Callable[[str | None], Visitor]:
    """visitor('sam'): a client signed in as sam; visitor(None): not signed in."""

    def make(username: str | None) -> Visitor:
        found = Visitor(shop_app.test_client())
        if username:
            found.login(username)
        return found

    return make
