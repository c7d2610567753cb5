"""Fixtures for the reports: a shop shaped like the retail starter (its warehouses, buckets,
quantities and SKU fields; tests/data/templates/valid/reports) on SQLite or PostgreSQL, with a
ledger the tests write at chosen moments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reports_ledger import Ledger

from stockform.database import prepare

SHOP = Path(__file__).parents[1] / "data/templates/valid/reports"


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    """Warehouses SH and BJ, Asia/Shanghai, an empty catalogue."""
    prepared = prepare(database_url, SHOP)
    yield Ledger(prepared)
    prepared.engine.dispose()
