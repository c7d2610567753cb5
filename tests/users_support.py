"""Users with API tokens for tests of any folder (tests/ is on the import path)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine

from stockform.api.tokens import create_token
from stockform.documents.tables import User
from stockform.stock.tables import table_of


def add_users_with_tokens(engine: Engine, users: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Insert each user with its roles (no password: they sign in by token) and return a
    token per user name."""
    tokens = {}
    with engine.begin() as connection:
        for name, roles in users.items():
            connection.execute(
                table_of(User)
                .insert()
                .values(
                    username=name,
                    password_hash="-",
                    roles=list(roles),
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )
            tokens[name] = create_token(connection, name)
    return tokens
