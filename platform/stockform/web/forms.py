"""Document pages per form: list, new, edit, detail and workflow actions.

Every refusal of the documents layer is shown on the page next to what caused it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..db import READ_ONLY
from ..documents.errors import Forbidden, InvalidTransition
from ..documents.validate import FieldError, ValidationFailed
from ..documents.workflow import editable
from ..spec.model import ALL, FormSpec
from ..spec.phrases import message_of
from ..stock.errors import InsufficientStock
from . import editor, errors
from .auth import login_required
from .context import documents, require_actor, runtime, template, zone
from .helpers import problems_said, state_label, transition_label
from .i18n import current_locale
from .listing import PER_PAGE, Filters, list_documents

bp = Blueprint("forms", __name__, url_prefix="/forms")
errors.install(bp)


def form_for(form_id: str, grant: str) -> FormSpec:
    form = documents().form(form_id)  # NotFound: a 404 page
    if not documents().may(require_actor(), form_id, grant):
        raise Forbidden(_("Your roles may not %(grant)s these documents.", grant=_(grant)))
    return form


def editor_page(
    form: FormSpec,
    posted: editor.Posted,
    *,
    status: int = 200,
    doc: Any = None,
    errors: list[FieldError] | None = None,
    editable_fields: editor.Editable = ALL,
) -> tuple[str, int]:
    today = datetime.now(zone()).date()
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        view = editor.build(
            connection,
            template(),
            form,
            posted,
            today=today,
            locale=current_locale(),
            editable=editable_fields,
            errors=errors,
        )
    return render_template("forms/edit.html", form=form, view=view, doc=doc), status


def _saved_rows(posted: editor.Posted, form: FormSpec) -> editor.Posted:
    """The rows worth saving (blank ones dropped); at least one row stays on the page."""
    kept = [r for r in posted.rows if not editor.is_blank(form, r)]
    return editor.Posted(posted.fields, kept)


def _refused(form: FormSpec, posted: editor.Posted, exc: Exception, **page: Any) -> tuple[str, int]:
    if isinstance(exc, ValidationFailed):
        return editor_page(form, posted, status=422, errors=exc.errors, **page)
    if isinstance(exc, Forbidden):
        where = next((n for n, s in form.fields.items() if s.type == "warehouse"), "")
        field = where if "warehouse" in str(exc) else ""
        refusal = [FieldError(field, message_of(exc))]
        return editor_page(form, posted, status=403, errors=refusal, **page)
    return editor_page(form, posted, status=409, errors=[FieldError("", message_of(exc))], **page)


@bp.get("/<form_id>/")
@login_required
def index(form_id: str) -> str:
    form = form_for(form_id, "read")
    filters, problems = Filters.from_args(request.args)
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        items, total = list_documents(connection, form_id, filters, zone())
    workflow = template().workflows.get(form.workflow or "")
    return render_template(
        "forms/list.html",
        form=form,
        workflow=workflow,
        items=items,
        total=total,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        problems=problems,
        may_create=documents().may(require_actor(), form_id, "create"),
    )


@bp.route("/<form_id>/new", methods=["GET", "POST"])
@login_required
def new(form_id: str) -> Any:
    form = form_for(form_id, "create")
    if request.method == "GET":
        return editor_page(form, editor.Posted({}, [editor.Row(editor.new_key(), None, {})]))
    posted = _saved_rows(editor.parse(form, request.form), form)
    try:
        doc = documents().create(
            form_id,
            editor.compact(posted.fields),
            [editor.compact(r.raw) for r in posted.rows],
            require_actor(),
        )
    except (ValidationFailed, Forbidden, InvalidTransition) as exc:
        return _refused(form, posted, exc)
    flash(_("Saved %(number)s.", number=doc.number))
    return redirect(url_for(".detail", form_id=form_id, doc_id=doc.id))


@bp.route("/<form_id>/<int:doc_id>/edit", methods=["GET", "POST"])
@login_required
def edit(form_id: str, doc_id: int) -> Any:
    form = form_for(form_id, "create")
    docs, actor = documents(), require_actor()
    doc = docs.get(doc_id, actor)
    if doc.form != form_id:
        abort(404)
    allowed = editable(template().workflows.get(form.workflow or ""), doc.state)
    if allowed != ALL and not allowed:
        flash(_("Nothing can be changed in this state."))
        return redirect(url_for(".detail", form_id=form_id, doc_id=doc_id))
    page = {"doc": doc, "editable_fields": allowed}
    if request.method == "GET":
        posted = editor.Posted(
            editor.stored_fields(form, doc.fields), editor.stored_rows(form, doc.lines)
        )
        return editor_page(form, posted, **page)
    posted = editor.parse(form, request.form)
    stored = {line["id"] for line in doc.lines}
    for row in posted.rows:
        if row.id not in stored:
            row.id = None  # a line of another document, or a forged id: treated as new
    if allowed == ALL:
        posted = _saved_rows(posted, form)
        fields = {k: (v if v not in ("", []) else None) for k, v in posted.fields.items()}
        lines = [{**editor.compact(r.raw), **({"id": r.id} if r.id else {})} for r in posted.rows]
        changes = {"fields": fields, "lines": lines, "replace_lines": True}
    else:
        fields = {k: v or None for k, v in posted.fields.items() if k in allowed}
        lines = [
            {"id": r.id, **{k: v or None for k, v in r.raw.items() if k in allowed}}
            for r in posted.rows
            if r.id is not None
        ]
        changes = {"fields": fields, "lines": lines}
    try:
        docs.update(doc_id, actor, **changes)
    except (ValidationFailed, Forbidden, InvalidTransition) as exc:
        return _refused(form, posted, exc, **page)
    flash(_("Saved %(number)s.", number=doc.number))
    return redirect(url_for(".detail", form_id=form_id, doc_id=doc_id))


def detail_page(
    form: FormSpec, doc_id: int, *, status: int = 200, refusal: dict[str, Any] | None = None
) -> tuple[str, int]:
    docs, actor = documents(), require_actor()
    doc = docs.get(doc_id, actor)
    if doc.form != form.id:
        abort(404)
    workflow = template().workflows.get(form.workflow or "")
    allowed = editable(workflow, doc.state)
    transitions = (
        [workflow.transitions[t] for t in docs.transitions_for(doc, actor)] if workflow else []
    )
    return (
        render_template(
            "forms/detail.html",
            form=form,
            doc=doc,
            workflow=workflow,
            history=docs.history(doc_id),
            transitions=transitions,
            locks=docs.locks(doc_id, actor),
            # Locks a count would cut are named before anyone confirms it.
            cuts={t.name: docs.cuts(doc_id, t.name, actor) for t in transitions},
            may_edit=docs.may(actor, form.id, "create") and (allowed == ALL or bool(allowed)),
            refusal=refusal or {},
        ),
        status,
    )


@bp.get("/<form_id>/<int:doc_id>")
@login_required
def detail(form_id: str, doc_id: int) -> tuple[str, int]:
    return detail_page(form_for(form_id, "read"), doc_id)


@bp.post("/<form_id>/<int:doc_id>/act")
@login_required
def act(form_id: str, doc_id: int) -> Any:
    form = form_for(form_id, "read")
    name = request.form.get("transition", "")
    comment = request.form.get("comment", "").strip() or None
    try:
        doc = documents().act(doc_id, name, require_actor(), comment)
    except InsufficientStock as exc:
        shortages = {s.line_id: s for s in exc.shortages}
        refusal = {"transition": name, "message": str(exc), "shortages": shortages}
        return detail_page(form, doc_id, status=409, refusal=refusal)
    except (InvalidTransition, Forbidden) as exc:
        status = 403 if isinstance(exc, Forbidden) else 409
        on_comment = "comment" in str(exc)
        refusal = {"transition": name, "message": message_of(exc), "comment": on_comment}
        return detail_page(form, doc_id, status=status, refusal=refusal)
    except ValidationFailed as exc:
        # The document would not hold in the state the action leads to (a check of that
        # state, a line not filled in): say what, on the document's page.
        refusal = {"transition": name, "message": problems_said(exc.errors, form)}
        return detail_page(form, doc_id, status=422, refusal=refusal)
    flash(
        _(
            "Done: %(action)s. The document is now %(state)s.",
            action=transition_label(form, name),
            state=state_label(form, doc.state),
        )
    )
    return redirect(url_for(".detail", form_id=form_id, doc_id=doc_id))
