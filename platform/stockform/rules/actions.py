"""What people do with a warning: acknowledge it or snooze it, with a comment; both kept in its
history. Closing is the rules' own business: a warning closes when its condition stops."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from ..documents.errors import InvalidTransition, NotFound
from ..spec.phrases import Phrase, phrase
from ..stock.tables import Batch, Sku, Warehouse, table_of
from .events import event_row, payload, record_events
from .tables import WarningRecord

MAX_COMMENT = 2000


class WarningNotFound(NotFound):
    """No such warning (or one the reader may not see)."""


class WarningStateError(InvalidTransition):
    """The warning's state does not allow this now (it closed, or was acknowledged already)."""


def acknowledge(
    connection: Connection,
    warning_id: int,
    user: str,
    comment: str | None = None,
    now: datetime | None = None,
) -> None:
    """Mark a warning seen: it stays until its condition stops holding, off the open count."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    warning = _locked(connection, warning_id)
    if warning.state == "closed":
        raise WarningStateError(_closed(warning_id))
    if warning.state == "acknowledged":
        raise WarningStateError(
            phrase(
                "warning %(id)s was acknowledged already by %(user)s",
                id=warning_id,
                user=warning.acknowledged_by,
            )
        )
    _change(
        connection,
        warning,
        "acknowledged",
        now,
        user,
        comment,
        state="acknowledged",
        snoozed_until=None,
        acknowledged_by=user,
        acknowledged_at=now,
    )


def snooze(
    connection: Connection,
    warning_id: int,
    user: str,
    until: datetime,
    comment: str | None = None,
    now: datetime | None = None,
) -> None:
    """Hide a warning until a moment; it opens again then if its condition still holds."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    until = until.astimezone(UTC)
    if until <= now:
        raise ValueError("a warning is snoozed until a moment in the future")
    warning = _locked(connection, warning_id)
    if warning.state == "closed":
        raise WarningStateError(_closed(warning_id))
    _change(
        connection, warning, "snoozed", now, user, comment, state="snoozed", snoozed_until=until
    )


def _closed(warning_id: int) -> Phrase:
    return phrase("warning %(id)s is closed: its condition stopped holding", id=warning_id)


def _locked(connection: Connection, warning_id: int) -> Any:
    table, sku, warehouse, batch = (
        table_of(WarningRecord),
        table_of(Sku),
        table_of(Warehouse),
        table_of(Batch),
    )
    found = connection.execute(
        select(
            table,
            sku.c.code.label("sku_code"),
            warehouse.c.code.label("warehouse_code"),
            batch.c.code.label("batch_code"),
        )
        .select_from(
            table.join(sku, sku.c.id == table.c.sku_id)
            .join(warehouse, warehouse.c.id == table.c.warehouse_id)
            .outerjoin(batch, batch.c.id == table.c.batch_id)
        )
        .where(table.c.id == warning_id)
        .with_for_update(of=table)
    ).first()
    if found is None:
        raise WarningNotFound(f"no warning {warning_id}")
    return found


def _change(
    connection: Connection,
    warning: Any,
    event: str,
    now: datetime,
    user: str,
    comment: str | None,
    **values: Any,
) -> None:
    table = table_of(WarningRecord)
    connection.execute(
        update(table)
        .where(table.c.id == warning.id)
        .values(comment=comment, updated_at=now, **values)
    )
    codes = {"sku": warning.sku_code, "warehouse": warning.warehouse_code}
    codes["batch"] = warning.batch_code
    data = payload(warning.rule, warning.level, codes, warning.message, values["state"])
    if values.get("snoozed_until") is not None:
        data["snoozed_until"] = values["snoozed_until"].isoformat()
    record_events(connection, [event_row(warning.id, event, now, data, user, comment)])
