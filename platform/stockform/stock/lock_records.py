"""Read locks as people know them: by reference, SKU and warehouse codes, with their owner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from .errors import UnknownItem
from .tables import Lock, Sku, Warehouse, table_of
from .units import qty_decimal

STATUSES = ("active", "released", "consumed", "expired", "cut")


@dataclass(frozen=True)
class LockRecord:
    """A lock with codes instead of ids: what it holds now (open_qty) of what it took (qty)."""

    id: int
    rule: str
    sku: str
    warehouse: str
    qty: Decimal
    open_qty: Decimal
    status: str
    expires_at: datetime | None
    reference: str | None
    document_form: str | None
    document_id: int | None
    line_id: int | None
    created_at: datetime
    user: str | None

    @property
    def owned_by_document(self) -> bool:
        return self.document_form is not None


def _query() -> Any:
    locks, skus, warehouses = table_of(Lock), table_of(Sku), table_of(Warehouse)
    return (
        select(locks, skus.c.code.label("sku_code"), warehouses.c.code.label("warehouse_code"))
        .join(skus, skus.c.id == locks.c.sku_id)
        .join(warehouses, warehouses.c.id == locks.c.warehouse_id)
    )


def lock_record(connection: Connection, lock_id: int) -> LockRecord:
    """One lock; raises UnknownItem."""
    row = connection.execute(_query().where(table_of(Lock).c.id == lock_id)).first()
    if row is None:
        raise UnknownItem(f"no lock {lock_id}")
    return _record(row._mapping)


def find_locks(
    connection: Connection,
    *,
    reference: str | None = None,
    sku: str | None = None,
    warehouse: str | None = None,
    status: str | None = None,
    document_form: str | None = None,
    document_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[LockRecord], int]:
    """A page of locks, oldest first, and how many match in all."""
    locks = table_of(Lock)
    query = _query()
    if document_form is not None:
        query = query.where(
            locks.c.document_form == document_form, locks.c.document_id == document_id
        )
    if reference is not None:
        query = query.where(locks.c.reference == reference)
    if sku is not None:
        query = query.where(table_of(Sku).c.code == sku)
    if warehouse is not None:
        query = query.where(table_of(Warehouse).c.code == warehouse)
    if status is not None:
        query = query.where(locks.c.status == status)
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(
        query.order_by(locks.c.id).limit(per_page).offset((max(page, 1) - 1) * per_page)
    )
    return [_record(r._mapping) for r in rows], int(total)


def _record(row: Mapping[Any, Any]) -> LockRecord:
    return LockRecord(
        id=row["id"],
        rule=row["rule"],
        sku=row["sku_code"],
        warehouse=row["warehouse_code"],
        qty=qty_decimal(row["qty"]),
        open_qty=qty_decimal(row["open_qty"]),
        status=row["status"],
        expires_at=row["expires_at"],
        reference=row["reference"],
        document_form=row["document_form"],
        document_id=row["document_id"],
        line_id=row["line_id"],
        created_at=row["created_at"],
        user=row["user"],
    )
