"""Idempotency-Key on POST and PATCH: a retry gets the first answer again and changes nothing.

A request with a key first claims (token, key) in a committed row of its own. The one that
claims it runs; a copy arriving meanwhile waits for the first to finish and replays its
answer, or after WAIT seconds gets idempotency_in_progress. A success is stored with the key
and replayed to every retry; a refusal changed nothing, so its claim is dropped and a retry
runs again. The same key with another method, path or body is idempotency_conflict. Keys are
kept for KEEP (at least 24 hours); `stockform sweep` deletes older ones.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Response, current_app, g, request
from sqlalchemy import Connection, Engine, delete, select, update

from ..db import READ_ONLY, insert_for
from ..stock.tables import table_of
from .context import parse_json, runtime
from .errors import ApiError
from .tables import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_PATTERN = "^[ -~]{1,255}$"  # printable ASCII: what every HTTP client sends as it is
KEEP = timedelta(hours=24)
WAIT = 10.0  # seconds a retry waits for the first request with its key
POLL = 0.05
METHODS = ("POST", "PATCH")


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: ours to run (record_id), or a stored answer to replay."""

    record_id: int | None = None
    status: int | None = None
    response: Any = None


def fingerprint(method: str, path: str, data: bytes) -> str:
    """A hash of the request; the same JSON with other spacing or key order hashes the same."""
    try:
        canonical = json.dumps(
            parse_json(data) if data.strip() else None,
            sort_keys=True,
            separators=(",", ":"),
            default=lambda d: {"$decimal": str(d)} if isinstance(d, Decimal) else str(d),
        ).encode()
    except (ValueError, RecursionError):
        canonical = data
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def claim(
    engine: Engine,
    scope: str,
    key: str,
    method: str,
    path: str,
    digest: str,
    *,
    wait: float = WAIT,
) -> Claim:
    """Claim key for this request, or the stored answer of the request that claimed it."""
    table = table_of(IdempotencyRecord)
    deadline = time.monotonic() + wait
    while True:
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(
                delete(table).where(
                    table.c.user == scope, table.c.key == key, table.c.created_at < now - KEEP
                )
            )
            inserted = connection.execute(
                insert_for(connection, table)
                .values(
                    user=scope,
                    key=key,
                    method=method,
                    path=path,
                    request_hash=digest,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["user", "key"])
                .returning(table.c.id)
            ).scalar()
        if inserted is not None:
            return Claim(record_id=int(inserted))
        with engine.connect().execution_options(**READ_ONLY) as connection:
            row = connection.execute(
                select(table).where(table.c.user == scope, table.c.key == key)
            ).first()
        if row is None:
            continue  # the first request failed and gave the key up: run this one
        if (row.method, row.path, row.request_hash) != (method, path, digest):
            raise ApiError(
                "idempotency_conflict",
                f"Idempotency-Key '{key}' was used for another request "
                f"({row.method} {row.path}); use a new key for a new request",
            )
        if row.status is not None:
            return Claim(status=row.status, response=row.response)
        if time.monotonic() >= deadline:
            raise ApiError(
                "idempotency_in_progress",
                f"a request with Idempotency-Key '{key}' is still running; retry shortly",
            )
        time.sleep(POLL)


def finish(engine: Engine, record_id: int, status: int, response: Any) -> None:
    """Store the answer to replay."""
    table = table_of(IdempotencyRecord)
    with engine.begin() as connection:
        connection.execute(
            update(table).where(table.c.id == record_id).values(status=status, response=response)
        )


def give_up(engine: Engine, record_id: int) -> None:
    """Drop a claim whose request changed nothing, so a retry runs again."""
    table = table_of(IdempotencyRecord)
    with engine.begin() as connection:
        connection.execute(delete(table).where(table.c.id == record_id, table.c.status.is_(None)))


def purge(connection: Connection, now: datetime | None = None) -> int:
    """Delete keys older than KEEP; returns how many."""
    table = table_of(IdempotencyRecord)
    cutoff = (now or datetime.now(UTC)) - KEEP
    return int(connection.execute(delete(table).where(table.c.created_at < cutoff)).rowcount)


# -- the blueprint's hooks


def before_request() -> Response | None:
    """Claim the request's key, or answer with what its first request got."""
    if request.method not in METHODS or HEADER not in request.headers:
        return None
    key = request.headers[HEADER]
    if not re.fullmatch(KEY_PATTERN, key):
        raise ApiError("bad_request", f"{HEADER} must be 1 to 255 printable ASCII characters")
    digest = fingerprint(request.method, request.path, request.get_data(cache=True))
    scope = f"token:{g.token_id}"
    found = claim(runtime().engine, scope, key, request.method, request.path, digest, wait=WAIT)
    if found.record_id is not None:
        g.idempotency_record = found.record_id
        return None
    replay = Response(
        json.dumps(found.response, ensure_ascii=False, separators=(",", ":")),
        status=found.status,
        mimetype="application/json",
    )
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


def after_request(response: Response) -> Response:
    """Store a success for replay; give the key up after a refusal (it changed nothing)."""
    record_id = g.pop("idempotency_record", None)
    if record_id is None:
        return response
    engine = runtime().engine
    try:
        if 200 <= response.status_code < 300:
            finish(engine, record_id, response.status_code, response.get_json())
        else:
            give_up(engine, record_id)
    except Exception:  # noqa: BLE001 - the claim stays "in progress": safe, never doubled
        current_app.logger.exception("could not store the answer for an idempotency key")
    return response


def teardown_request(_exc: BaseException | None) -> None:
    """A request that ended without a response (it should not happen) gives its key up."""
    record_id = g.pop("idempotency_record", None)
    if record_id is not None:
        give_up(runtime().engine, record_id)
