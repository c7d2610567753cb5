"""htmx partials of the document editor: recompute as the user types, re-render a line, add a
scanned SKU, search SKUs. Every value is computed on the server by `evaluate()`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, make_response, render_template, request
from flask_babel import gettext as _

from ..db import READ_ONLY
from ..spec.model import FormSpec
from ..spec.numbers import NumberError, read_number
from . import editor, errors
from .auth import login_required
from .context import runtime, template, zone
from .forms import form_for
from .i18n import current_locale
from .linestock import scan_field
from .skus import scanned, search

bp = Blueprint("live", __name__)
errors.install(bp)
# After a line is added or changed, the form recomputes totals and live stock.
RECOMPUTE = {"HX-Trigger-After-Settle": "recompute"}


def _build(form: FormSpec, posted: editor.Posted, *, live: bool = True) -> editor.EditorView:
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        return editor.build(
            connection,
            template(),
            form,
            posted,
            today=datetime.now(zone()).date(),
            locale=current_locale(),
            live=live,
        )


@bp.post("/forms/<form_id>/live/recompute")
@login_required
def recompute(form_id: str) -> str:
    """Computed cells, totals, problems, shown fields and live stock, as out-of-band swaps."""
    form = form_for(form_id, "create")
    view = _build(form, editor.parse(form, request.form))
    return render_template("forms/_live.html", form=form, view=view)


@bp.post("/forms/<form_id>/live/row")
@login_required
def row(form_id: str) -> Response:
    """A new line (`new`), or one line again after its SKU (`changed`) changed."""
    form = form_for(form_id, "create")
    posted = editor.parse(form, request.form)
    if request.form.get("new"):
        key = editor.new_key()
        posted.rows.append(editor.Row(key, None, {}))
    else:
        key = request.form.get("row", "")
        changed = request.form.get("changed", "")
        for found in posted.rows:
            if found.key == key and changed in form.lines:
                editor.reset_defaults(form, found, changed)
    found = next((r for r in posted.rows if r.key == key), None)
    if found is None:
        return make_response("", 204)
    # Only this line is drawn; the recompute that follows updates the totals.
    view = _build(form, editor.Posted(posted.fields, [found]))
    html = render_template("forms/_rows.html", form=form, view=view, rows=view.rows, oob=None)
    return make_response(html, 200, RECOMPUTE)


def _bump(value: Any) -> str:
    try:
        return str(read_number(str(value or "0")) + 1)
    except NumberError:
        return "1"


def _quantity_field(form: FormSpec) -> str | None:
    if "qty" in form.lines:
        return "qty"
    numbers = ("decimal", "integer")
    return next((n for n, s in form.lines.items() if s.type in numbers and not s.compute), None)


@bp.post("/forms/<form_id>/live/scan")
@login_required
def scan(form_id: str) -> Response:
    """A scanned code + Enter: add a line for it, or one more of it on the line it is on."""
    form = form_for(form_id, "create")
    posted = editor.parse(form, request.form)
    code = request.form.get("scan", "").strip()
    target, qty = scan_field(form), _quantity_field(form)
    if not code or target is None:
        return _scan_message("")
    value: str | None = code
    if form.lines[target].type == "sku":
        with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
            value = scanned(connection, template(), code)
        if value is None:
            return _scan_message(_("No SKU has the code or barcode %(code)s.", code=code), True)
    on_line = next((r for r in posted.rows if r.raw.get(target) == value), None)
    if on_line is not None and qty is not None:
        on_line.raw[qty] = _bump(on_line.raw.get(qty))
        changed, oob = on_line, "true"
    else:
        blank = next((r for r in posted.rows if editor.is_blank(form, r)), None)
        changed = blank or editor.Row(editor.new_key(), None, {})
        changed.raw = {target: value, **({qty: "1"} if qty else {})}
        oob = "true" if blank else "beforeend:#lines-body"
        if blank is None:
            posted.rows.append(changed)
    view = _build(form, editor.Posted(posted.fields, [changed]))
    shown = view.rows
    message = _("%(code)s: %(qty)s", code=value, qty=changed.raw.get(qty, "")) if qty else value
    html = render_template(
        "forms/_rows.html", form=form, view=view, rows=shown, oob=oob
    ) + render_template("forms/_scan_message.html", message=message, error=False)
    return make_response(html, 200, RECOMPUTE)


def _scan_message(message: str, error: bool = False) -> Response:
    return make_response(
        render_template("forms/_scan_message.html", message=message, error=error), 200
    )


@bp.get("/live/skus")
@login_required
def skus() -> str:
    """Options for the SKU picker: SKUs whose code, name or barcode contains the text typed."""
    text = request.args.get("q") or next(iter(request.args.values()), "")
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        found = search(connection, template(), text)
    return render_template("forms/_sku_options.html", skus=found)
