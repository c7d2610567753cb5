"""Idempotency-Key: a retried lock, document or action never counts twice."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import Api, error
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select, update

from stockform.api import idempotency
from stockform.api.tables import IdempotencyRecord
from stockform.cli import main
from stockform.documents.tables import AuditEvent
from stockform.stock.service import Stock, figures
from stockform.stock.tables import Lock, table_of

LOCK = {"sku": "A-1", "warehouse": "SH", "qty": "3", "reference": "order-1"}


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def lock_count(app: Flask) -> int:
    with app.extensions["stockform.runtime"].engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table_of(Lock))).scalar())


def test_a_retried_lock_replays_the_first_answer_and_locks_once(
    api: Api, api_app: Flask, stock: Stock
) -> None:
    first = api.post("/api/v1/locks", json=LOCK, headers=keyed("k-1"))
    again = api.post("/api/v1/locks", json=LOCK, headers=keyed("k-1"))
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert lock_count(api_app) == 1
    assert figures(stock.row("A-1", "SH"))["locked"] == 3


def test_the_same_json_written_differently_is_the_same_request(api: Api, api_app: Flask) -> None:
    api.post("/api/v1/locks", json=LOCK, headers=keyed("k-2"))
    spaced = '{ "reference": "order-1", "qty": "3", "warehouse": "SH", "sku": "A-1" }'
    again = api.post(
        "/api/v1/locks", data=spaced, headers={**keyed("k-2"), "Content-Type": "application/json"}
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert lock_count(api_app) == 1


def test_the_same_key_for_another_request_is_a_conflict(api: Api, api_app: Flask) -> None:
    api.post("/api/v1/locks", json=LOCK, headers=keyed("k-3"))
    other = api.post("/api/v1/locks", json={**LOCK, "qty": "4"}, headers=keyed("k-3"))
    assert error(other) == (
        422,
        "idempotency_conflict",
        "Idempotency-Key 'k-3' was used for another request (POST /api/v1/locks); "
        "use a new key for a new request",
        [],
    )
    elsewhere = api.post("/api/v1/skus", json={"code": "X"}, headers=keyed("k-3"))
    assert error(elsewhere)[:2] == (422, "idempotency_conflict")
    assert lock_count(api_app) == 1


def test_keys_belong_to_their_token(api: Api, api_app: Flask) -> None:
    api.post("/api/v1/locks", json=LOCK, headers=keyed("k-4"), user="sam")
    other = api.post("/api/v1/locks", json=LOCK, headers=keyed("k-4"), user="sue")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert lock_count(api_app) == 2


def test_a_refusal_is_not_kept_so_a_retry_runs_again(api: Api, stock: Stock) -> None:
    big = {**LOCK, "qty": "120"}
    assert error(api.post("/api/v1/locks", json=big, headers=keyed("k-5")))[1] == (
        "insufficient_stock"
    )
    stock.receive("A-1", "SH", 50)
    retried = api.post("/api/v1/locks", json=big, headers=keyed("k-5"))
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert (
        api.post("/api/v1/locks", json=big, headers=keyed("k-5")).headers["Idempotent-Replayed"]
        == "true"
    )
    assert figures(stock.row("A-1", "SH"))["locked"] == 120


def test_a_retried_document_action_is_taken_once(api: Api, api_app: Flask, stock: Stock) -> None:
    order = {"fields": {"customer": "Bob", "warehouse": "SH"}, "lines": [{"sku": "A-1", "qty": 4}]}
    created = [
        api.post("/api/v1/documents/sales_order", json=order, user="sam", headers=keyed("d-1"))
        for _ in range(3)
    ]
    assert [r.status_code for r in created] == [201, 201, 201]
    assert api.get("/api/v1/documents/sales_order").get_json()["total"] == 1
    doc_id = created[0].get_json()["id"]
    url = f"/api/v1/documents/sales_order/{doc_id}/actions/submit"
    answers = [api.post(url, user="sam", headers=keyed("d-2")) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert answers[2].get_json() == answers[0].get_json()
    assert figures(stock.row("A-1", "SH"))["locked"] == 4
    with api_app.extensions["stockform.runtime"].engine.connect() as connection:
        audit = table_of(AuditEvent)
        actions = connection.execute(
            select(audit.c.action).where(audit.c.document_id == doc_id).order_by(audit.c.id)
        ).scalars()
        assert list(actions) == ["created", "submit", "auto_approve"]
    # without a key, the same action again is refused: it was taken already
    assert error(api.post(url, user="sam"))[:2] == (409, "invalid_transition")


def test_a_retried_patch_replays(api: Api) -> None:
    response = api.patch("/api/v1/skus/A-1", json={"name": "Apple 2"}, headers=keyed("p-1"))
    again = api.patch("/api/v1/skus/A-1", json={"name": "Apple 2"}, headers=keyed("p-1"))
    assert again.get_json() == response.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"


def slow_locks(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    original = Stock.lock

    def slow(self: Stock, *args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Stock, "lock", slow)


def concurrently(api: Api, count: int, key: str) -> list[Any]:
    """count copies of the same keyed lock request at once, each from its own client."""
    start = threading.Barrier(count)
    answers: list[Any] = [None] * count

    def send(index: int) -> None:
        client = api.app.test_client()
        start.wait(timeout=30)
        answers[index] = client.post(
            "/api/v1/locks",
            json=LOCK,
            headers={**keyed(key), "Authorization": f"Bearer {api.tokens['root']}"},
        )

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_concurrent_copies_wait_for_the_first_and_replay_it(
    api: Api, api_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_locks(monkeypatch, 0.3)
    answers = concurrently(api, 10, "c-1")
    assert [a.status_code for a in answers] == [201] * 10
    assert len({a.get_data() for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 9
    assert lock_count(api_app) == 1


def test_a_copy_that_waits_too_long_is_told_the_first_is_in_progress(
    api: Api, api_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_locks(monkeypatch, 1.0)
    monkeypatch.setattr(idempotency, "WAIT", 0.2)
    answers = concurrently(api, 2, "c-2")
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409]
    late = next(a for a in answers if a.status_code == 409)
    assert error(late) == (
        409,
        "idempotency_in_progress",
        "a request with Idempotency-Key 'c-2' is still running; retry shortly",
        [],
    )
    assert lock_count(api_app) == 1


def test_keys_are_kept_a_day_then_forgotten(api: Api, api_app: Flask) -> None:
    engine = api_app.extensions["stockform.runtime"].engine
    api.post("/api/v1/locks", json=LOCK, headers=keyed("old"))
    api.post("/api/v1/locks", json=LOCK, headers=keyed("new"))
    records = table_of(IdempotencyRecord)
    with engine.begin() as connection:
        connection.execute(
            update(records)
            .where(records.c.key == "old")
            .values(created_at=datetime.now(UTC) - timedelta(hours=24, minutes=1))
        )
    # an expired key is a new key: the request runs again
    again = api.post("/api/v1/locks", json=LOCK, headers=keyed("old"))
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert lock_count(api_app) == 3
    with engine.begin() as connection:
        connection.execute(
            update(records)
            .where(records.c.key == "new")
            .values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
        assert idempotency.purge(connection) == 1
        assert connection.execute(select(records.c.key)).scalars().all() == ["old"]


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_bad_request(api: Api, key: str) -> None:
    response = api.post("/api/v1/locks", json=LOCK, headers=keyed(key))
    assert error(response) == (
        400,
        "bad_request",
        "Idempotency-Key must be 1 to 255 printable ASCII characters",
        [],
    )


def test_sweep_forgets_keys_older_than_a_day(api: Api, api_app: Flask, runner: CliRunner) -> None:
    engine = api_app.extensions["stockform.runtime"].engine
    api.post("/api/v1/locks", json=LOCK, headers=keyed("aged"))
    records = table_of(IdempotencyRecord)
    with engine.begin() as connection:
        connection.execute(
            update(records).values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(main, ["sweep", "--db", url])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "released 0 expired locks",
        "warnings: 3 opened, 0 reopened, 0 closed, 3 holding",  # low stock: B-2 at SH, 0 at BJ
        "forgot 1 idempotency key",
    ]
