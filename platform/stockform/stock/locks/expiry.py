"""Locks whose time is up are released: by `stockform sweep` in batches, and at one place
(SKU, warehouse) right before any new lock attempt or count there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from ...spec.model import Template
from ..tables import Lock, table_of
from .close import close
from .model import ACTIVE, is_active, load_lock


def release_expired(
    connection: Connection,
    template: Template,
    now: datetime,
    *,
    sku_id: int | None = None,
    warehouse_id: int | None = None,
    limit: int | None = None,
) -> int:
    """Release locks whose time is up (for the given rows, or all); returns how many."""
    if sku_id is not None and limit is None:
        # Before the long way of a lock attempt: one prebuilt statement.
        found = (
            connection.execute(_EXPIRED_AT_PLACE, {"sku": sku_id, "wh": warehouse_id, "now": now})
            .scalars()
            .all()
        )
    else:
        table = table_of(Lock)
        query = select(table.c.id).where(
            is_active(table), table.c.expires_at.is_not(None), table.c.expires_at <= now
        )
        if sku_id is not None:
            query = query.where(table.c.sku_id == sku_id, table.c.warehouse_id == warehouse_id)
        query = query.order_by(table.c.sku_id, table.c.warehouse_id, table.c.id)
        if limit is not None:
            query = query.limit(limit)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
        found = connection.execute(query).scalars().all()
    closed = 0
    for lock_id in found:
        lock = load_lock(connection, lock_id)
        # Another transaction may have released, kept or expired it while we waited for its
        # row: re-read under the row lock and leave it alone unless it is still due.
        if lock.status != ACTIVE or lock.expires_at is None or lock.expires_at > now:
            continue
        close(
            connection,
            template,
            lock_id,
            None,
            lock.from_bucket,
            "expire",
            "expired",
            None,
            now,
            lock,
        )
        closed += 1
    return closed


_EXPIRED_AT_PLACE = (
    select(table_of(Lock).c.id)
    .where(
        table_of(Lock).c.sku_id == bindparam("sku"),
        table_of(Lock).c.warehouse_id == bindparam("wh"),
        is_active(table_of(Lock)),
        table_of(Lock).c.expires_at.is_not(None),
        table_of(Lock).c.expires_at <= bindparam("now"),
    )
    .order_by(table_of(Lock).c.id)
)
