"""The replenishment page: what to order and transfer per SKU and warehouse (computed by
`stockform.rules.replenishment`), draft documents from the rows a user checks, and applying a
suggested safety stock to its SKU.

The page is for admins and for users whose roles may create the order form or the transfer
form; applying a safety stock changes a SKU, which only admins may do (as in the API).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from ..db import READ_ONLY
from ..documents.errors import DocumentError, Forbidden
from ..documents.service import DocumentView
from ..documents.users import Actor
from ..documents.validate import ValidationFailed
from ..reports.scope import categories, has_categories
from ..rules.replenishment import (
    Filter,
    Pick,
    Plan,
    ReplenishmentError,
    apply_safety_stock,
    draft_documents,
    plan,
)
from ..rules.replenishment import may_replenish as roles_may_replenish
from ..spec.numbers import NumberError, read_number
from ..spec.phrases import message_of
from ..stock.errors import StockError
from ..stock.units import QuantityError
from . import errors
from .auth import login_required
from .context import actor, documents, require_actor, runtime, template
from .helpers import problems_said
from .i18n import label, say
from .report_tables import category_label
from .values import number
from .warnings import after_sku_change

bp = Blueprint("replenishment", __name__)
errors.install(bp)
MAX_ROWS_SHOWN = 500  # rows the page draws; "drafts for all suggestions" takes every row
FILTERS = ("warehouse", "category", "sku")


def may_replenish(user: Actor | None) -> bool:
    """Admins, and users whose roles may create the order form or the transfer form."""
    return user is not None and roles_may_replenish(documents(), user)


def may_set_safety_stock(user: Actor | None) -> bool:
    """Changing a SKU's field is for admins, as `PATCH /api/v1/skus/<code>` decides."""
    return user is not None and user.is_admin


def show_link() -> bool:
    """The top bar's Replenishment link: the template replenishes and the reader may act."""
    return template().stock.replenishment is not None and may_replenish(actor())


def _page_user() -> Actor:
    user = require_actor()
    if not may_replenish(user):
        raise Forbidden(_("Your roles may not create order or transfer documents."))
    return user


def _filters(args: MultiDict[str, str]) -> tuple[Filter, bool]:
    def text(name: str) -> str | None:
        return args.get(name, "").strip() or None

    # The checkbox follows a hidden "0", so the last value is the box's; on by default.
    needing_action = (args.getlist("needs_action") or ["1"])[-1] == "1"
    return Filter(text("sku"), text("warehouse"), text("category")), needing_action


def _plan(which: Filter, needing_action: bool) -> Plan:
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        return plan(connection, template(), datetime.now(UTC), which, needing_action)


@bp.get("/replenishment")
@login_required
def index() -> tuple[str, int]:
    user = _page_user()
    which, needing_action = _filters(request.args)
    found: Plan | None = None
    problem = None
    try:
        found = _plan(which, needing_action)
    except ReplenishmentError as exc:
        problem = exc.message
    tpl = template()
    return (
        render_template(
            "replenishment/index.html",
            plan=found,
            problem=problem,
            shown=MAX_ROWS_SHOWN,
            args={name: request.args.get(name, "").strip() for name in FILTERS},
            needs_action=needing_action,
            categories=categories(tpl) if has_categories(tpl) else [],
            category_label=lambda value: category_label(tpl, value),
            may_apply=may_set_safety_stock(user),
            here=request.full_path.rstrip("?"),
        ),
        400 if problem else 200,
    )


@contextmanager
def _refusals_as_messages() -> Iterator[list[str]]:
    """Collect what the core refuses as messages for the page (the list stays empty when
    nothing was refused)."""
    messages: list[str] = []
    try:
        yield messages
    except ReplenishmentError as exc:
        messages.append(exc.message)
    except ValidationFailed as exc:
        messages.append(problems_said(exc.errors))
    except (DocumentError, StockError, QuantityError) as exc:
        messages.append(say(message_of(exc)))


def _back() -> Any:
    target = request.form.get("next") or ""
    if not target.startswith("/replenishment"):
        target = url_for("replenishment.index")
    return redirect(target)


def _quantity(raw: str, what: str) -> Decimal:
    try:
        qty: Decimal | None = read_number(raw)
    except NumberError:
        qty = None
    if qty is None or qty <= 0:
        message = _("%(row)s: '%(value)s' is not a quantity above 0", row=what, value=raw)
        raise ReplenishmentError("qty", message)
    return qty


def _checked_picks(form: MultiDict[str, str]) -> list[Pick]:
    """The rows the user checked, each with the quantity in its box."""
    picks = []
    for key in form.getlist("pick"):
        sku, warehouse = form.get(f"sku.{key}", ""), form.get(f"warehouse.{key}", "")
        source = form.get(f"from.{key}") or None
        row = f"{sku} {source} → {warehouse}" if source else f"{sku} @ {warehouse}"
        picks.append(Pick(sku, warehouse, _quantity(form.get(f"qty.{key}", ""), row), source))
    return picks


def _every_suggestion(form: MultiDict[str, str]) -> list[Pick]:
    """Every transfer and order the plan for the page's filters suggests, as suggested."""
    which, _needing_action = _filters(form)
    found = _plan(which, True)
    moves = [Pick(t.sku, t.to_warehouse, t.qty, t.from_warehouse) for t in found.transfers]
    orders = [Pick(s.sku, s.warehouse, s.order_qty) for s in found.suggestions if s.order_qty > 0]
    return [*moves, *orders]


def _link(view: DocumentView) -> Markup:
    form = template().forms.get(view.form)
    name = label(form.label) if form else view.form
    url = url_for("forms.detail", form_id=view.form, doc_id=view.id)
    return Markup('<a href="{}">{} {}</a>').format(url, name, view.number)


@bp.post("/replenishment/drafts")
@login_required
def drafts() -> Any:
    user = _page_user()
    created: list[DocumentView] = []
    with _refusals_as_messages() as refused:
        form = request.form
        picks = _every_suggestion(form) if form.get("all") else _checked_picks(form)
        if not picks:
            raise ReplenishmentError(None, _("Nothing to draft: check a suggestion first."))
        created = draft_documents(documents(), picks, user)
    for message in refused:
        flash(message)
    if refused:
        return _back()
    links = Markup(", ").join(_link(view) for view in created)
    flash(Markup(_("Draft documents created: %(links)s", links=links)))
    if len(created) == 1:
        return redirect(url_for("forms.detail", form_id=created[0].form, doc_id=created[0].id))
    return _back()


@bp.post("/replenishment/safety-stock")
@login_required
def safety_stock() -> Any:
    user = require_actor()
    if not may_set_safety_stock(user):
        abort(403)
    sku, raw = request.form.get("sku", "").strip(), request.form.get("value", "").strip()
    try:
        value: Decimal | None = read_number(raw)
    except NumberError:
        value = None
    if value is None or value < 0:
        flash(_("'%(value)s' is not a safety stock: give a number of 0 or more.", value=raw))
        return _back()
    with _refusals_as_messages() as refused:
        with runtime().engine.begin() as connection:
            apply_safety_stock(connection, template(), sku, value, user)
    for message in refused:
        flash(message)
    if not refused:
        after_sku_change(sku)
        flash(_("Safety stock of %(sku)s set to %(value)s.", sku=sku, value=number(value)))
    return _back()


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(replenishment_link=show_link)
