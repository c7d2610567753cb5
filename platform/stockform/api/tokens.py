"""Create, check, list and revoke API tokens (no Flask)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select, update

from ..db import Direct
from ..documents.tables import User
from ..documents.users import Actor, UserError
from ..stock.tables import table_of
from .tables import ApiToken


@dataclass(frozen=True)
class TokenInfo:
    id: int
    username: str
    name: str | None
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(connection: Connection, username: str, name: str | None = None) -> str:
    """A new token for username; only its hash is kept, so this is the one chance to see it."""
    users = table_of(User)
    user_id = connection.execute(
        select(users.c.id).where(users.c.username == username, users.c.active.is_(True))
    ).scalar()
    if user_id is None:
        raise UserError(f"no active user '{username}'")
    token = "sf_" + secrets.token_urlsafe(32)
    connection.execute(
        table_of(ApiToken)
        .insert()
        .values(
            user_id=user_id,
            name=name,
            prefix=token[:10],
            token_hash=_digest(token),
            created_at=datetime.now(UTC),
        )
    )
    return token


@dataclass(frozen=True)
class TokenUse:
    """A valid token: its id (idempotency keys are scoped to it) and whom it acts for."""

    id: int
    actor: Actor
    last_used_at: datetime | None


_TOKENS, _USERS = table_of(ApiToken), table_of(User)
# Built once: every API request runs it.
_FIND = (
    select(_TOKENS.c.id, _TOKENS.c.last_used_at, _USERS.c.username, _USERS.c.roles)
    .join(_USERS, _USERS.c.id == _TOKENS.c.user_id)
    .where(
        _TOKENS.c.token_hash == bindparam("digest"),
        _TOKENS.c.revoked_at.is_(None),
        _USERS.c.active.is_(True),
    )
)


_FIND_DIRECT = Direct(_FIND)


def find_token(connection: Connection, token: str) -> TokenUse | None:
    """The token's id and actor, or None when it is unknown or revoked (or its user is not
    active)."""
    row = _FIND_DIRECT.first(connection, {"digest": _digest(token)})
    if row is None:
        return None
    return TokenUse(row.id, Actor(row.username, frozenset(row.roles)), row.last_used_at)


def check_token(connection: Connection, token: str) -> Actor | None:
    """The actor a token acts for, or None when it is unknown or revoked."""
    found = find_token(connection, token)
    return None if found is None else found.actor


def touch_token(connection: Connection, token_id: int, now: datetime) -> None:
    """Record when a token was last used."""
    tokens = table_of(ApiToken)
    connection.execute(update(tokens).where(tokens.c.id == token_id).values(last_used_at=now))


def list_tokens(connection: Connection, username: str | None = None) -> list[TokenInfo]:
    tokens, users = table_of(ApiToken), table_of(User)
    query = (
        select(
            tokens.c.id,
            users.c.username,
            tokens.c.name,
            tokens.c.prefix,
            tokens.c.created_at,
            tokens.c.last_used_at,
            tokens.c.revoked_at,
        )
        .join(users, users.c.id == tokens.c.user_id)
        .order_by(tokens.c.id)
    )
    if username is not None:
        query = query.where(users.c.username == username)
    return [TokenInfo(*row) for row in connection.execute(query)]


def revoke_token(connection: Connection, token_id: int) -> bool:
    tokens = table_of(ApiToken)
    result = connection.execute(
        update(tokens)
        .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return bool(result.rowcount)
