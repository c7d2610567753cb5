"""The SKU catalogue in the web UI: every SKU with its template fields, found by code or name;
admins add SKUs and change them, as the API lets them (code and precision stay once made)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..reports.export import Column, Kind, Table
from ..stock.catalog import SkuInvalid
from ..stock.errors import UnknownItem
from ..stock.service import Stock
from ..stock.sku_import import MAX_BYTES, ImportRefused, RowProblem, import_skus
from . import errors
from .auth import login_required
from .context import require_actor, runtime, template
from .editor import read_value
from .i18n import say
from .reports import download
from .values import input_value
from .warnings import after_sku_change

bp = Blueprint("catalogue", __name__)
errors.install(bp)

PER_PAGE = 50
EXPORT_MAX = 100_000  # SKUs in one exported file
TEXTS = ("name", "unit", "barcode")  # the built-in keys an admin types (code: once, precision)


def _stock() -> Stock:
    found = runtime()
    return Stock(found.engine, found.template, found.version_id)


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 100_000 else 1


@bp.get("/skus")
@login_required
def index(problems: list[str] | None = None) -> str:
    q = request.args.get("q", "").strip()
    page = _page_number(request.args.get("page"))
    items, total = _stock().skus(q=q or None, page=page, per_page=PER_PAGE)
    return render_template(
        "skus/index.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        q=q,
        fields=template().sku.fields,
        may_edit=require_actor().is_admin,
        problems=problems or [],
    )


@bp.get("/skus.<any(csv, xlsx):extension>")
@login_required
def export(extension: str) -> Response:
    """The SKUs the search finds, every column the import takes, named as it names them: a
    file to change in a spreadsheet and import again."""
    q = request.args.get("q", "").strip()
    items, _total = _stock().skus(q=q or None, page=1, per_page=EXPORT_MAX)
    columns = _columns()
    table = Table("SKUs", columns, [[_exported(item[c.key]) for c in columns] for item in items])
    return download(table, "skus", extension)


def _columns() -> list[Column]:
    kinds: dict[str, Kind] = {
        "money": "money",
        "decimal": "qty",
        "integer": "integer",
        "date": "date",
    }
    fields = template().sku.fields
    return [
        *(Column(key, key) for key in ("code", "name", "unit", "barcode")),
        Column("precision", "precision", "integer"),
        *(Column(name, name, kinds.get(spec.type, "text")) for name, spec in fields.items()),
    ]


def _exported(value: Any) -> Any:
    """A value as a cell holds it, and the import reads it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    return value


@bp.post("/skus/import")
@login_required
def import_file() -> Any:
    """A CSV file of SKUs: all of it added and changed, or nothing and every problem shown."""
    _require_admin()
    upload = request.files.get("file")
    data = upload.read(MAX_BYTES + 1) if upload is not None else b""
    try:
        with runtime().engine.begin() as connection:
            done = import_skus(connection, template(), data)
    except ImportRefused as exc:
        return index(problems=[_problem(p) for p in exc.problems]), 422
    after_sku_change(*done.codes)
    flash(
        _(
            "Imported: %(added)s SKUs added, %(changed)s changed.",
            added=done.added,
            changed=done.changed,
        )
    )
    return redirect(url_for(".index"))


def _problem(problem: RowProblem) -> str:
    message = say(problem.message)
    if problem.row and problem.column:
        return _(
            "row %(n)s, %(column)s: %(message)s",
            n=problem.row,
            column=problem.column,
            message=message,
        )
    if problem.row:
        return _("row %(n)s: %(message)s", n=problem.row, message=message)
    return message


@bp.route("/skus/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    _require_admin()
    sku = template().sku
    defaults = {n: s.default for n, s in sku.fields.items() if not hasattr(s.default, "source")}
    shown = _shown({"unit": sku.unit, "precision": sku.precision, **defaults})
    if request.method == "POST":
        raw = _posted(request.form, new=True)
        try:
            _stock().create_sku(**raw)
        except SkuInvalid as exc:
            return _editor(None, {**shown, **_shown(raw)}, exc.errors, 422)
        after_sku_change(raw["code"])
        flash(_("SKU %(code)s added.", code=raw["code"]))
        return redirect(url_for(".index", q=raw["code"]))
    return _editor(None, shown, {}, 200)


@bp.route("/skus/<code>/edit", methods=["GET", "POST"])
@login_required
def edit(code: str) -> Any:
    _require_admin()
    engine = _stock()
    try:
        shown = _shown(engine.sku(code))
    except UnknownItem:
        abort(404)
    if request.method == "POST":
        changes = _posted(request.form, new=False)
        try:
            engine.update_sku(code, changes)
        except SkuInvalid as exc:
            return _editor(code, {**shown, **_shown(changes)}, exc.errors, 422)
        after_sku_change(code)
        flash(_("SKU %(code)s saved.", code=code))
        return redirect(url_for(".index", q=code))
    return _editor(code, shown, {}, 200)


def _require_admin() -> None:
    if not require_actor().is_admin:
        abort(403)


def _posted(form: MultiDict[str, str], *, new: bool) -> dict[str, Any]:
    """The SKU's values as posted: text as typed, a multiple choice as its list, a checkbox as
    checked or not; a template field the page did not send is left as it is."""
    raw: dict[str, Any] = {key: form.get(key, "").strip() for key in TEXTS}
    if new:
        raw["code"] = form.get("code", "").strip()
        precision = form.get("precision", "").strip()
        raw["precision"] = int(precision) if precision.isdigit() else precision
    for name, spec in template().sku.fields.items():
        present, value = read_value(form, name, spec)
        if present:
            raw[name] = value
    return raw


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the page's inputs hold them."""
    fields = template().sku.fields
    return {
        key: input_value(fields[key], value) if key in fields else "" if value is None else value
        for key, value in values.items()
    }


def _editor(code: str | None, shown: dict[str, Any], refused: dict[str, str], status: int) -> Any:
    said = {key: say(message) for key, message in refused.items()}
    page = render_template(
        "skus/edit.html",
        code=code,
        shown=shown,
        refused=said,
        fields=template().sku.fields,
        precisions=range(4),
    )
    return page, status
