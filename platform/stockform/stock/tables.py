"""The engine's own tables, as typed SQLAlchemy models (migrated with Alembic).

Bucket columns of `sf_balance` and SKU field columns of `sf_sku` are not here: they come from
the template and are added by `columns.py` when a template is applied.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back timezone-aware.

    SQLite keeps no offset and hands back naive values; converting here, once, spares every
    reader the guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Ids that may grow past 2**31 over years of postings.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class TemplateVersion(Base):
    """A template as applied: its files, so every process can rebuild the same Template."""

    __tablename__ = "sf_template_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime)
    applied_by: Mapped[str | None] = mapped_column(String(128))


class Warehouse(Base):
    __tablename__ = "sf_warehouse"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Sku(Base):
    __tablename__ = "sf_sku"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    # Decimals a quantity of this SKU may have (0..3); quantities are stored in thousandths.
    precision: Mapped[int] = mapped_column(Integer, default=0)
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
    batches: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Batch(Base):
    __tablename__ = "sf_batch"
    __table_args__ = (UniqueConstraint("sku_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sf_sku.id"))
    code: Mapped[str] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Balance(Base):
    """Stock of one SKU at one warehouse (and batch; 0 = none): a column per bucket."""

    __tablename__ = "sf_balance"
    __table_args__ = (
        UniqueConstraint("sku_id", "warehouse_id", "batch_id"),
        Index("ix_sf_balance_warehouse", "warehouse_id", "sku_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sf_sku.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sf_warehouse.id"))
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    # Kept by the ledger on the batch-0 row (see activity.py): when stock last left to outside,
    # and first arrived from elsewhere, in whole seconds since 1970 (UTC).
    last_out_epoch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    first_in_epoch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Movement(Base):
    """One line of the append-only ledger: qty moved from one place to another."""

    __tablename__ = "sf_movement"
    # Every index here is written by every lock and release (see bench/README.md): none on
    # posting_id or reference, which no query looks movements up by, and the documents' index
    # holds only movements that belong to one.
    __table_args__ = (
        Index("ix_sf_movement_sku", "sku_id", "id"),
        Index(
            "ix_sf_movement_document",
            "document_form",
            "document_id",
            sqlite_where=text("document_form IS NOT NULL"),
            postgresql_where=text("document_form IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    posting_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sf_sku.id"))
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    qty: Mapped[int] = mapped_column(BigInteger)
    from_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("sf_warehouse.id"))
    from_bucket: Mapped[str | None] = mapped_column(String(64))
    to_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("sf_warehouse.id"))
    to_bucket: Mapped[str | None] = mapped_column(String(64))
    unit_cost: Mapped[int | None] = mapped_column(BigInteger)
    document_form: Mapped[str | None] = mapped_column(String(64))
    document_id: Mapped[int | None] = mapped_column(BigInteger)
    line_id: Mapped[int | None] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(128))
    lock_id: Mapped[int | None] = mapped_column(BigInteger)
    reverses_id: Mapped[int | None] = mapped_column(BigInteger)
    user: Mapped[str | None] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime)
    template_version: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class Lock(Base):
    """A reservation of stock for a document line or an outside reference."""

    __tablename__ = "sf_lock"
    # Partial where a lock or release need not write them: only active locks are searched by
    # expiry (queries write `status = 'active'` as a literal to match, see locks/model.py), and
    # a lock belongs to a document or to a reference, rarely both.
    __table_args__ = (
        Index(
            "ix_sf_lock_active_expiry",
            "expires_at",
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_sf_lock_place", "sku_id", "warehouse_id", "status"),
        Index(
            "ix_sf_lock_owner",
            "document_form",
            "document_id",
            sqlite_where=text("document_form IS NOT NULL"),
            postgresql_where=text("document_form IS NOT NULL"),
        ),
        Index(
            "ix_sf_lock_reference",
            "reference",
            sqlite_where=text("reference IS NOT NULL"),
            postgresql_where=text("reference IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sf_sku.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sf_warehouse.id"))
    from_bucket: Mapped[str] = mapped_column(String(64))
    to_bucket: Mapped[str] = mapped_column(String(64))
    qty: Mapped[int] = mapped_column(BigInteger)
    open_qty: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    document_form: Mapped[str | None] = mapped_column(String(64))
    document_id: Mapped[int | None] = mapped_column(BigInteger)
    line_id: Mapped[int | None] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    user: Mapped[str | None] = mapped_column(String(128))


class LockPart(Base):
    """How much of a lock sits in each batch (batch 0 for SKUs without batches)."""

    __tablename__ = "sf_lock_part"
    lock_id: Mapped[int] = mapped_column(ForeignKey("sf_lock.id"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    open_qty: Mapped[int] = mapped_column(BigInteger)


class Valuation(Base):
    """Quantity and value on hand per SKU and warehouse: the moving average's state."""

    __tablename__ = "sf_valuation"
    sku_id: Mapped[int] = mapped_column(ForeignKey("sf_sku.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sf_warehouse.id"), primary_key=True)
    qty: Mapped[int] = mapped_column(BigInteger, default=0)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    last_effective_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CostLayer(Base):
    """A FIFO layer: what is left of one receipt at its unit cost."""

    __tablename__ = "sf_cost_layer"
    __table_args__ = (Index("ix_sf_cost_layer_open", "sku_id", "warehouse_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sf_sku.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sf_warehouse.id"))
    posting_id: Mapped[str] = mapped_column(String(32))
    qty_left: Mapped[int] = mapped_column(BigInteger)
    unit_cost: Mapped[int] = mapped_column(BigInteger)


class Event(Base):
    """Things the engine did on its own (a repair, an applied template), for the audit trail."""

    __tablename__ = "sf_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    user: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)


class ColumnRecord(Base):
    """How a template-owned column stores its values, so a later template cannot misread it."""

    __tablename__ = "sf_column"
    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    column_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    scale: Mapped[int] = mapped_column(Integer, default=1)


def table_of(model: type[Base]) -> Table:
    """A model's Core table, typed as one (hot paths use Core statements)."""
    return cast(Table, model.__table__)
