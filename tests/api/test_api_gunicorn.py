"""Under gunicorn with 4 worker processes sharing only the database: 16 clients lock the last
units of a SKU and exactly as many locks as there are units succeed; a request replayed with
its idempotency key by 10 clients at once locks once; `stockform verify` is clean after."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_client import SHOP

from stockform.api.tokens import create_token
from stockform.database import prepare
from stockform.documents.users import add_user
from stockform.stock.service import Stock

CLIENTS = 16
REQUESTS_EACH = 10
UNITS = 100


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(port: int, method: str, path: str, token: str, body: Any = None, **headers: str) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = None if body is None else json.dumps(body)
        sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers}
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


@pytest.fixture
def served(api_database: str, tmp_path: Path) -> Iterator[tuple[int, str, str]]:
    """gunicorn with 4 workers on a prepared database: (port, token, database url)."""
    prepared = prepare(api_database, SHOP)
    try:
        stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
        stock.create_sku(code="LAST", name="Scarce")
        stock.receive("LAST", "SH", UNITS)
        with prepared.engine.begin() as connection:
            add_user(connection, prepared.template, "shop", ["admin"], "pw")
            token = create_token(connection, "shop", "shop front")
    finally:
        prepared.engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "STOCKFORM_DATABASE_URL": api_database,
        "STOCKFORM_TEMPLATE": str(SHOP),
        "STOCKFORM_INSTANCE_PATH": str(tmp_path / "instance"),
        "STOCKFORM_SECRET_KEY": "test-secret",
        "STOCKFORM_SQLITE_SYNCHRONOUS": "NORMAL",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "stockform.app:create_app()",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(port, "GET", "/api/v1/openapi.json", token)[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.2)
        yield port, token, api_database
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def together(count: int, work: Any) -> list[Any]:
    """Run work(index) in count threads released at once; their results."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        start.wait(timeout=60)
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def verify(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from stockform.cli import main; main()", "verify", "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_concurrent_locks_never_oversell_and_retries_lock_once(
    served: tuple[int, str, str],
) -> None:
    port, token, url = served

    def lock_units(index: int) -> list[tuple[int, Any]]:
        body = {"sku": "LAST", "warehouse": "SH", "qty": "1", "reference": f"client-{index}"}
        return [call(port, "POST", "/api/v1/locks", token, body) for _ in range(REQUESTS_EACH)]

    answers = [a for batch in together(CLIENTS, lock_units) for a in batch]
    statuses = [status for status, _ in answers]
    assert statuses.count(201) == UNITS
    assert statuses.count(409) == CLIENTS * REQUESTS_EACH - UNITS
    assert {body["error"]["code"] for status, body in answers if status == 409} == {
        "insufficient_stock"
    }
    status, row = call(port, "GET", "/api/v1/stock?sku=LAST&warehouse=SH", token)
    assert row["items"][0]["buckets"] == {
        "available": "0",
        "locked": "100",
        "quarantine": "0",
        "damaged": "0",
    }

    # give ten units back, then replay one keyed request from ten clients at once
    for _, lock in [a for a in answers if a[0] == 201][:10]:
        assert call(port, "POST", f"/api/v1/locks/{lock['id']}/release", token)[0] == 200
    keyed = {"sku": "LAST", "warehouse": "SH", "qty": "2", "reference": "retry"}
    replies = together(
        10,
        lambda _i: call(port, "POST", "/api/v1/locks", token, keyed, **{"Idempotency-Key": "r1"}),
    )
    assert [status for status, _ in replies] == [201] * 10
    assert len({json.dumps(body, sort_keys=True) for _, body in replies}) == 1
    status, listed = call(port, "GET", "/api/v1/locks?reference=retry", token)
    assert listed["total"] == 1

    checked = verify(url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok: every balance equals its ledger replay" in checked.stdout
