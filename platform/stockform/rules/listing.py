"""Reading warnings: a page of them by SKU, warehouse, level and state; the open count for a
badge, and per level for the dashboard; one warning's history. A reader sees the warnings of
rules that notify one of their roles, at warehouses that role works in (admins see all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, func, or_, select

from ..documents.users import Actor
from ..spec.model import ALL, Level, Template
from ..stock.tables import Batch, Sku, Warehouse, table_of
from .actions import WarningNotFound
from .tables import WarningEvent, WarningRecord


@dataclass(frozen=True)
class WarningView:
    id: int
    rule: str
    level: str
    sku: str
    warehouse: str
    batch: str | None
    state: str
    message: str
    placeholders: dict[str, str]
    opened_at: datetime
    closed_at: datetime | None
    snoozed_until: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    comment: str | None


@dataclass(frozen=True)
class Event:
    event: str
    at: datetime
    user: str | None
    comment: str | None


def visible_to(template: Template, actor: Actor | None) -> ColumnElement[bool] | None:
    """The condition on warnings an actor may see; None: all of them."""
    if actor is None or actor.is_admin:
        return None
    table, warehouse = table_of(WarningRecord), table_of(Warehouse)
    clauses = []
    for name in sorted(actor.roles):
        role = template.roles.get(name)
        if role is None:
            continue
        rules = [r.name for r in template.stock.warnings.values() if name in r.notify]
        if not rules:
            continue
        clause: ColumnElement[bool] = table.c.rule.in_(rules)
        if role.warehouses != ALL:
            clause = and_(clause, warehouse.c.code.in_(list(role.warehouses)))
        clauses.append(clause)
    return or_(*clauses) if clauses else false()


def _source() -> Any:
    table, sku, warehouse, batch = (
        table_of(WarningRecord),
        table_of(Sku),
        table_of(Warehouse),
        table_of(Batch),
    )
    return (
        table.join(sku, sku.c.id == table.c.sku_id)
        .join(warehouse, warehouse.c.id == table.c.warehouse_id)
        .outerjoin(batch, batch.c.id == table.c.batch_id)
    )


def find_warnings(
    connection: Connection,
    template: Template,
    *,
    actor: Actor | None = None,
    sku: str | None = None,
    warehouse: str | None = None,
    level: str | None = None,
    state: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[WarningView], int]:
    """A page of the warnings the actor may see, newest first, and how many match in all."""
    table = table_of(WarningRecord)
    conditions = _filters(template, actor, sku=sku, warehouse=warehouse)
    if level is not None:
        conditions.append(table.c.level == level)
    if state is not None:
        conditions.append(table.c.state == state)
    query = (
        select(
            table,
            table_of(Sku).c.code.label("sku_code"),
            table_of(Warehouse).c.code.label("warehouse_code"),
            table_of(Batch).c.code.label("batch_code"),
        )
        .select_from(_source())
        .where(*conditions)
    )
    page, per_page = max(page, 1), min(max(per_page, 1), 1000)
    rows = connection.execute(
        query.order_by(table.c.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    total = connection.execute(
        select(func.count()).select_from(_source()).where(*conditions)
    ).scalar_one()
    return [_view(r) for r in rows], int(total)


def get_warning(
    connection: Connection, template: Template, warning_id: int, actor: Actor | None = None
) -> WarningView:
    """One warning the actor may see, or WarningNotFound."""
    table = table_of(WarningRecord)
    conditions = _filters(template, actor)
    row = connection.execute(
        select(
            table,
            table_of(Sku).c.code.label("sku_code"),
            table_of(Warehouse).c.code.label("warehouse_code"),
            table_of(Batch).c.code.label("batch_code"),
        )
        .select_from(_source())
        .where(table.c.id == warning_id, *conditions)
    ).first()
    if row is None:
        raise WarningNotFound(f"no warning {warning_id}")
    return _view(row)


def count_open(connection: Connection, template: Template, actor: Actor | None) -> int:
    """How many open warnings the actor may see (the badge in the top bar)."""
    table = table_of(WarningRecord)
    conditions = [table.c.state == "open", *_filters(template, actor)]
    return int(
        connection.execute(
            select(func.count()).select_from(_source()).where(*conditions)
        ).scalar_one()
    )


def count_by_level(
    connection: Connection,
    template: Template,
    actor: Actor | None,
    *,
    warehouse: str | None = None,
) -> dict[str, int]:
    """How many open warnings the actor may see (at one warehouse, or all) per level: every
    level, zeros too, in the order info, warning, critical."""
    table = table_of(WarningRecord)
    conditions = [table.c.state == "open", *_filters(template, actor, warehouse=warehouse)]
    query = (
        select(table.c.level, func.count())
        .select_from(_source())
        .where(*conditions)
        .group_by(table.c.level)
    )
    found = {level.value: 0 for level in Level}
    for level, count in connection.execute(query):
        found[str(level)] = int(count)
    return found


def history(connection: Connection, warning_id: int) -> list[Event]:
    """A warning's events, oldest first."""
    events = table_of(WarningEvent)
    rows = connection.execute(
        select(events.c.event, events.c.at, events.c.user, events.c.comment)
        .where(events.c.warning_id == warning_id)
        .order_by(events.c.id)
    )
    return [Event(r.event, r.at, r.user, r.comment) for r in rows]


def _filters(
    template: Template,
    actor: Actor | None,
    *,
    sku: str | None = None,
    warehouse: str | None = None,
) -> list[ColumnElement[bool]]:
    found = []
    seen = visible_to(template, actor)
    if seen is not None:
        found.append(seen)
    if sku is not None:
        found.append(table_of(Sku).c.code == sku)
    if warehouse is not None:
        found.append(table_of(Warehouse).c.code == warehouse)
    return found


def _view(row: Any) -> WarningView:
    return WarningView(
        id=row.id,
        rule=row.rule,
        level=row.level,
        sku=row.sku_code,
        warehouse=row.warehouse_code,
        batch=row.batch_code,
        state=row.state,
        message=row.message,
        placeholders=dict(row.placeholders or {}),
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        snoozed_until=row.snoozed_until,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        comment=row.comment,
    )
