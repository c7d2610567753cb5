"""The report pages under /reports/: filters (period, warehouse, category…), a table, and the
same table as CSV or XLSX (`/reports/NAME.csv`, `/reports/NAME.xlsx`, with the page's query).

Every figure comes from `stockform.reports`; this module only reads the query, names the
columns in the reader's language and draws the table (`report_tables.py` builds the tables).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from ..db import READ_ONLY
from ..reports.errors import ReportError
from ..reports.export import CSV_TYPE, XLSX_TYPE, Column, Table, to_csv, to_xlsx
from ..reports.scope import categories, groups, has_categories
from ..reports.stockouts import default_quantity
from . import errors
from .auth import login_required
from .charts import trend_chart
from .context import runtime, template
from .report_tables import PAGES, Query, category_label
from .values import money, number

bp = Blueprint("reports", __name__, url_prefix="/reports")
errors.install(bp)
MAX_ROWS_SHOWN = 500  # the page shows this many rows; the exports have them all


def read_query() -> Query:
    """The filters of the page's query string; ReportError for a value that cannot be one."""
    args = request.args

    def text(name: str) -> str | None:
        value = args.get(name, "").strip()
        return value or None

    def day(name: str) -> date | None:
        raw = text(name)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ReportError(name, _("'%(value)s' is not a date", value=raw)) from None

    def whole(name: str) -> int | None:
        raw = text(name)
        if raw is None:
            return None
        if not raw.isdigit() or not 0 < int(raw) <= 3660:
            raise ReportError(name, _("'%(value)s' is not a number of days", value=raw))
        return int(raw)

    return Query(
        first=day("from"),
        last=day("to"),
        day=day("date"),
        sku=text("sku"),
        warehouse=text("warehouse"),
        category=text("category"),
        group=text("group") or "sku",
        days=whole("days"),
        quantity=text("quantity"),
    )


def _build(name: str) -> tuple[Table | None, str | None]:
    page = PAGES.get(name)
    if page is None:
        abort(404)
    try:
        query = read_query()
        with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
            return page.build(connection, template(), query), None
    except ReportError as exc:
        return None, exc.message


def cell(value: Any, column: Column) -> str:
    """A value as the page shows it."""
    if value is None:
        return "—" if column.kind in ("ratio", "days") else ""
    if column.kind == "money" and isinstance(value, Decimal):
        return money(value)
    if column.kind == "percent" and isinstance(value, Decimal):
        return f"{number(value)}%"
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _export_url(name: str, extension: str) -> str:
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if v])
    return f"/reports/{name}.{extension}" + (f"?{query}" if query else "")


@bp.get("/")
@login_required
def index() -> str:
    return render_template("reports/index.html", pages=PAGES)


@bp.get("/<name>")
@login_required
def show(name: str) -> tuple[str, int]:
    table, problem = _build(name)
    return (
        render_template(
            "reports/report.html",
            name=name,
            page=PAGES[name],
            table=table,
            problem=problem,
            shown=MAX_ROWS_SHOWN,
            cell=cell,
            args=request.args,
            groups=groups(template()),
            categories=categories(template()) if has_categories(template()) else [],
            category_label=lambda value: category_label(template(), value),
            quantities=[*template().stock.quantities, *template().stock.buckets],
            default_quantity=default_quantity(template()),
            chart=trend_chart(table) if name == "stock-trend" and table else None,
            csv_url=_export_url(name, "csv"),
            xlsx_url=_export_url(name, "xlsx"),
        ),
        400 if problem else 200,
    )


@bp.get("/<name>.<any(csv, xlsx):extension>")
@login_required
def export(name: str, extension: str) -> Response:
    table, problem = _build(name)
    if table is None:
        return Response(problem or "", status=400, mimetype="text/plain")
    return download(table, name, extension)


def download(table: Table, name: str, extension: str) -> Response:
    """table as a file to save, `name.csv` or `name.xlsx`."""
    body, mimetype = (
        (to_csv(table), CSV_TYPE) if extension == "csv" else (to_xlsx(table), XLSX_TYPE)
    )
    return Response(
        body,
        content_type=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}.{extension}"'},
    )
