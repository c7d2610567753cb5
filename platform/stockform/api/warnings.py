"""Warnings the template's rules raised: list, read, acknowledge, snooze; their OpenAPI parts.

A caller sees the warnings of rules that notify one of its roles, at warehouses those roles
work in (admins: all). The rows a posting touched are evaluated after the answer is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, after_this_request, current_app, has_request_context

from ..db import READ_ONLY
from ..rules import hooks
from ..rules.actions import acknowledge, snooze
from ..rules.listing import WarningView, find_warnings, get_warning, history
from ..rules.tables import STATES
from ..spec.model import Level, Template
from .context import (
    actor,
    body,
    bp,
    existing_id,
    jsonify,
    paging,
    query_choice,
    query_text,
    runtime,
    takes_query,
)
from .inputs import Fields
from .schemas import TIMESTAMP, Schema, obj, page_of

LEVELS = tuple(level.value for level in Level)
MAX_SNOOZE = timedelta(days=366)


def later(work: Callable[[], object]) -> None:
    """Run work once the answer has been sent (at once outside a request)."""
    if not has_request_context():
        work()
        return

    @after_this_request
    def schedule(response: Response) -> Response:
        response.call_on_close(work)
        return response


def timezone() -> str | None:
    found: str | None = current_app.config.get("STOCKFORM_TIMEZONE")
    return found


def after_document(form: str, doc_id: int) -> None:
    """Documents' after_commit: evaluate the rows the document's movements touched."""
    rt = runtime()
    if not rt.template.stock.warnings:
        return
    engine, template, zone = rt.engine, rt.template, timezone()
    later(lambda: hooks.after_document(engine, template, form, doc_id, timezone=zone))


def after_posting(codes: list[tuple[str, str]]) -> None:
    """Evaluate the rows of (SKU code, warehouse code) pairs a posting touched."""
    rt = runtime()
    if not rt.template.stock.warnings:
        return  # nothing to evaluate: the lock path pays nothing
    engine, template, zone = rt.engine, rt.template, timezone()
    later(lambda: hooks.after_codes(engine, template, codes, timezone=zone))


def after_sku_change(*codes: str) -> None:
    """Evaluate every row of the SKUs whose fields changed."""
    rt = runtime()
    if not rt.template.stock.warnings:
        return
    engine, template, zone = rt.engine, rt.template, timezone()
    later(lambda: hooks.after_skus(engine, template, codes, timezone=zone))


def warning_json(view: WarningView, template: Template) -> dict[str, Any]:
    rule = template.stock.warnings.get(view.rule)
    return {
        "id": view.id,
        "rule": view.rule,
        "label": rule.label.text() if rule else view.rule,
        "level": view.level,
        "sku": view.sku,
        "warehouse": view.warehouse,
        "batch": view.batch,
        "message": view.message,
        "state": view.state,
        "opened_at": view.opened_at.isoformat(),
        "closed_at": _moment(view.closed_at),
        "snoozed_until": _moment(view.snoozed_until),
        "acknowledged_by": view.acknowledged_by,
        "acknowledged_at": _moment(view.acknowledged_at),
        "comment": view.comment,
    }


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@bp.get("/warnings")
@takes_query("sku", "warehouse", "level", "state", "page", "per_page")
def list_warnings() -> Response:
    page, per_page = paging()
    template = runtime().template
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        items, total = find_warnings(
            connection,
            template,
            actor=actor(),
            sku=query_text("sku"),
            warehouse=query_text("warehouse"),
            level=query_choice("level", LEVELS),
            state=query_choice("state", STATES),
            page=page,
            per_page=per_page,
        )
    return jsonify(
        {
            "items": [warning_json(view, template) for view in items],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


@bp.get("/warnings/<int:warning_id>")
def get_one_warning(warning_id: int) -> Response:
    return jsonify(_detail(existing_id("warning", warning_id)))


def _detail(warning_id: int) -> dict[str, Any]:
    template = runtime().template
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        view = get_warning(connection, template, warning_id, actor())
        events = history(connection, warning_id)
    return {
        **warning_json(view, template),
        "history": [
            {"event": e.event, "at": e.at.isoformat(), "user": e.user, "comment": e.comment}
            for e in events
        ],
    }


def _visible(warning_id: int) -> None:
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        get_warning(connection, runtime().template, warning_id, actor())


@bp.post("/warnings/<int:warning_id>/acknowledge")
def acknowledge_warning(warning_id: int) -> Response:
    _visible(existing_id("warning", warning_id))
    fields = Fields(body(required=False), ("comment",))
    comment = fields.text("comment", max_length=2000)
    fields.check()
    with runtime().engine.begin() as connection:
        acknowledge(connection, warning_id, actor().username, comment)
    return jsonify(_detail(warning_id))


@bp.post("/warnings/<int:warning_id>/snooze")
def snooze_warning(warning_id: int) -> Response:
    _visible(existing_id("warning", warning_id))
    fields = Fields(body(), ("until", "comment"))
    raw = fields.text("until", required=True, max_length=64)
    comment = fields.text("comment", max_length=2000)
    until = _until(fields, raw)
    fields.check()
    assert until is not None
    with runtime().engine.begin() as connection:
        snooze(connection, warning_id, actor().username, until, comment)
    return jsonify(_detail(warning_id))


def _until(fields: Fields, raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        until = datetime.fromisoformat(raw)
    except ValueError:
        fields.fail("until", f"'{raw}' is not a date and time such as 2026-12-01T09:00:00+08:00")
        return None
    if until.tzinfo is None:
        fields.fail("until", "needs a UTC offset, such as 2026-12-01T09:00:00+08:00")
        return None
    now = datetime.now(UTC)
    if until <= now:
        fields.fail("until", "must be in the future")
    elif until - now > MAX_SNOOZE:
        fields.fail("until", "must be within a year")
    return until


# -- OpenAPI ----------------------------------------------------------------------------------


def schemas(template: Template) -> dict[str, Schema]:
    nullable_text: Schema = {"type": ["string", "null"]}
    nullable_moment: Schema = {"type": ["string", "null"], "format": "date-time"}
    warning: dict[str, Schema] = {
        "id": {"type": "integer"},
        "rule": {"type": "string"},
        "label": {"type": "string"},
        "level": {"enum": list(LEVELS)},
        "sku": {"type": "string"},
        "warehouse": {"type": "string"},
        "batch": nullable_text,
        "message": {"type": "string"},
        "state": {"enum": list(STATES)},
        "opened_at": TIMESTAMP,
        "closed_at": nullable_moment,
        "snoozed_until": nullable_moment,
        "acknowledged_by": nullable_text,
        "acknowledged_at": nullable_moment,
        "comment": nullable_text,
    }
    event = obj(
        {
            "event": {"enum": ["opened", "acknowledged", "snoozed", "reopened", "closed"]},
            "at": TIMESTAMP,
            "user": nullable_text,
            "comment": nullable_text,
        }
    )
    return {
        "Warning": obj(warning),
        "WarningPage": page_of("Warning"),
        "WarningDetail": obj({**warning, "history": {"type": "array", "items": event}}),
        "SnoozeInput": obj(
            {
                "until": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When the warning comes back if it still holds: in the "
                    "future, within a year, with a UTC offset.",
                },
                "comment": {"type": ["string", "null"], "maxLength": 2000},
            },
            required=["until"],
        ),
    }


def paths() -> dict[str, Schema]:
    """The warnings' paths of the OpenAPI document (openapi.py adds them)."""
    from .openapi import ID, PAGING, _links, _operation, _param, _query

    operation, query = _operation, _query
    warning_id = _param("warning_id", "path", ID)
    warning_links = _links("warning_id", "id", "getWarning", "acknowledgeWarning", "snoozeWarning")
    return {
        "/warnings": {
            "get": operation(
                "listWarnings",
                "Warnings the caller's roles are notified of, newest first.",
                (200, "WarningPage"),
                (422,),
                parameters=[
                    query("sku", "A SKU code (exact)."),
                    query("warehouse", "A warehouse code (exact)."),
                    query("level", f"One of {', '.join(LEVELS)}.", {"enum": list(LEVELS)}),
                    query("state", f"One of {', '.join(STATES)}.", {"enum": list(STATES)}),
                    *PAGING,
                ],
            )
        },
        "/warnings/{warning_id}": {
            "parameters": [warning_id],
            "get": operation(
                "getWarning",
                "One warning, with its history.",
                (200, "WarningDetail"),
                (404,),
                links=warning_links,
            ),
        },
        "/warnings/{warning_id}/acknowledge": {
            "parameters": [warning_id],
            "post": operation(
                "acknowledgeWarning",
                "Mark the warning seen, with an optional comment; it stays until its "
                "condition stops holding.",
                (200, "WarningDetail"),
                (400, 404, 409, 413, 422),
                body="Comment",
                body_required=False,
                write=True,
                links=warning_links,
            ),
        },
        "/warnings/{warning_id}/snooze": {
            "parameters": [warning_id],
            "post": operation(
                "snoozeWarning",
                "Hide the warning until a moment; it opens again then if it still holds.",
                (200, "WarningDetail"),
                (400, 404, 409, 413, 422),
                body="SnoozeInput",
                write=True,
                links=warning_links,
            ),
        },
    }
