"""Cutting locks when a count finds goods missing.

A stocktake's loss must come out of `available`; when less is available than the loss
(the missing goods were promised to someone), locks on that SKU, warehouse and batch give
stock back, most recently created first, just enough to cover it. Nothing goes negative, and
the plan can be shown before anyone confirms it.

A lock whose time is up is released before any cut (as before every lock attempt), so a
promise still in force is never cut while an expired one holds the goods.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ..spec.model import Template
from .columns import bucket_column, stock_tables
from .ledger import Move
from .locks import cut, is_active, release_expired
from .tables import Lock, LockPart, table_of


@dataclass(frozen=True)
class Cut:
    """qty (thousandths) of one lock that a posting would give back."""

    lock_id: int
    sku_id: int
    warehouse_id: int
    batch_id: int
    qty: int
    document_form: str | None
    document_id: int | None
    line_id: int | None
    reference: str | None


def plan(
    connection: Connection,
    template: Template,
    moves: Sequence[Move],
    *,
    now: datetime | None = None,
) -> list[Cut]:
    """The cuts posting `moves` needs: for each (SKU, warehouse, batch, bucket) the moves take
    from, what they take beyond the bucket's balance, covered by its newest locks.

    With `now`, locks expired by then count as given back (see `expire_due`), never as cut.
    """
    needs: dict[tuple[int, int, int, str], int] = {}
    for move in moves:
        if move.source is not None:
            key = (move.sku_id, move.source.warehouse_id, move.batch_id, move.source.bucket)
            needs[key] = needs.get(key, 0) + move.qty
    cuts: list[Cut] = []
    for (sku_id, warehouse_id, batch_id, bucket), need in sorted(needs.items()):
        short = need - _balance(connection, template, sku_id, warehouse_id, batch_id, bucket)
        if short > 0:
            cuts.extend(
                _newest_first(connection, sku_id, warehouse_id, batch_id, bucket, short, now)
            )
    return cuts


def expire_due(
    connection: Connection, template: Template, moves: Sequence[Move], now: datetime
) -> None:
    """Release the expired locks where `moves` take stock from, before planning cuts there."""
    for sku_id, warehouse_id in sorted(
        {(m.sku_id, m.source.warehouse_id) for m in moves if m.source is not None}
    ):
        release_expired(connection, template, now, sku_id=sku_id, warehouse_id=warehouse_id)


def apply(
    connection: Connection,
    template: Template,
    cuts: Iterable[Cut],
    *,
    user: str | None,
    now: datetime,
) -> None:
    """Give the planned quantities back, in the caller's transaction."""
    for c in cuts:
        cut(connection, template, c.lock_id, c.qty, c.batch_id, user=user, now=now)


def _balance(
    connection: Connection,
    template: Template,
    sku_id: int,
    warehouse_id: int,
    batch_id: int,
    bucket: str,
) -> int:
    balance = stock_tables(template).balance
    value = connection.execute(
        select(balance.c[bucket_column(bucket)]).where(
            balance.c.sku_id == sku_id,
            balance.c.warehouse_id == warehouse_id,
            balance.c.batch_id == batch_id,
        )
    ).scalar()
    return int(value or 0)


def _newest_first(
    connection: Connection,
    sku_id: int,
    warehouse_id: int,
    batch_id: int,
    bucket: str,
    short: int,
    now: datetime | None,
) -> list[Cut]:
    locks, parts = table_of(Lock), table_of(LockPart)
    # A lock on a SKU without batches may have no parts: its open quantity is its batch 0.
    part_qty = (
        select(parts.c.open_qty)
        .where(parts.c.lock_id == locks.c.id, parts.c.batch_id == batch_id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(
            locks,
            part_qty.label("part_qty"),
        )
        .where(
            locks.c.sku_id == sku_id,
            locks.c.warehouse_id == warehouse_id,
            is_active(locks),
            locks.c.from_bucket == bucket,
        )
        .order_by(locks.c.created_at.desc(), locks.c.id.desc())
    )
    held = [(row, _held(row, batch_id)) for row in rows]
    if now is not None:
        # Released before any cut: their stock is back in the bucket, and they are not cut.
        short -= sum(qty for row, qty in held if _expired(row, now))
        held = [(row, qty) for row, qty in held if not _expired(row, now)]
    cuts = []
    for row, qty in held:
        if short <= 0:
            break
        take = min(short, qty)
        if take <= 0:
            continue
        cuts.append(
            Cut(
                row.id,
                sku_id,
                warehouse_id,
                batch_id,
                take,
                row.document_form,
                row.document_id,
                row.line_id,
                row.reference,
            )
        )
        short -= take
    return cuts


def _held(row: Any, batch_id: int) -> int:
    """What a lock holds of the batch (a lock without parts holds batch 0 only)."""
    if row.part_qty is not None:
        return int(row.part_qty)
    return 0 if batch_id else int(row.open_qty)


def _expired(row: Any, now: datetime) -> bool:
    return row.expires_at is not None and row.expires_at <= now
