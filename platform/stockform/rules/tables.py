"""Warnings raised by the template's rules, and their history (also the webhooks' outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..stock.tables import Base, BigId, Movement, UtcDateTime

STATES = ("open", "acknowledged", "snoozed", "closed")
ACTIVE = ("open", "acknowledged", "snoozed")
EVENTS = ("opened", "acknowledged", "snoozed", "reopened", "closed")


class WarningRecord(Base):
    """One warning: a rule holding for one SKU at one warehouse (and batch; 0 = none).

    At most one warning per rule and row is not closed (a partial unique index), so two
    evaluations running at once can never raise the same warning twice.
    """

    __tablename__ = "sf_warning"
    __table_args__ = (
        Index(
            "ux_sf_warning_active",
            "rule",
            "sku_id",
            "warehouse_id",
            "batch_id",
            unique=True,
            sqlite_where=text("state != 'closed'"),
            postgresql_where=text("state != 'closed'"),
        ),
        Index("ix_sf_warning_state", "state", "level"),
        Index("ix_sf_warning_place", "sku_id", "warehouse_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sf_sku.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sf_warehouse.id"))
    batch_id: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))
    # Rendered in the template's first locale; `placeholders` keeps their values, so a page
    # can render the message in the reader's language.
    message: Mapped[str] = mapped_column(Text)
    placeholders: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The placeholders' values as the database gave them: unchanged, nothing is rewritten.
    signature: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WarningEvent(Base):
    """Something that happened to a warning, in order of id: its history, and an outbox that
    a webhook sender can read with a cursor (the last id it delivered)."""

    __tablename__ = "sf_warning_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("sf_warning.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    user: Mapped[str | None] = mapped_column(String(128))
    comment: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


# Outbound and inbound movements, as partial indexes: the rule functions' and replenishment's
# aggregates read the outbound one (see facts.py, demand.py), rebuilding the kept first-in
# times the inbound one (stock.activity). Moves inside a warehouse (a lock, an inspection)
# are in neither, so the lock path pays nothing.
_movements = Movement.__table__.c
Index(
    "ix_sf_movement_out",
    _movements.from_warehouse_id,
    _movements.sku_id,
    _movements.effective_at,
    _movements.qty,
    _movements.kind,  # replenishment counts only the demand kinds, still from the index alone
    sqlite_where=text("to_warehouse_id IS NULL"),
    postgresql_where=text("to_warehouse_id IS NULL"),
)
Index(
    "ix_sf_movement_in",
    _movements.to_warehouse_id,
    _movements.sku_id,
    _movements.effective_at,
    sqlite_where=text("from_warehouse_id IS NOT to_warehouse_id"),
    postgresql_where=text("from_warehouse_id IS DISTINCT FROM to_warehouse_id"),
)
