"""Evaluate the template's warning rules over rows of stock, in SQL, and keep the warnings.

A rule holding for a row (SKU, warehouse[, batch]) has exactly one warning that is not
closed: it is opened the first time the rule holds, stays (open, acknowledged or snoozed)
while it holds, and closes by itself when it stops holding; a snoozed warning opens again
once its time is up if the rule still holds. Every change is a `WarningEvent`.

Which rows hold is found in SQL (`holding.py`); here the holding rows are matched with the
warnings that are not closed, by key, and only what differs is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from ..db import insert_for
from ..spec.expressions import FunctionRegistry
from ..spec.model import Template, WarningRule
from ..stock.rows import Level, RowSource
from ..stock.tables import Batch, Sku, Warehouse, table_of
from .actions import acknowledge, snooze
from .events import event_row, payload, record_events
from .functions import FUNCTIONS
from .holding import Hold, Key, Rows, fetch_all, hold_of, holding_rows
from .messages import render
from .tables import WarningRecord

__all__ = ["Outcome", "acknowledge", "evaluate", "snooze"]

LEVELS: tuple[Level, ...] = ("warehouse", "batch")
CHUNK = 500


@dataclass
class Outcome:
    """What an evaluation did."""

    opened: int = 0
    closed: int = 0
    reopened: int = 0
    holding: int = 0  # (rule, row) pairs where a rule holds
    errors: list[str] = field(default_factory=list)  # rules that could not be evaluated

    def add(self, other: Outcome) -> None:
        self.opened += other.opened
        self.closed += other.closed
        self.reopened += other.reopened
        self.holding += other.holding
        self.errors += [e for e in other.errors if e not in self.errors]


def evaluate(
    connection: Connection,
    template: Template,
    now: datetime,
    rows: Iterable[tuple[int, int]] | None = None,
    *,
    skus: tuple[int, int] | None = None,
    warehouse: int | None = None,
    timezone: str | None = None,
    functions: FunctionRegistry = FUNCTIONS,
) -> Outcome:
    """Evaluate every rule over rows (all; the (sku_id, warehouse_id) pairs given; or those
    of a warehouse id and/or SKU ids in the range skus) and open, keep, reopen and close
    warnings to match, in the caller's transaction. `now` is the moment of evaluation;
    `today()` is its date in timezone (default: the template's)."""
    now = now.astimezone(UTC)
    pairs = None if rows is None else tuple(sorted(set(rows)))
    scope = Rows(pairs=pairs, skus=skus, warehouse=warehouse)
    outcome = Outcome()
    if scope.pairs == ():
        return outcome
    # Active warnings as the driver returns them: (id, rule, level, sku_id, warehouse_id,
    # batch_id, state, snoozed_until, signature), matched with the holding rows as they come.
    by_key = {(w[1], w[3], w[4], w[5]): w for w in _active(connection, scope)}
    levels = {name: rule.level.value for name, rule in template.stock.warnings.items()}
    errors: dict[str, str] = {}
    fresh: list[tuple[Key, Hold]] = []
    reopening: list[tuple[int, Key, Hold]] = []
    refreshing: list[tuple[int, Key, Hold]] = []
    for level in LEVELS:
        rules = [r for r in template.stock.warnings.values() if r.per == level]
        if not rules:
            continue
        source = RowSource(
            template,
            level,
            now=now,
            timezone=timezone,
            sku_filter=scope.sku_filter(),
            warehouse_filter=scope.warehouse_filter(),
        )
        for key, found in holding_rows(connection, source, rules, scope, functions, errors):
            outcome.holding += 1
            active = by_key.pop(key, None)
            if active is None:
                fresh.append((key, hold_of(found)))
                continue
            warning_id, rule, level_now, *_place, state, until, signature = active
            if state == "snoozed" and _due(connection, until, now):
                reopening.append((warning_id, key, hold_of(found)))
            elif signature != found[0] or level_now != levels[rule]:
                refreshing.append((warning_id, key, hold_of(found)))
    outcome.errors = [f"{name}: {message}" for name, message in errors.items()]
    outcome.opened = _open(connection, template, now, fresh)
    # What is left stopped holding, unless its rule could not be evaluated (then it is
    # unknown whether it holds: leave it as it is).
    closing = [w[0] for w in by_key.values() if w[1] not in errors]
    outcome.closed = _close(connection, now, closing)
    outcome.reopened = _reopen(connection, template, now, reopening)
    _refresh(connection, template, now, refreshing)
    return outcome


def _active(connection: Connection, scope: Rows) -> list[Any]:
    """Every warning not closed among the rows: its key, state and signature (snoozed_until
    as the driver returns it: see _due)."""
    table = table_of(WarningRecord)
    query = select(
        table.c.id,
        table.c.rule,
        table.c.level,
        table.c.sku_id,
        table.c.warehouse_id,
        table.c.batch_id,
        table.c.state,
        table.c.snoozed_until,
        table.c.signature,
    ).where(table.c.state != "closed", *scope.narrow(table.c.sku_id, table.c.warehouse_id))
    return fetch_all(connection, query)


def _key(row: Any) -> Key:
    return (row.rule, row.sku_id, row.warehouse_id, row.batch_id)


def _rule(template: Template, key: Key) -> WarningRule:
    return template.stock.warnings[key[0]]


def _due(connection: Connection, until: Any, now: datetime) -> bool:
    """Whether a snooze (as the driver returned it) is over."""
    column = table_of(WarningRecord).c.snoozed_until
    convert = column.type.dialect_impl(connection.dialect).result_processor(
        connection.dialect, None
    )
    moment = convert(until) if convert is not None else until
    return moment is None or moment <= now


def _codes(hold: Hold) -> dict[str, Any]:
    return {"sku": hold.codes[0], "warehouse": hold.codes[1], "batch": hold.codes[2]}


def _open(
    connection: Connection, template: Template, now: datetime, fresh: list[tuple[Key, Hold]]
) -> int:
    """Open a warning per key; returns how many this evaluation opened."""
    if not fresh:
        return 0
    table = table_of(WarningRecord)
    rows: dict[Key, dict[str, Any]] = {}
    for key, hold in fresh:
        rule = _rule(template, key)
        values = hold.values()
        rows[key] = {
            "rule": key[0],
            "level": rule.level.value,
            "sku_id": key[1],
            "warehouse_id": key[2],
            "batch_id": key[3],
            "state": "open",
            "message": render(template, rule, values),
            "placeholders": values,
            "signature": hold.signature,
            "opened_at": now,
            "updated_at": now,
        }
    # Another evaluation may open the same warning at the same moment: the partial unique
    # index keeps one, and only the rows this one inserted get an event.
    statement = (
        insert_for(connection, table)
        .on_conflict_do_nothing()
        .returning(table.c.id, table.c.rule, table.c.sku_id, table.c.warehouse_id, table.c.batch_id)
    )
    holds = dict(fresh)
    events, pending = [], list(rows.values())
    for start in range(0, len(pending), CHUNK):
        for inserted in connection.execute(statement, pending[start : start + CHUNK]):
            key = _key(inserted)
            row = rows[key]
            data = payload(row["rule"], row["level"], _codes(holds[key]), row["message"], "open")
            events.append(event_row(inserted.id, "opened", now, data))
    record_events(connection, events)
    return len(events)


def _close(connection: Connection, now: datetime, ids: list[int]) -> int:
    """Close the warnings whose condition stopped holding; returns how many this closed."""
    table, sku, warehouse, batch = (
        table_of(WarningRecord),
        table_of(Sku),
        table_of(Warehouse),
        table_of(Batch),
    )
    events = []
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        closed = list(
            connection.execute(
                update(table)
                .where(table.c.id.in_(ids[start : start + CHUNK]), table.c.state != "closed")
                .values(state="closed", closed_at=now, updated_at=now)
                .returning(table.c.id)
            ).scalars()
        )
        if not closed:
            continue
        described = connection.execute(
            select(
                table.c.id,
                table.c.rule,
                table.c.level,
                table.c.message,
                sku.c.code.label("sku"),
                warehouse.c.code.label("warehouse"),
                batch.c.code.label("batch"),
            )
            .select_from(
                table.join(sku, sku.c.id == table.c.sku_id)
                .join(warehouse, warehouse.c.id == table.c.warehouse_id)
                .outerjoin(batch, batch.c.id == table.c.batch_id)
            )
            .where(table.c.id.in_(closed))
        )
        for w in described:
            codes = {"sku": w.sku, "warehouse": w.warehouse, "batch": w.batch}
            data = payload(w.rule, w.level, codes, w.message, "closed")
            events.append(event_row(w.id, "closed", now, data))
    record_events(connection, events)
    return len(events)


def _reopen(
    connection: Connection,
    template: Template,
    now: datetime,
    reopening: list[tuple[int, Key, Hold]],
) -> int:
    """Open again the snoozed warnings whose time is up; returns how many."""
    table = table_of(WarningRecord)
    events = []
    for warning_id, key, hold in reopening:
        rule = _rule(template, key)
        values = hold.values()
        message = render(template, rule, values)
        done = connection.execute(
            update(table)
            .where(table.c.id == warning_id, table.c.state == "snoozed")
            .values(
                state="open",
                snoozed_until=None,
                level=rule.level.value,
                message=message,
                placeholders=values,
                signature=hold.signature,
                updated_at=now,
            )
            .returning(table.c.id)
        ).first()
        if done is not None:
            data = payload(rule.name, rule.level.value, _codes(hold), message, "open")
            events.append(event_row(warning_id, "reopened", now, data))
    record_events(connection, events)
    return len(events)


def _refresh(
    connection: Connection,
    template: Template,
    now: datetime,
    refreshing: list[tuple[int, Key, Hold]],
) -> None:
    """Keep an active warning's message and level current (no event: it is the same one)."""
    if not refreshing:
        return
    table = table_of(WarningRecord)
    statement = (
        update(table)
        .where(table.c.id == bindparam("w_id"))
        .values(
            level=bindparam("w_level"),
            message=bindparam("w_message"),
            placeholders=bindparam("w_placeholders"),
            signature=bindparam("w_signature"),
            updated_at=now,
        )
    )
    changes = []
    for warning_id, key, hold in refreshing:
        rule = _rule(template, key)
        values = hold.values()
        changes.append(
            {
                "w_id": warning_id,
                "w_level": rule.level.value,
                "w_message": render(template, rule, values),
                "w_placeholders": values,
                "w_signature": hold.signature,
            }
        )
    connection.execute(statement, changes)
