"""The stock page: every SKU x warehouse with its buckets and computed quantities, filtered and
ordered by template expressions (`query_stock`), searched by code, name or barcode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request

from ..db import READ_ONLY
from ..rules.functions import FUNCTIONS
from ..stock.query import QueryError, StockPage, query_stock
from . import errors
from .auth import login_required
from .context import runtime, template
from .linestock import in_list
from .skus import names, search

bp = Blueprint("stock", __name__)
errors.install(bp)
PER_PAGE = 50
MAX_SEARCH_SKUS = 200


@dataclass(frozen=True)
class Problem:
    """A bad where/order expression: the message, and where in the text it went wrong."""

    part: str
    text: str
    message: str
    offset: int
    hint: str | None


def _page(
    connection: Any, where: str, order: str, warehouse: str, codes: list[str] | None, page: int
) -> StockPage:
    combined = where
    if codes is not None:
        combined = f"({where}) and {in_list(codes)}" if where else in_list(codes)
    try:
        return query_stock(
            connection,
            template(),
            warehouse=warehouse or None,
            where=combined or None,
            order=order or None,
            page=page,
            per_page=PER_PAGE,
            functions=FUNCTIONS,
        )
    except QueryError as original:
        if combined == where:
            raise
        # Report the user's own expression, not the search condition added to it.
        query_stock(
            connection,
            template(),
            where=where or None,
            order=order or None,
            per_page=1,
            functions=FUNCTIONS,
        )
        raise original from None


@bp.get("/stock")
@login_required
def index() -> tuple[str, int]:
    args = request.args
    q, where, order = (args.get(k, "").strip() for k in ("q", "where", "order"))
    warehouse = args.get("warehouse", "")
    page_number = int(args["page"]) if args.get("page", "").isdigit() else 1
    problem, page, more = None, None, False
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        codes = None
        if q:
            found = search(connection, template(), q, limit=MAX_SEARCH_SKUS + 1)
            more = len(found) > MAX_SEARCH_SKUS
            codes = [s.code for s in found[:MAX_SEARCH_SKUS]]
        if codes == []:
            page = StockPage([], 1, PER_PAGE, 0)
        else:
            try:
                page = _page(connection, where, order, warehouse, codes, page_number)
            except QueryError as exc:
                text = where if exc.part == "where" else order
                problem = Problem(exc.part, text, exc.message, exc.offset, exc.hint)
        sku_names = names(connection, template(), [r.sku for r in page.items]) if page else {}
    status = 400 if problem else 200
    return (
        render_template(
            "stock.html",
            page=page,
            pages=max(1, -(-page.total // PER_PAGE)) if page else 1,
            problem=problem,
            sku_names=sku_names,
            more=more,
            args={"q": q, "where": where, "order": order, "warehouse": warehouse},
        ),
        status,
    )
