"""Fixtures for documents: the test shop template on SQLite and PostgreSQL, with stock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stockform.database import Prepared, prepare
from stockform.documents.service import Documents
from stockform.stock.service import Stock

SHOP = Path(__file__).parents[1] / "data/templates/valid/shop"


@pytest.fixture
def shop(database_url: str) -> Iterator[Prepared]:
    """The test shop on a fresh database, with A-1 (100 at SH, safety stock 5) and B-2 (10)."""
    prepared = prepare(database_url, SHOP)
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="A-1", name="Apple", list_price="10", safety_stock="5")
    stock.create_sku(code="B-2", name="Pear", list_price="3")
    stock.receive("A-1", "SH", 100)
    stock.receive("B-2", "SH", 10)
    yield prepared
    prepared.engine.dispose()


@pytest.fixture
def docs(shop: Prepared) -> Documents:
    return Documents(shop.engine, shop.template, shop.applied.version_id)


@pytest.fixture
def stock(shop: Prepared) -> Stock:
    return Stock(shop.engine, shop.template, shop.applied.version_id)
