"""GET /movements: the ledger in posting order, read with a cursor that never skips."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from api_client import Api, error
from flask import Flask

from stockform.stock.ledger import Move, Place, post
from stockform.stock.service import Stock


def read_all(api: Api, query: str = "", limit: int = 2) -> list[dict[str, Any]]:
    """Every movement, page by page, following next_after."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        body = api.get(f"/api/v1/movements?after={after}&limit={limit}{query}").get_json()
        if not body["items"]:
            assert body["next_after"] == after
            return found
        found += body["items"]
        after = body["next_after"]
        assert after == body["items"][-1]["id"]


def test_the_ledger_in_posting_order(api: Api) -> None:
    entries = read_all(api)
    assert [(e["kind"], e["sku"], e["qty"], e["from"], e["to"]) for e in entries] == [
        ("receipt", "A-1", "100", None, {"warehouse": "SH", "bucket": "available"}),
        ("receipt", "B-2", "10", None, {"warehouse": "SH", "bucket": "available"}),
    ]
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)


def test_locks_and_documents_show_who_moved_what(api: Api, stock: Stock) -> None:
    lock = api.post(
        "/api/v1/locks", json={"sku": "B-2", "warehouse": "SH", "qty": "2", "reference": "o-9"}
    ).get_json()
    stock.move("B-2", "1", ("SH", "available"), ("SH", "damaged"), user="wes")
    entries = read_all(api, "&sku=B-2")
    assert [(e["kind"], e["qty"], e["lock_id"], e["reference"], e["user"]) for e in entries] == [
        ("receipt", "10", None, None, None),
        ("lock", "2", lock["id"], "o-9", "root"),
        ("adjustment", "1", None, None, "wes"),
    ]
    assert entries[1]["from"] == {"warehouse": "SH", "bucket": "available"}
    assert entries[1]["to"] == {"warehouse": "SH", "bucket": "locked"}


def test_filters_match_codes_and_either_end(api: Api, stock: Stock) -> None:
    stock.move("A-1", "4", ("SH", "available"), ("BJ", "available"), kind="transfer")
    assert [e["kind"] for e in read_all(api, "&warehouse=BJ")] == ["transfer"]
    assert len(read_all(api, "&warehouse=SH")) == 3
    assert read_all(api, "&sku=NOPE") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("after=-1", "after: '-1' is not a whole number"),
        ("after=x", "after: 'x' is not a whole number"),
        ("limit=0", "limit: must be from 1 to 1000, not 0"),
        ("after=", "after: '' is not a whole number"),
        (f"after={2**63}", f"after: must be from 0 to {2**63 - 1}, not {2**63}"),
    ],
)
def test_bad_cursors_are_validation_failed(api: Api, query: str, message: str) -> None:
    assert error(api.get(f"/api/v1/movements?{query}"))[:3] == (422, "validation_failed", message)


def test_a_late_commit_is_never_skipped(api: Api, api_app: Flask, stock: Stock) -> None:
    """A posting that took an id first but commits last still comes after the cursor."""
    engine = api_app.extensions["stockform.runtime"].engine
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time, so ids already commit in order")
    after = read_all(api)[-1]["id"]
    sku_id, warehouse_id, _ = stock.ids("A-1", "SH")
    slow = engine.connect()
    transaction = slow.begin()
    post(slow, stock.template, [Move(sku_id, 1000, None, Place(warehouse_id, "available"))])
    stock.receive("B-2", "SH", 1)  # takes a later id and commits first
    seen: list[list[dict[str, Any]]] = []
    reader = threading.Thread(
        target=lambda: seen.append(api.get(f"/api/v1/movements?after={after}").get_json()["items"])
    )
    reader.start()
    reader.join(timeout=1.0)
    assert reader.is_alive(), f"the reader did not wait for the open posting: {seen}"
    transaction.commit()
    slow.close()
    reader.join(timeout=30)
    assert [(e["sku"], e["qty"]) for e in seen[0]] == [("A-1", "1"), ("B-2", "1")]
