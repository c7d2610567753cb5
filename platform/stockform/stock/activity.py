"""When stock of a SKU last left a warehouse and first arrived there, kept on the row of the
SKU at the warehouse (the batch-0 balance row), so rules read two columns instead of
aggregating the ledger for every row.

- `last_out_epoch`: the latest effective time of a movement from the warehouse to outside
  (a sale, shipment or loss; any batch);
- `first_in_epoch`: the earliest effective time of a movement into the warehouse from outside
  or from another warehouse.

Both are whole seconds since 1970-01-01 UTC (the timestamp rounded down), or null without
such a movement. They are derived data like the computed quantities: `ledger.post` keeps
them in the statement that changes the row's buckets, and `verify` checks them against the
ledger and rebuilds them. Batch rows leave them null.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Connection, Table, bindparam, case, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from ..spec.expressions.sqldates import seconds_since_epoch
from ..spec.model import Template
from .columns import stock_tables
from .tables import Movement, table_of

if TYPE_CHECKING:
    from .ledger import Move

LAST_OUT = "last_out_epoch"
FIRST_IN = "first_in_epoch"
KEPT = (LAST_OUT, FIRST_IN)


@dataclass(frozen=True)
class Stamp:
    """What a posting's moves tell one SKU at one warehouse: the latest time one left it to
    outside, the earliest one arrived from elsewhere (seconds since 1970; None: no such move)."""

    last_out: int | None = None
    first_in: int | None = None

    def merge(self, other: Stamp) -> Stamp:
        return Stamp(
            _pick(max, self.last_out, other.last_out), _pick(min, self.first_in, other.first_in)
        )


def _pick(choose: Any, a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else choose(a, b)


def epoch(moment: datetime) -> int:
    """A moment (naive: UTC, as the ledger stores it) as whole seconds since 1970-01-01 UTC,
    rounded down, as the database gives."""
    return math.floor((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def stamps(moves: Iterable[Move], now: datetime) -> dict[tuple[int, int], Stamp]:
    """(sku_id, warehouse_id) -> the Stamp of moves that leave to or arrive from outside the
    warehouse; a move without its own effective time takes effect now."""
    found: dict[tuple[int, int], Stamp] = {}
    for move in moves:
        at = epoch(move.effective_at or now)
        source, target = move.source, move.target
        if source is not None and target is None:
            key, stamp = (move.sku_id, source.warehouse_id), Stamp(last_out=at)
        elif target is not None and (source is None or source.warehouse_id != target.warehouse_id):
            key, stamp = (move.sku_id, target.warehouse_id), Stamp(first_in=at)
        else:
            continue
        found[key] = found[key].merge(stamp) if key in found else stamp
    return found


def assignments(template: Template, stamp: Stamp) -> dict[str, ColumnElement[Any]]:
    """SET clauses keeping a row's columns up to a Stamp (bound as :t_out and :t_in), for the
    ledger's UPDATE of the row; nothing for what the stamp does not tell."""
    balance = stock_tables(template).balance
    found: dict[str, ColumnElement[Any]] = {}
    for name, value, later in (
        (LAST_OUT, stamp.last_out, True),
        (FIRST_IN, stamp.first_in, False),
    ):
        if value is None:
            continue
        column = balance.c[name]
        bound = bindparam("t_out" if later else "t_in", type_=BigInteger())
        beaten = column < bound if later else column > bound
        found[name] = case((column.is_(None) | beaten, bound), else_=column)
    return found


def params(stamp: Stamp) -> dict[str, int]:
    found = {}
    if stamp.last_out is not None:
        found["t_out"] = stamp.last_out
    if stamp.first_in is not None:
        found["t_in"] = stamp.first_in
    return found


def _leaving(m: Table) -> list[ColumnElement[bool]]:
    """Movements from a warehouse to outside, which set its last out."""
    return [m.c.to_warehouse_id.is_(None), m.c.from_warehouse_id.is_not(None)]


def _arriving(m: Table) -> list[ColumnElement[bool]]:
    """Movements into a warehouse from outside or another warehouse, which set its first in."""
    return [
        m.c.to_warehouse_id.is_not(None),
        m.c.from_warehouse_id.is_distinct_from(m.c.to_warehouse_id),
    ]


def replayed(connection: Connection) -> dict[tuple[int, int], tuple[int | None, int | None]]:
    """(sku_id, warehouse_id) -> (last out, first in) as the ledger alone says."""
    m = table_of(Movement)
    at = seconds_since_epoch(m.c.effective_at)
    found: dict[tuple[int, int], tuple[int | None, int | None]] = {}
    out = (
        select(m.c.sku_id, m.c.from_warehouse_id, func.max(at))
        .where(*_leaving(m))
        .group_by(m.c.sku_id, m.c.from_warehouse_id)
    )
    for sku_id, warehouse_id, last in connection.execute(out):
        found[(sku_id, warehouse_id)] = (int(last), None)
    arrivals = (
        select(m.c.sku_id, m.c.to_warehouse_id, func.min(at))
        .where(*_arriving(m))
        .group_by(m.c.sku_id, m.c.to_warehouse_id)
    )
    for sku_id, warehouse_id, first in connection.execute(arrivals):
        last_out = found.get((sku_id, warehouse_id), (None, None))[0]
        found[(sku_id, warehouse_id)] = (last_out, int(first))
    return found


def rebuild(connection: Connection, template: Template) -> int:
    """Set the kept columns of every SKU-at-warehouse row from the ledger, in SQL (after rows
    were loaded behind the ledger's back, or to repair); returns the rows set."""
    balance = stock_tables(template).balance
    m = table_of(Movement)
    at = seconds_since_epoch(m.c.effective_at)
    same_sku = m.c.sku_id == balance.c.sku_id
    last_out = (
        select(func.max(at))
        .where(*_leaving(m), m.c.from_warehouse_id == balance.c.warehouse_id, same_sku)
        .scalar_subquery()
    )
    first_in = (
        select(func.min(at))
        .where(*_arriving(m), m.c.to_warehouse_id == balance.c.warehouse_id, same_sku)
        .scalar_subquery()
    )
    statement = (
        update(balance)
        .where(balance.c.batch_id == 0)
        .values({LAST_OUT: last_out, FIRST_IN: first_in})
    )
    return int(connection.execute(statement).rowcount)
