"""Fixtures for the web pages: the test shop with stock and one user per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from webclient import SHOP, Visitor, stock_the_shop

from stockform.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


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


@pytest.fixture(scope="session")
def chromium(suite_unavailable: Callable[[str, str], None]) -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one per test process (the browser tests of
    every module share it: Playwright's sync API runs one at a time)."""
    unavailable = suite_unavailable
    if not CHROMIUM.exists():
        unavailable("browser", "no /usr/bin/chromium; install it with: apt-get install chromium")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("browser", "Playwright is missing; install the test extras")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except Error as exc:
            unavailable("browser", f"Chromium does not start: {exc}")
        yield browser
        browser.close()
