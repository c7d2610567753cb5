"""Names the Jinja templates use: the template in force, the actor, labels of states,
transitions and quantities, the warehouses the actor works in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import gettext as _
from markupsafe import Markup

from ..documents.validate import FieldError
from ..spec.model import ALL, FormSpec, Warehouse
from .context import actor, template
from .i18n import label, say
from .linestock import scan_field, sku_field


def problems_said(errors: Sequence[FieldError], form: FormSpec | None = None) -> str:
    """A document's problems as one text in the current locale, fields named by their labels
    (when the form is known)."""
    said = []
    for error in errors:
        message = say(error.message)
        specs = {} if form is None else form.lines if error.line else form.fields
        spec = specs.get(error.field)
        name = label(spec.label) if spec is not None else error.field
        if error.line and name:
            said.append(
                _("line %(n)s, %(field)s: %(message)s", n=error.line, field=name, message=message)
            )
        elif error.line:
            said.append(_("line %(n)s: %(message)s", n=error.line, message=message))
        elif name:
            said.append(_("%(field)s: %(message)s", field=name, message=message))
        else:
            said.append(message)
    return "; ".join(said)


def state_label(form: FormSpec, state: str) -> str:
    workflow = template().workflows.get(form.workflow or "")
    spec = workflow.states.get(state) if workflow else None
    return label(spec.label) if spec else state.replace("_", " ").capitalize()


def transition_label(form: FormSpec, name: str) -> str:
    workflow = template().workflows.get(form.workflow or "")
    spec = workflow.transitions.get(name) if workflow else None
    if spec is not None:
        return label(spec.label)
    base, _, rest = name.partition(" (")  # "approve (1 of 2)" in the history
    found = workflow.transitions.get(base) if workflow else None
    return label(found.label) + (f" ({rest}" if rest else "") if found else name


def quantity_label(name: str) -> str:
    stock = template().stock
    spec = stock.quantities.get(name) or stock.buckets.get(name)
    return label(spec.label) if spec else name


def total_is_money(form: FormSpec, name: str) -> bool:
    """A total over money fields is shown as money (30.00)."""
    expr = form.totals[name]
    kinds = [
        (form.lines.get(ref[1]) if ref[0] == "lines" and len(ref) > 1 else form.fields.get(ref[0]))
        for ref in expr.references
    ]
    return any(spec is not None and spec.type == "money" for spec in kinds)


def warehouses() -> list[Warehouse]:
    """The warehouses the signed-in actor works in (admins and unlimited roles: all)."""
    found = actor()
    every = [w for w in template().warehouses.values() if w.active]
    if found is None or found.is_admin:
        return every
    roles = [template().roles[r] for r in found.roles if r in template().roles]
    if any(role.warehouses == ALL for role in roles):
        return every
    allowed = {code for role in roles for code in role.warehouses}
    return [w for w in every if w.code in allowed]


def page_url(page: int) -> str:
    """This page's address with another page number."""
    args = request.args.to_dict()
    args["page"] = str(page)
    return "?" + urlencode(args)


def sort_link(expr: str, text: str) -> Markup:
    """A column heading that orders by expr, then (clicked again) the other way round."""
    current = request.args.get("order", "").strip()
    args = request.args.to_dict()
    args.pop("page", None)
    arrow = {expr: " ▲", f"-{expr}": " ▼"}.get(current, "")
    args["order"] = f"-{expr}" if current == expr else expr
    return Markup('<a href="?{}">{}{}</a>').format(urlencode(args), text, arrow)


def globals_for_templates() -> dict[str, Any]:
    return {"tpl": template(), "actor": actor()}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        state_label=state_label,
        transition_label=transition_label,
        quantity_label=quantity_label,
        total_is_money=total_is_money,
        warehouses=warehouses,
        scan_field=scan_field,
        sku_field=sku_field,
        page_url=page_url,
        sort_link=sort_link,
    )
    app.context_processor(globals_for_templates)
