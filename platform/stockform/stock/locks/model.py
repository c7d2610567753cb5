"""What a lock is to the other lock modules: the request, the result, the lock row and the
moves it posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, bindparam, exists, literal_column, select

from ...db import Direct
from ...spec.model import LockRule, Template
from ..errors import InvalidMovement, UnknownItem
from ..ledger import Move, Place
from ..tables import Lock, LockPart, Sku, table_of
from ..units import QuantityError, finer_than_sku, qty_decimal

ACTIVE = "active"


def is_active(locks: Table) -> ColumnElement[bool]:
    """`status = 'active'` with the status as a literal, as the partial index of active locks
    says it: against a bound value SQLite plans the statement again on every run, and
    PostgreSQL's generic plans cannot use that index."""
    return locks.c.status == literal_column(f"'{ACTIVE}'")


@dataclass(frozen=True)
class LockRequest:
    """Lock qty (thousandths) of a SKU at a warehouse, for a document line or a reference."""

    sku_id: int
    warehouse_id: int
    qty: int
    rule: str | None = None
    batch_id: int | None = None
    document_form: str | None = None
    document_id: int | None = None
    line_id: int | None = None
    reference: str | None = None
    expires_in: timedelta | None = None
    never_expires: bool = False


@dataclass(frozen=True)
class LockResult:
    id: int
    qty: int
    status: str
    expires_at: datetime | None


def rule_for(template: Template, name: str | None) -> LockRule:
    """The named lock rule, or the template's default one."""
    if name is None:
        rule = template.stock.default_lock_rule
        if rule is None:
            raise InvalidMovement("no lock rule named and the template has no default one")
        return rule
    if name not in template.stock.lock_rules:
        raise InvalidMovement(f"unknown lock rule '{name}'")
    return template.stock.lock_rules[name]


def expiry_of(rule: LockRule, request: LockRequest, now: datetime) -> datetime | None:
    """When a lock taken now for the request expires: its own time, else the rule's."""
    expires_in = request.expires_in if request.expires_in is not None else rule.expires_after
    return None if request.never_expires or expires_in is None else now + expires_in


def lock_move(
    request: LockRequest | Lock | Any,
    lock_id: int,
    batch_id: int,
    qty: int,
    source: str | None,
    target: str | None,
    kind: str,
) -> Move:
    """A move of the lock's (or the request's) SKU inside its warehouse, or out of it."""
    warehouse = request.warehouse_id
    return Move(
        sku_id=request.sku_id,
        qty=qty,
        source=Place(warehouse, source) if source else None,
        target=Place(warehouse, target) if target else None,
        batch_id=batch_id,
        kind=kind,
        document_form=request.document_form,
        document_id=request.document_id,
        line_id=request.line_id,
        reference=request.reference,
        lock_id=lock_id,
    )


# A lock row, and whether it holds batches (has parts): one without them is all batch 0.
_LOAD = select(
    table_of(Lock),
    exists().where(table_of(LockPart).c.lock_id == table_of(Lock).c.id).label("has_parts"),
).where(table_of(Lock).c.id == bindparam("lock"))
_LOADS = {False: Direct(_LOAD), True: Direct(_LOAD.with_for_update(of=table_of(Lock)))}


def load_lock(connection: Connection, lock_id: int, *, for_update: bool = True) -> Any:
    """The lock row (with `has_parts`), locked for update on PostgreSQL; raises UnknownItem."""
    row = _LOADS[for_update].first(connection, {"lock": lock_id})
    if row is None:
        raise UnknownItem(f"no lock {lock_id}")
    return row


def refuse_finer_than_sku(connection: Connection, sku_id: int, qty: int) -> None:
    """Raise QuantityError when qty is finer than the SKU's precision allows."""
    precision = connection.execute(
        select(table_of(Sku).c.precision).where(table_of(Sku).c.id == sku_id)
    ).scalar_one()
    if qty % 10 ** (3 - int(precision)):
        raise QuantityError(finer_than_sku(qty_decimal(qty), int(precision)))


def locks_of(
    connection: Connection,
    *,
    document_form: str | None = None,
    document_id: int | None = None,
    reference: str | None = None,
    rule: str | None = None,
    active_only: bool = True,
) -> list[Any]:
    """The locks of a document (or of an outside reference), oldest first."""
    table = table_of(Lock)
    query = select(table).order_by(table.c.id)
    if document_form is not None:
        query = query.where(
            table.c.document_form == document_form, table.c.document_id == document_id
        )
    if reference is not None:
        query = query.where(table.c.reference == reference)
    if rule is not None:
        query = query.where(table.c.rule == rule)
    if active_only:
        query = query.where(is_active(table))
    return list(connection.execute(query))
