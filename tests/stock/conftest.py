"""Fixtures for the stock engine: a prepared database on SQLite and, where it runs, PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stockform.database import Prepared, prepare
from stockform.paths import STARTERS
from stockform.stock.service import Stock

DATA = Path(__file__).parents[1] / "data"
MINIMAL = STARTERS / "minimal"


@pytest.fixture
def prepared(database_url: str) -> Iterator[Prepared]:
    result = prepare(database_url, MINIMAL)
    yield result
    result.engine.dispose()


@pytest.fixture
def stock(prepared: Prepared) -> Stock:
    """The minimal template's stock engine, with SKU A-1 (safety stock 5) and B-2."""
    engine = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    engine.create_sku(code="A-1", name="Apple", list_price="2.50", safety_stock="5")
    engine.create_sku(code="B-2", name="Pear", list_price="3", safety_stock="0")
    return engine
