"""Tables of documents, their lines, approvals, audit events, counters and users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..stock.tables import Base, BigId, UtcDateTime


class Document(Base):
    __tablename__ = "sf_document"
    __table_args__ = (
        Index("ix_sf_document_form_state", "form", "state"),
        Index("ix_sf_document_number", "number", unique=True),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    form: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    totals: Mapped[dict[str, Any]] = mapped_column(JSON)
    warehouse: Mapped[str | None] = mapped_column(String(32), index=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DocumentLine(Base):
    __tablename__ = "sf_document_line"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("sf_document.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Approval(Base):
    """One person's approval towards a transition's quorum, while the document waits."""

    __tablename__ = "sf_approval"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("sf_document.id"), index=True)
    transition: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    user: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    spent: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEvent(Base):
    """Who did what to a document, when: append-only, shown on the document."""

    __tablename__ = "sf_audit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("sf_document.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    user: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    template_version: Mapped[int] = mapped_column(Integer)


class Counter(Base):
    """The last number given per form and period (the date part of its numbering pattern)."""

    __tablename__ = "sf_counter"
    form: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class User(Base):
    __tablename__ = "sf_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    roles: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
