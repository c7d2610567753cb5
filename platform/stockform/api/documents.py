"""Documents of the template's forms: create, list, read, change, act (take a transition)."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..documents.errors import Forbidden
from ..documents.service import Documents, DocumentView
from ..spec.issues import did_you_mean
from ..spec.model import FormSpec
from .context import (
    actor,
    body,
    bp,
    documents,
    existing_id,
    jsonify,
    paging,
    query_text,
    takes_query,
)
from .errors import ApiError
from .inputs import Fields


def document_json(docs: Documents, view: DocumentView) -> dict[str, Any]:
    """The document, with the actions the caller may take on it now."""
    data = view.as_json()
    data["actions"] = docs.transitions_for(view, actor())
    return data


def _form(docs: Documents, form_id: str, grant: str) -> FormSpec:
    form = docs.form(form_id)
    if not docs.may(actor(), form_id, grant):
        raise Forbidden(f"your roles may not {grant} {form_id} documents")
    return form


def _view(docs: Documents, form_id: str, doc_id: int) -> DocumentView:
    _form(docs, form_id, "read")
    view = docs.get(existing_id(f"{form_id} document", doc_id))
    if view.form != form_id:
        raise ApiError("not_found", f"no {form_id} document {doc_id}")
    return view


def _lines(fields: Fields, form: FormSpec, *, ids: bool) -> list[dict[str, Any]] | None:
    if "lines" not in fields.values:
        return None
    lines = fields.values["lines"]
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        fields.fail("lines", "must be a list of objects, one per line")
        return None
    for number, line in enumerate(lines, start=1):
        line_id = line.get("id")
        if not ids and "id" in line:
            fields.fail(f"lines[{number}].id", "a new document's lines have no id yet")
        elif line_id is not None and (isinstance(line_id, bool) or not isinstance(line_id, int)):
            fields.fail(f"lines[{number}].id", "must be the id of one of the document's lines")
        for name in line:
            if name in form.lines and form.lines[name].compute is not None:
                fields.fail(f"lines[{number}].{name}", "is computed; it cannot be set")
    return lines


def _header(fields: Fields) -> dict[str, Any]:
    if "fields" not in fields.values:
        return {}
    values = fields.values["fields"]
    if not isinstance(values, dict):
        fields.fail("fields", "must be an object of field names and values")
        return {}
    return values


@bp.post("/documents/<form_id>")
def create_document(form_id: str) -> Response:
    docs = documents()
    form = _form(docs, form_id, "create")
    fields = Fields(body(), ("fields", "lines"))
    header, lines = _header(fields), _lines(fields, form, ids=False)
    fields.check()
    view = docs.create(form_id, header, lines or [], actor())
    return jsonify(document_json(docs, view), 201)


@bp.get("/documents/<form_id>")
@takes_query("state", "number", "q", "warehouse", "page", "per_page")
def list_documents(form_id: str) -> Response:
    docs = documents()
    page, per_page = paging()
    views, total = docs.search(
        form_id,
        actor(),
        state=query_text("state"),
        number=query_text("number"),
        q=query_text("q"),
        warehouse=query_text("warehouse"),
        page=page,
        per_page=per_page,
    )
    return jsonify(
        {
            "items": [document_json(docs, view) for view in views],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


@bp.get("/documents/<form_id>/<int:doc_id>")
def get_document(form_id: str, doc_id: int) -> Response:
    docs = documents()
    return jsonify(document_json(docs, _view(docs, form_id, doc_id)))


@bp.patch("/documents/<form_id>/<int:doc_id>")
def update_document(form_id: str, doc_id: int) -> Response:
    docs = documents()
    form = _form(docs, form_id, "create")
    _view(docs, form_id, doc_id)
    fields = Fields(body(), ("fields", "lines"))
    header, lines = _header(fields), _lines(fields, form, ids=True)
    for name in header:
        if name not in form.fields:
            hint = did_you_mean(name, form.fields)
            fields.fail(name, "no such field" + (f" ({hint})" if hint else ""))
        elif form.fields[name].compute is not None:
            fields.fail(name, "is computed; it cannot be set")
    fields.check()
    view = docs.update(doc_id, actor(), header, lines)
    return jsonify(document_json(docs, view))


@bp.post("/documents/<form_id>/<int:doc_id>/actions/<transition>")
def act_on_document(form_id: str, doc_id: int, transition: str) -> Response:
    docs = documents()
    form = docs.form(form_id)
    workflow = docs.template.workflows.get(form.workflow or "")
    if workflow is None or transition not in workflow.transitions:
        known = workflow.transitions if workflow else []
        hint = did_you_mean(transition, known)
        raise ApiError(
            "not_found", f"{form_id} has no action '{transition}'" + (f" ({hint})" if hint else "")
        )
    _view(docs, form_id, doc_id)
    fields = Fields(body(required=False), ("comment",))
    comment = fields.text("comment", max_length=2000)
    fields.check()
    view = docs.act(doc_id, transition, actor(), comment)
    return jsonify(document_json(docs, view))
