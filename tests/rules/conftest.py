"""Fixtures for the warning rules: the rules shop (rules_support.py) on SQLite and (where it
runs) PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rules_support import write_template

from stockform.database import Prepared, prepare
from stockform.stock.service import Stock


@pytest.fixture
def rules_folder(tmp_path: Path) -> Path:
    return write_template(tmp_path / "rules-shop")


@pytest.fixture
def prepared(database_url: str, rules_folder: Path) -> Iterator[Prepared]:
    result = prepare(database_url, rules_folder)
    yield result
    result.engine.dispose()


@pytest.fixture
def stock(prepared: Prepared) -> Stock:
    """T-1 (home, min 10, max 50) and F-1 (food: batches) with no stock yet."""
    engine = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    engine.create_sku(code="T-1", name="Tea", min_stock="10", max_stock="50")
    engine.create_sku(code="F-1", name="Milk", category="food")
    return engine
