"""Bearer tokens: `Authorization: Bearer <token>` on every API route but the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import g, request

from ..db import READ_ONLY
from .context import runtime
from .errors import ApiError
from .tokens import find_token, touch_token

PUBLIC_ENDPOINTS = {"api.openapi_document"}
# last_used_at is a hint for whoever lists tokens; stamping it on every request would make
# every read a write.
STAMP_EVERY = timedelta(minutes=5)


def authenticate() -> None:
    """Set g.actor and g.token_id from the bearer token, or refuse with unauthorized."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("send your API token as `Authorization: Bearer <token>`")
    engine = runtime().engine
    with engine.connect().execution_options(**READ_ONLY) as connection:
        found = find_token(connection, token.strip())
    if found is None:
        raise _unauthorized("this token is unknown or revoked")
    now = datetime.now(UTC)
    last = found.last_used_at
    if last is None or now - last > STAMP_EVERY:
        with engine.begin() as connection:
            touch_token(connection, found.id, now)
    g.actor = found.actor
    g.token_id = found.id


def _unauthorized(message: str) -> ApiError:
    return ApiError(
        "unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="stockform"'}
    )
