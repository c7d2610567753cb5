"""The ledger: the only code that writes balances (`bucket_moves` posts one move inside a
warehouse with its statements). Every change is a set of movements posted in one transaction;
if any of them is refused, none of them remains."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select, update

from ..db import insert_for
from ..spec.model import Template
from ..spec.phrases import phrase
from . import activity, faults
from .columns import bucket_column, stock_tables
from .costing import value_moves
from .errors import InsufficientStock, InvalidMovement, Shortage
from .materialize import assignments
from .tables import Movement, Sku, Warehouse, table_of
from .units import qty_decimal

OUTSIDE = "outside"


@dataclass(frozen=True)
class Place:
    """A bucket of a warehouse."""

    warehouse_id: int
    bucket: str


@dataclass(frozen=True)
class Move:
    """qty (thousandths) of one SKU (and batch) from source to target; None is outside."""

    sku_id: int
    qty: int
    source: Place | None
    target: Place | None
    batch_id: int = 0
    kind: str = "adjustment"
    unit_cost: int | None = None
    document_form: str | None = None
    document_id: int | None = None
    line_id: int | None = None
    reference: str | None = None
    lock_id: int | None = None
    reverses_id: int | None = None
    note: str | None = None
    effective_at: datetime | None = None


BalanceKey = tuple[int, int, int]  # sku, warehouse, batch


def post(
    connection: Connection,
    template: Template,
    moves: Sequence[Move],
    *,
    user: str | None = None,
    history: bool = False,
    now: datetime | None = None,
    template_version: int | None = None,
    from_lock: bool = False,
) -> str:
    """Post moves in the caller's transaction; returns the posting id shared by its movements.

    `from_lock` marks moves built from a lock's own parts, whose batches were checked when
    the lock was taken.

    Raises InsufficientStock (with every short line) or InvalidMovement; the caller's
    transaction must then be rolled back, which leaves nothing of the set behind.
    """
    now = now or datetime.now(UTC)
    validate(template, moves)
    if not history:
        _refuse_backdating(connection, moves, now)
    if not from_lock:
        _refuse_wrong_batches(connection, moves)
    deltas = _deltas(moves)
    apply_deltas(connection, template, deltas, activity.stamps(moves, now))
    posting_id = uuid.uuid4().hex
    costs = value_moves(connection, template, moves, now, posting_id)
    faults.point("ledger.before_movements")
    rows = [
        movement_row(m, cost, posting_id, user, now, template_version)
        for m, cost in zip(moves, costs, strict=True)
    ]
    if rows:
        connection.execute(table_of(Movement).insert(), rows)
    return posting_id


def apply_deltas(
    connection: Connection,
    template: Template,
    deltas: dict[BalanceKey, dict[str, int]],
    stamps: dict[tuple[int, int], activity.Stamp] | None = None,
) -> None:
    """Change balances by deltas, in a fixed row order so concurrent postings cannot deadlock,
    and keep each SKU-at-warehouse row's stamps (activity.py) in the same statement."""
    balance = stock_tables(template).balance
    stamps = stamps or {}
    shortages: list[Shortage] = []
    for key in sorted({*deltas, *((sku, wh, 0) for sku, wh in stamps)}):
        changes = {b: d for b, d in deltas.get(key, {}).items() if d}
        sku_id, warehouse_id, batch_id = key
        stamp = stamps.get((sku_id, warehouse_id)) if batch_id == 0 else None
        if not changes and stamp is None:
            continue
        statement = delta_statement(template, changes, stamp=stamp)
        params = {
            "sku": sku_id,
            "wh": warehouse_id,
            "batch": batch_id,
            **{f"d_{b}": d for b, d in changes.items()},
            **(activity.params(stamp) if stamp is not None else {}),
        }
        if connection.execute(statement, params).rowcount:
            continue
        where = [
            balance.c.sku_id == sku_id,
            balance.c.warehouse_id == warehouse_id,
            balance.c.batch_id == batch_id,
        ]
        exists = connection.execute(select(balance.c.id).where(*where)).first()
        guarded = any(
            d < 0 and not template.stock.buckets[b].allow_negative for b, d in changes.items()
        )
        if exists is None and not guarded:
            _insert_balance(connection, template, key)
            connection.execute(statement, params)
            continue
        shortages.extend(_shortages(connection, template, key, changes))
    if shortages:
        raise InsufficientStock(shortages)


