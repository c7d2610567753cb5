"""A warning's history: one row per event, with what a webhook would send about it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ..stock.tables import table_of
from .tables import WarningEvent


def payload(
    rule: str, level: str, codes: dict[str, Any], message: str, state: str
) -> dict[str, Any]:
    """What an event tells a webhook: the warning as it is after the event."""
    return {
        "rule": rule,
        "level": level,
        "sku": codes.get("sku"),
        "warehouse": codes.get("warehouse"),
        "batch": codes.get("batch"),
        "message": message,
        "state": state,
    }


def event_row(
    warning_id: int,
    event: str,
    at: datetime,
    data: dict[str, Any],
    user: str | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    return {
        "warning_id": warning_id,
        "event": event,
        "at": at,
        "user": user,
        "comment": comment,
        "payload": data,
    }


def record_events(connection: Connection, events: list[dict[str, Any]]) -> None:
    if events:
        connection.execute(table_of(WarningEvent).insert(), events)
