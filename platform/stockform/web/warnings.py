"""The warnings page (filter by level and state; acknowledge or snooze with a comment), the
badge in the top bar with the open warnings for the reader's roles, and the evaluation of
the rows a document touched once its answer is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    after_this_request,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..db import READ_ONLY
from ..rules import hooks
from ..rules.actions import WarningStateError, acknowledge, snooze
from ..rules.listing import WarningView, count_open, find_warnings, get_warning
from ..rules.messages import render
from ..rules.tables import STATES
from ..spec.model import Level
from ..spec.phrases import message_of
from . import errors
from .auth import login_required
from .context import actor, require_actor, runtime, template
from .i18n import current_locale, label, say

bp = Blueprint("warnings", __name__)
errors.install(bp)
PER_PAGE = 50
LEVELS = tuple(level.value for level in Level)
# How long a warning may be snoozed from this page.
SNOOZES = {
    "4h": timedelta(hours=4),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
}


def later(work: Callable[[], object]) -> None:
    """Run work once the answer has been sent (at once outside a request)."""
    if not has_request_context():
        work()
        return

    @after_this_request
    def schedule(response: Response) -> Response:
        response.call_on_close(work)
        return response


def after_document(form: str, doc_id: int) -> None:
    """Documents' after_commit: evaluate the rows the document's movements touched."""
    rt = runtime()
    if not rt.template.stock.warnings:
        return
    engine, tpl = rt.engine, rt.template
    zone = current_app.config.get("STOCKFORM_TIMEZONE")
    later(lambda: hooks.after_document(engine, tpl, form, doc_id, timezone=zone))


def after_sku_change(*codes: str) -> None:
    """Evaluate every row of the SKUs whose fields changed."""
    rt = runtime()
    if not rt.template.stock.warnings:
        return
    engine, tpl = rt.engine, rt.template
    zone = current_app.config.get("STOCKFORM_TIMEZONE")
    later(lambda: hooks.after_skus(engine, tpl, codes, timezone=zone))


def message(view: WarningView) -> str:
    """The warning's message in the reader's language, with the template's labels."""
    rule = template().stock.warnings.get(view.rule)
    if rule is None:
        return view.message
    return render(template(), rule, view.placeholders, current_locale())


def rule_label(view: WarningView) -> str:
    rule = template().stock.warnings.get(view.rule)
    return label(rule.label) if rule else view.rule


def open_warnings() -> int:
    """How many open warnings the signed-in reader is notified of (once per request)."""
    found = actor()
    if found is None:
        return 0
    if "sf_open_warnings" not in g:
        with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
            g.sf_open_warnings = count_open(connection, template(), found)
    count: int = g.sf_open_warnings
    return count


@bp.get("/warnings")
@login_required
def index() -> str:
    args = request.args
    level = args.get("level", "") if args.get("level") in LEVELS else ""
    state = args.get("state", "open")
    state = state if state in STATES else ""
    warehouse = args.get("warehouse", "").strip()
    sku = args.get("sku", "").strip()
    page_number = int(args["page"]) if args.get("page", "").isdigit() else 1
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        items, total = find_warnings(
            connection,
            template(),
            actor=require_actor(),
            sku=sku or None,
            warehouse=warehouse or None,
            level=level or None,
            state=state or None,
            page=page_number,
            per_page=PER_PAGE,
        )
    return render_template(
        "warnings.html",
        items=items,
        total=total,
        page=page_number,
        pages=max(1, -(-total // PER_PAGE)),
        args={"level": level, "state": state, "warehouse": warehouse, "sku": sku},
        levels=LEVELS,
        states=STATES,
        snoozes=SNOOZES,
        level_names={"info": _("Info"), "warning": _("Warning"), "critical": _("Critical")},
        state_names={
            "open": _("Open"),
            "acknowledged": _("Acknowledged"),
            "snoozed": _("Snoozed"),
            "closed": _("Closed"),
        },
        snooze_names={
            "4h": _("4 hours"),
            "1d": _("1 day"),
            "3d": _("3 days"),
            "7d": _("7 days"),
        },
        message=message,
        rule_label=rule_label,
    )


def _back() -> Any:
    target = request.form.get("next") or ""
    if not target.startswith("/warnings"):
        target = url_for("warnings.index")
    return redirect(target)


def _visible(warning_id: int) -> WarningView:
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        return get_warning(connection, template(), warning_id, require_actor())


@bp.post("/warnings/<int:warning_id>/acknowledge")
@login_required
def acknowledge_one(warning_id: int) -> Any:
    _visible(warning_id)
    comment = (request.form.get("comment") or "").strip()[:2000] or None
    try:
        with runtime().engine.begin() as connection:
            acknowledge(connection, warning_id, require_actor().username, comment)
    except WarningStateError as exc:
        flash(say(message_of(exc)))
    else:
        flash(_("Warning acknowledged."))
    return _back()


@bp.post("/warnings/<int:warning_id>/snooze")
@login_required
def snooze_one(warning_id: int) -> Any:
    _visible(warning_id)
    comment = (request.form.get("comment") or "").strip()[:2000] or None
    span = SNOOZES.get(request.form.get("for", ""), SNOOZES["1d"])
    until = datetime.now(UTC) + span
    try:
        with runtime().engine.begin() as connection:
            snooze(connection, warning_id, require_actor().username, until, comment)
    except WarningStateError as exc:
        flash(say(message_of(exc)))
    else:
        flash(_("Warning snoozed."))
    return _back()


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(open_warnings=open_warnings)