_STATEMENTS: dict[tuple[str, tuple[tuple[str, bool], ...], bool, tuple[bool, bool]], Any] = {}


def delta_statement(
    template: Template,
    changes: dict[str, int],
    *,
    by_code: bool = False,
    stamp: activity.Stamp | None = None,
) -> Any:
    """UPDATE adding a delta per bucket, refusing to take a guarded bucket below zero, and
    keeping the row's stamps up to stamp (bound as activity.params gives them).

    The row is named by the ids bound as :sku, :wh and :batch, or with by_code by the codes
    bound as :sku_code and :wh_code (and :batch). Built once per template and shape of change
    (which buckets, in which direction, which stamps), with bound parameters: building
    SQLAlchemy statements costs more than running them.
    """
    shape = tuple(sorted((b, d < 0) for b, d in changes.items()))
    stamped = (
        (False, False)
        if stamp is None
        else (stamp.last_out is not None, stamp.first_in is not None)
    )
    key = (template.fingerprint, shape, by_code, stamped)
    if key not in _STATEMENTS:
        balance = stock_tables(template).balance
        guard = [
            balance.c[bucket_column(b)] + bindparam(f"d_{b}") >= 0
            for b, negative in shape
            if negative and not template.stock.buckets[b].allow_negative
        ]
        skus, warehouses = table_of(Sku), table_of(Warehouse)
        place = (
            [
                balance.c.sku_id
                == select(skus.c.id).where(skus.c.code == bindparam("sku_code")).scalar_subquery(),
                balance.c.warehouse_id
                == select(warehouses.c.id)
                .where(warehouses.c.code == bindparam("wh_code"))
                .scalar_subquery(),
            ]
            if by_code
            else [balance.c.sku_id == bindparam("sku"), balance.c.warehouse_id == bindparam("wh")]
        )
        _STATEMENTS[key] = (
            update(balance)
            .where(*place, balance.c.batch_id == bindparam("batch"), *guard)
            .values(
                {
                    **{
                        bucket_column(b): balance.c[bucket_column(b)] + bindparam(f"d_{b}")
                        for b, _ in shape
                    },
                    # Computed quantities follow their buckets in the same statement.
                    **(
                        assignments(template, {b: bindparam(f"d_{b}") for b, _ in shape})
                        if shape
                        else {}
                    ),
                    **(activity.assignments(template, stamp) if stamp is not None else {}),
                }
            )
        )
    return _STATEMENTS[key]


def _insert_balance(connection: Connection, template: Template, key: BalanceKey) -> None:
    balance = stock_tables(template).balance
    values = {"sku_id": key[0], "warehouse_id": key[1], "batch_id": key[2]}
    statement = (
        insert_for(connection, balance)
        .values(values)
        .on_conflict_do_nothing(index_elements=["sku_id", "warehouse_id", "batch_id"])
    )
    connection.execute(statement)


def _shortages(
    connection: Connection, template: Template, key: BalanceKey, changes: dict[str, int]
) -> list[Shortage]:
    balance = stock_tables(template).balance
    sku_id, warehouse_id, batch_id = key
    row = connection.execute(
        select(balance).where(
            balance.c.sku_id == sku_id,
            balance.c.warehouse_id == warehouse_id,
            balance.c.batch_id == batch_id,
        )
    ).first()
    sku, warehouse = codes(connection, sku_id, warehouse_id)
    result = []
    for bucket, delta in changes.items():
        have = row._mapping[bucket_column(bucket)] if row is not None else 0
        if delta < 0 and have + delta < 0 and not template.stock.buckets[bucket].allow_negative:
            result.append(Shortage(sku, warehouse, bucket, qty_decimal(-delta), qty_decimal(have)))
    return result


def codes(connection: Connection, sku_id: int, warehouse_id: int) -> tuple[str, str]:
    """The codes people know a SKU and a warehouse by."""
    sku = connection.execute(select(Sku.code).where(Sku.id == sku_id)).scalar_one()
    warehouse = connection.execute(
        select(Warehouse.code).where(Warehouse.id == warehouse_id)
    ).scalar_one()
    return sku, warehouse


