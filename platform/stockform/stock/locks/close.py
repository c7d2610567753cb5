"""Ending what a lock holds, all of it or part: release (back to its source bucket),
consume (out to a customer), cut (a count found the goods missing); and keep, which makes
a lock permanent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from ...db import Direct
from ...spec.model import Template
from ..bucket_moves import post_within
from ..errors import LockStateError
from ..ledger import post
from ..tables import Batch, Lock, LockPart, table_of
from ..units import qty_decimal
from .model import ACTIVE, LockResult, load_lock, lock_move, refuse_finer_than_sku


def release(
    connection: Connection,
    template: Template,
    lock_id: int,
    qty: int | None = None,
    *,
    user: str | None = None,
    now: datetime | None = None,
) -> LockResult:
    """Give locked stock back to the bucket it came from."""
    lock = load_lock(connection, lock_id)
    return close(
        connection,
        template,
        lock_id,
        qty,
        lock.from_bucket,
        "release",
        "released",
        user,
        now or datetime.now(UTC),
        lock,
    )


def consume(
    connection: Connection,
    template: Template,
    lock_id: int,
    qty: int | None = None,
    *,
    user: str | None = None,
    now: datetime | None = None,
    kind: str = "sale",
) -> LockResult:
    """Ship locked stock: locked -> outside (all of it, or qty for a partial shipment)."""
    return close(
        connection, template, lock_id, qty, None, kind, "consumed", user, now or datetime.now(UTC)
    )


def cut(
    connection: Connection,
    template: Template,
    lock_id: int,
    qty: int,
    batch_id: int,
    *,
    user: str | None = None,
    now: datetime | None = None,
) -> LockResult:
    """Give qty of one batch of a lock back to its source bucket, because a count found the
    goods missing: the lock keeps the rest, or ends as `cut`."""
    lock = load_lock(connection, lock_id)
    return close(
        connection,
        template,
        lock_id,
        qty,
        lock.from_bucket,
        "cut",
        "cut",
        user,
        now or datetime.now(UTC),
        lock,
        batch_id,
    )


def keep(connection: Connection, lock_id: int) -> LockResult:
    """Make a lock permanent: it no longer expires (an order was paid)."""
    lock = load_lock(connection, lock_id)
    if lock.status != ACTIVE:
        raise LockStateError(f"lock {lock_id} is {lock.status}, not active")
    table = table_of(Lock)
    connection.execute(update(table).where(table.c.id == lock_id).values(expires_at=None))
    return LockResult(lock_id, lock.open_qty, ACTIVE, None)


def close(
    connection: Connection,
    template: Template,
    lock_id: int,
    qty: int | None,
    target: str | None,
    kind: str,
    status: str,
    user: str | None,
    now: datetime,
    lock: Any = None,
    batch_id: int | None = None,
) -> LockResult:
    """Move qty (default: all that is open) out of the lock: back (release) or out (consume).

    batch_id limits the parts taken to that batch (a count cutting one batch's locks).
    """
    lock = lock if lock is not None else load_lock(connection, lock_id)
    if lock.status != ACTIVE:
        raise LockStateError(f"lock {lock_id} is {lock.status}, not active")
    if qty is not None:
        refuse_finer_than_sku(connection, lock.sku_id, qty)
    qty = lock.open_qty if qty is None else qty
    if qty <= 0 or qty > lock.open_qty:
        raise LockStateError(
            f"lock {lock_id} holds {qty_decimal(lock.open_qty)}; cannot take "
            f"{qty_decimal(qty)} from it"
        )
    if target is not None and batch_id is None and not lock.has_parts:
        return _close_unbatched(connection, template, lock, qty, target, kind, status, user, now)
    moves, left = [], qty
    parts = _parts(connection, lock_id, template)
    for part_batch, open_qty in parts or [(0, lock.open_qty)]:
        if left == 0:
            break
        if batch_id is not None and part_batch != batch_id:
            continue
        take = min(left, open_qty)
        left -= take
        moves.append(lock_move(lock, lock_id, part_batch, take, lock.to_bucket, target, kind))
        if parts:
            connection.execute(
                _PART_UPDATE, {"lock": lock_id, "batch": part_batch, "open": open_qty - take}
            )
    if left:
        raise LockStateError(f"lock {lock_id} holds less than {qty_decimal(qty)} in that batch")
    remaining = lock.open_qty - qty
    connection.execute(
        _LOCK_UPDATE,
        {"lock": lock_id, "open": remaining, "status": ACTIVE if remaining else status},
    )
    post(connection, template, moves, user=user, now=now, from_lock=True)
    return LockResult(lock_id, remaining, ACTIVE if remaining else status, lock.expires_at)


def _close_unbatched(
    connection: Connection,
    template: Template,
    lock: Any,
    qty: int,
    target: str,
    kind: str,
    status: str,
    user: str | None,
    now: datetime,
) -> LockResult:
    """Give qty of a lock without batches back to a bucket of its warehouse: the lock row,
    the balance and the movement in one statement on PostgreSQL, three on SQLite."""
    remaining = lock.open_qty - qty
    status = ACTIVE if remaining else status
    move = lock_move(lock, lock.id, 0, qty, lock.to_bucket, target, kind)
    row = {"lock": lock.id, "open": remaining, "status": status}
    post_within(connection, template, move, user=user, now=now, alongside=(_LOCK_CHANGE, row))
    return LockResult(lock.id, remaining, status, lock.expires_at)


_PART_UPDATE = (
    update(table_of(LockPart))
    .where(
        table_of(LockPart).c.lock_id == bindparam("lock"),
        table_of(LockPart).c.batch_id == bindparam("batch"),
    )
    .values(open_qty=bindparam("open"))
)
_LOCK_UPDATE = (
    update(table_of(Lock))
    .where(table_of(Lock).c.id == bindparam("lock"))
    .values(open_qty=bindparam("open"), status=bindparam("status"))
)
_LOCK_CHANGE = Direct(_LOCK_UPDATE)


def _parts(connection: Connection, lock_id: int, template: Template) -> list[tuple[int, int]]:
    """The open (batch, qty) parts of a lock, in the order goods leave: the template's
    picking rule, so a partial shipment takes the batch that expires (or came) first."""
    query = _PARTS[template.sku.tracking.picking == "FEFO"]
    return [(r.batch_id, r.open_qty) for r in connection.execute(query, {"lock": lock_id})]


def _parts_query(fefo: bool) -> Any:
    parts, batches = table_of(LockPart), table_of(Batch)
    query = (
        select(parts.c.batch_id, parts.c.open_qty)
        .select_from(parts.outerjoin(batches, batches.c.id == parts.c.batch_id))
        .where(parts.c.lock_id == bindparam("lock"), parts.c.open_qty > 0)
    )
    if fefo:
        query = query.order_by(batches.c.expiry.is_(None), batches.c.expiry)
    return query.order_by(batches.c.received_at, parts.c.batch_id)


_PARTS = {fefo: _parts_query(fefo) for fefo in (False, True)}
