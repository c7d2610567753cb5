"""Users and their roles; passwords hashed with scrypt from the standard library."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from ..spec.model import BUILTIN_ROLE, Template
from ..stock.tables import table_of
from .tables import User

_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user name and the roles the template gives them."""

    username: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return BUILTIN_ROLE in self.roles


class UserError(ValueError):
    """A user cannot be created or found; the message says why."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def add_user(
    connection: Connection, template: Template, username: str, roles: list[str], password: str
) -> int:
    """Create a user with roles the template knows (or the built-in admin)."""
    name = username.strip()
    if not name:
        raise UserError("a user needs a name")
    known = [*template.roles, BUILTIN_ROLE]
    for role in roles:
        if role not in known:
            from ..spec.issues import did_you_mean

            hint = did_you_mean(role, known)
            raise UserError(f"unknown role '{role}'" + (f" ({hint})" if hint else ""))
    table = table_of(User)
    if connection.execute(select(table.c.id).where(table.c.username == name)).first():
        raise UserError(f"user '{name}' exists already")
    return int(
        connection.execute(
            table.insert()
            .values(
                username=name,
                password_hash=hash_password(password),
                roles=sorted(set(roles)),
                active=True,
                created_at=datetime.now(UTC),
            )
            .returning(table.c.id)
        ).scalar_one()
    )


def authenticate(connection: Connection, username: str, password: str) -> Actor | None:
    """The actor when the password is right, else None (same time either way)."""
    table = table_of(User)
    row = connection.execute(
        select(table.c.password_hash, table.c.roles, table.c.active).where(
            table.c.username == username
        )
    ).first()
    if row is None:
        check_password(hash_password("decoy"), password)  # no timing hint that the user is unknown
        return None
    if not row.active or not check_password(row.password_hash, password):
        return None
    return Actor(username, frozenset(row.roles))


def actor(connection: Connection, username: str) -> Actor | None:
    table = table_of(User)
    row = connection.execute(
        select(table.c.roles, table.c.active).where(table.c.username == username)
    ).first()
    return Actor(username, frozenset(row.roles)) if row is not None and row.active else None