def validate(template: Template, moves: Iterable[Move]) -> None:
    """Refuse moves no posting may make (a quantity not above zero, unknown buckets, ...)."""
    buckets = template.stock.buckets
    for move in moves:
        if move.qty <= 0:
            raise InvalidMovement(f"a movement moves a positive quantity, not {move.qty}")
        if move.source is None and move.target is None:
            raise InvalidMovement("a movement cannot go from outside to outside")
        if move.source == move.target:
            raise InvalidMovement("a movement needs two different ends")
        for place in (move.source, move.target):
            if place is not None and place.bucket not in buckets:
                raise InvalidMovement(f"unknown bucket '{place.bucket}'")


_TRACKING = select(table_of(Sku).c.id, table_of(Sku).c.code, table_of(Sku).c.batches).where(
    table_of(Sku).c.id.in_(bindparam("ids", expanding=True))
)


def _refuse_wrong_batches(connection: Connection, moves: Sequence[Move]) -> None:
    """A SKU that tracks batches moves by batch; one that does not never names a batch.

    Otherwise stock without a batch could leave a batch-tracked SKU's total while its batch
    rows still show it, or batch rows appear for a SKU whose picking ignores them.
    """
    ids = sorted({m.sku_id for m in moves})
    rows = connection.execute(_TRACKING, {"ids": ids}).all()
    tracked = {r.id: (r.code, bool(r.batches)) for r in rows}
    for move in moves:
        code, batches = tracked.get(move.sku_id, (str(move.sku_id), False))
        if batches and not move.batch_id:
            raise InvalidMovement(phrase("%(sku)s is tracked by batch: name the batch", sku=code))
        if not batches and move.batch_id:
            raise InvalidMovement(
                phrase("%(sku)s is not tracked by batch: leave the batch out", sku=code)
            )


def _refuse_backdating(connection: Connection, moves: Sequence[Move], now: datetime) -> None:
    """Refuse an effective time before the latest movement of the same SKU and warehouse."""
    for move in moves:
        if move.effective_at is None or move.effective_at >= now:
            continue
        for place in (move.source, move.target):
            if place is None:
                continue
            latest = connection.execute(
                select(func.max(Movement.effective_at)).where(
                    Movement.sku_id == move.sku_id,
                    or_(
                        Movement.from_warehouse_id == place.warehouse_id,
                        Movement.to_warehouse_id == place.warehouse_id,
                    ),
                )
            ).scalar_one()
            if latest is not None and latest > move.effective_at:
                raise InvalidMovement(
                    f"effective time {move.effective_at.isoformat()} is before the latest "
                    f"movement of this SKU at this warehouse ({latest.isoformat()}); "
                    "post a correction dated now instead"
                )


def _deltas(moves: Iterable[Move]) -> dict[BalanceKey, dict[str, int]]:
    """Bucket changes per balance row. The row of batch 0 holds the SKU's total at the
    warehouse, so a batch's movement changes its own row and the total row."""
    deltas: dict[BalanceKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for move in moves:
        batches = {0, move.batch_id}
        for place, sign in ((move.source, -1), (move.target, 1)):
            if place is not None:
                for batch in batches:
                    deltas[(move.sku_id, place.warehouse_id, batch)][place.bucket] += (
                        sign * move.qty
                    )
    return deltas


def movement_row(
    move: Move,
    cost: int | None,
    posting_id: str,
    user: str | None,
    now: datetime,
    version: int | None,
) -> dict[str, Any]:
    return {
        "posting_id": posting_id,
        "kind": move.kind,
        "sku_id": move.sku_id,
        "batch_id": move.batch_id,
        "qty": move.qty,
        "from_warehouse_id": move.source.warehouse_id if move.source else None,
        "from_bucket": move.source.bucket if move.source else None,
        "to_warehouse_id": move.target.warehouse_id if move.target else None,
        "to_bucket": move.target.bucket if move.target else None,
        "unit_cost": cost,
        "document_form": move.document_form,
        "document_id": move.document_id,
        "line_id": move.line_id,
        "reference": move.reference,
        "lock_id": move.lock_id,
        "reverses_id": move.reverses_id,
        "user": user,
        "recorded_at": now,
        "effective_at": move.effective_at or now,
        "template_version": version,
        "note": move.note,
    }
