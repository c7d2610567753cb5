"""One move between two buckets of a warehouse (a lock, a release), posted in the fewest
statements: the lock path runs thousands of times a second.

`ledger.post` posts any set of moves; these post exactly what it would for one such move, as
a conditional UPDATE of the balance row and an INSERT of the movement (on SQLite three small
statements, with the lock's own row), or on PostgreSQL as one statement, so that the balance
row stays locked only from there to the commit. Statements are built once per template and
shape of change, compiled once per database and sent straight to the driver (`db.Direct`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, true

from ..db import Direct
from ..spec.model import Template
from . import faults
from .ledger import Move, delta_statement, movement_row, post, validate
from .tables import Movement, table_of

# The columns of an owner row (a lock) that name its balance row, taken from that row.
PLACE_COLUMNS = ("sku_id", "warehouse_id")


def post_checked(
    connection: Connection,
    template: Template,
    move: Move,
    check: Callable[[], Any],
    check_key: str,
    check_params: Mapping[str, Any],
    owner_table: Table,
    owner: Mapping[str, Any],
    *,
    codes: tuple[str, str] | None = None,
    user: str | None = None,
    now: datetime | None = None,
    template_version: int | None = None,
) -> int | None:
    """Post one move between two buckets of a warehouse (no batch) only if the SQL condition
    `check()` holds on the balance row before the change, together with the row it belongs
    to (`owner`, a lock, inserted into owner_table): returns that row's id, which the movement
    records as its lock; None, writing nothing, if the check fails.

    With codes (SKU, warehouse) the statement finds the row by them, and the move's ids are
    not used: the owner's and the movement's come from the row (None if there is none).
    """
    assert move.source is not None and move.target is not None and move.batch_id == 0
    assert move.source.warehouse_id == move.target.warehouse_id
    now = now or datetime.now(UTC)
    validate(template, [move])
    changes = {move.source.bucket: -move.qty, move.target.bucket: move.qty}
    shape = tuple(sorted((b, d < 0) for b, d in changes.items()))
    by_code = codes is not None
    key = (template.fingerprint, shape, check_key, owner_table.name, tuple(owner), by_code)
    if key not in _CHECKED:
        _CHECKED[key] = _checked_statements(
            template, changes, check(), owner_table, tuple(owner), by_code
        )
    change, insert_owner, combined = _CHECKED[key]
    params = _change_params(move, changes, codes)
    params.update(check_params)
    params.update({f"o_{name}": value for name, value in owner.items()})
    movement = movement_row(move, None, uuid.uuid4().hex, user, now, template_version)
    params.update({f"m_{name}": value for name, value in movement.items()})
    if connection.dialect.name == "postgresql":
        # Everything is this one statement: the only point before the movement is before it.
        faults.point("ledger.before_movements")
        found = combined.first(connection, params)
        return None if found is None else int(found.id)
    row = change.first(connection, params)
    if row is None:
        return None
    faults.point("ledger.before_movements")
    params["o_sku_id"] = params["m_sku_id"] = row.sku_id
    params["o_warehouse_id"] = row.warehouse_id
    params["m_from_warehouse_id"] = params["m_to_warehouse_id"] = row.warehouse_id
    params["m_lock_id"] = owner_id = int(insert_owner.first(connection, params).id)
    _MOVEMENT_INSERT.execute(connection, params)
    return owner_id


def post_within(
    connection: Connection,
    template: Template,
    move: Move,
    *,
    user: str | None = None,
    now: datetime | None = None,
    template_version: int | None = None,
    alongside: tuple[Direct, Mapping[str, Any]] | None = None,
) -> None:
    """Post one move between two buckets of a warehouse (no batch) built from a lock's own
    parts, as `post(..., from_lock=True)` would. Within a warehouse goods keep their value,
    so no cost is recorded.

    `alongside` is a statement of the caller's (the lock row's UPDATE) with its parameters,
    named apart from these: it runs first, and on PostgreSQL in the same statement.
    """
    assert move.source is not None and move.target is not None and move.batch_id == 0
    assert move.source.warehouse_id == move.target.warehouse_id
    now = now or datetime.now(UTC)
    validate(template, [move])
    changes = {move.source.bucket: -move.qty, move.target.bucket: move.qty}
    shape = tuple(sorted((b, d < 0) for b, d in changes.items()))
    side, side_params = alongside if alongside is not None else (None, {})
    key = (template.fingerprint, shape, side)
    if key not in _WITHIN:
        _WITHIN[key] = _within_statements(template, changes, side)
    change, combined = _WITHIN[key]
    params = _change_params(move, changes, None)
    params.update(side_params)
    movement = movement_row(move, None, uuid.uuid4().hex, user, now, template_version)
    params.update({f"m_{name}": value for name, value in movement.items()})
    if move.effective_at is not None:
        done = False  # a back-dated move: the general path checks it
        if side is not None:
            side.execute(connection, params)
    elif connection.dialect.name == "postgresql":
        done = combined.first(connection, params) is not None
    else:
        if side is not None:
            side.execute(connection, params)
        done = change.execute(connection, params) > 0
        if done:
            faults.point("ledger.before_movements")
            _MOVEMENT_INSERT.execute(connection, params)
    if not done:
        # A guarded bucket would go below zero, the row is missing, or the move is dated
        # back: the general path refuses it (or adds the row) as for any other posting.
        post(
            connection,
            template,
            [move],
            user=user,
            now=now,
            template_version=template_version,
            from_lock=True,
        )


_CHECKED: dict[tuple[Any, ...], tuple[Direct, Direct, Direct]] = {}
_WITHIN: dict[tuple[Any, ...], tuple[Direct, Direct]] = {}


def _change_params(
    move: Move, changes: dict[str, int], codes: tuple[str, str] | None
) -> dict[str, Any]:
    assert move.source is not None
    params: dict[str, Any] = {"batch": 0, "qty": move.qty}
    if codes is None:
        params.update(sku=move.sku_id, wh=move.source.warehouse_id)
    else:
        params.update(sku_code=codes[0], wh_code=codes[1])
    params.update({f"d_{b}": d for b, d in changes.items()})
    return params


_MOVEMENT_COLUMNS = [c.name for c in table_of(Movement).c if c.name != "id"]


def _movement_values(**taken: Any) -> list[Any]:
    """A bound parameter (m_<column>) per movement column, but where taken gives a value."""
    table = table_of(Movement)
    return [
        taken.get(name, bindparam(f"m_{name}", type_=table.c[name].type))
        for name in _MOVEMENT_COLUMNS
    ]


_MOVEMENT_INSERT = Direct(
    table_of(Movement)
    .insert()
    .values(dict(zip(_MOVEMENT_COLUMNS, _movement_values(), strict=True)))
)


def _movement_from(source: Any, values: list[Any]) -> Any:
    """INSERT of the movement for each row of source (at most one: the changed balance)."""
    return (
        table_of(Movement)
        .insert()
        .from_select(_MOVEMENT_COLUMNS, select(*values).select_from(source))
        .returning(table_of(Movement).c.id)
        .cte("movement")
    )


def _checked_statements(
    template: Template,
    changes: dict[str, int],
    condition: Any,
    owner_table: Table,
    owner_columns: tuple[str, ...],
    by_code: bool,
) -> tuple[Direct, Direct, Direct]:
    """The conditional UPDATE (returning the row's ids) and the owner's INSERT; and the two
    with the movement's INSERT as one statement."""
    change = delta_statement(template, changes, by_code=by_code).where(condition)
    balance = change.table
    change = change.returning(balance.c.id, balance.c.sku_id, balance.c.warehouse_id)
    owner_binds = [bindparam(f"o_{name}", type_=owner_table.c[name].type) for name in owner_columns]
    insert_owner = owner_table.insert().values(dict(zip(owner_columns, owner_binds, strict=True)))
    changed = change.cte("change")
    owned = (
        owner_table.insert()
        .from_select(
            list(owner_columns),
            select(
                *[
                    changed.c[name] if name in PLACE_COLUMNS else bind
                    for name, bind in zip(owner_columns, owner_binds, strict=True)
                ]
            ).select_from(changed),
        )
        .returning(owner_table.c.id)
        .cte("owner")
    )
    movement = _movement_from(
        owned.join(changed, true()),
        _movement_values(
            sku_id=changed.c.sku_id,
            from_warehouse_id=changed.c.warehouse_id,
            to_warehouse_id=changed.c.warehouse_id,
            lock_id=owned.c.id,
        ),
    )
    return (
        Direct(change),
        Direct(insert_owner.returning(owner_table.c.id)),
        Direct(select(owned.c.id).add_cte(movement)),
    )


def _within_statements(
    template: Template, changes: dict[str, int], side: Direct | None
) -> tuple[Direct, Direct]:
    """The UPDATE of a move inside a warehouse; and it with the movement's INSERT (and the
    caller's statement) as one."""
    change = delta_statement(template, changes)
    changed = change.returning(change.table.c.id).cte("change")
    combined = select(_movement_from(changed, _movement_values()).c.id)
    if side is not None:
        combined = combined.add_cte(side.statement.cte("alongside"))  # type: ignore[attr-defined]
    return Direct(change), Direct(combined)
