"""The web tests' own client and shop: a client that signs in and sends the CSRF token the way
a browser does, and the test shop stocked with two SKUs and one user per role."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from unittest import mock

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from stockform.documents import users
from stockform.stock.service import Stock

SHOP = Path(__file__).parents[1] / "data/templates/valid/shop"
PASSWORD = "correct horse"
USERS = {
    "sam": ["sales"],
    "sue": ["sales"],
    "mia": ["manager"],
    "max": ["manager"],
    "wes": ["warehouse"],
    "vic": ["viewer"],
    "root": ["admin"],
}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


HASH_PASSWORD = users.hash_password


@cache
def password_hash() -> str:
    return HASH_PASSWORD(PASSWORD)


def stock_the_shop(app: Flask) -> None:
    """Two SKUs in Shanghai (A-1 keeps 5 as safety stock, so 95 of 100 are sellable), users."""
    runtime = app.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    stock.create_sku(code="A-1", name="Apple", list_price="10", safety_stock="5", barcode="6901")
    stock.create_sku(code="B-2", name="Pear", list_price="3", barcode="6902")
    stock.receive("A-1", "SH", 100)
    stock.receive("B-2", "SH", 10)
    # scrypt is slow on purpose: hash the shared test password once, not once per user.
    with (
        runtime.engine.begin() as connection,
        mock.patch.object(users, "hash_password", lambda _password: password_hash()),
    ):
        for name, roles in USERS.items():
            users.add_user(connection, runtime.template, name, roles, PASSWORD)


class Visitor:
    """A test client that reads the CSRF token from the pages it gets, like a browser."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(url, **kwargs)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        if not self.token:
            self.get("/login")
        response = self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kwargs)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def login(self, username: str, password: str = PASSWORD) -> TestResponse:
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        self.get("/")
        return response


class _TextOf(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.element_id, self.depth, self.found, self.parts = element_id, 0, False, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag not in VOID
        elif dict(attrs).get("id") == self.element_id:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


VOID = {"input", "br", "img", "meta", "link", "hr", "col", "source"}


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with this id, spaces collapsed."""
    parser = _TextOf(element_id)
    parser.feed(html)
    assert parser.found, f"no element #{element_id} in the page"
    return " ".join(" ".join(parser.parts).split())
