"""Stock figures and warehouses: GET /stock, GET /warehouses."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..rules.functions import FUNCTIONS
from ..stock.query import StockRow
from .context import bp, decimal_text, jsonify, paging, query_text, stock, takes_query


def stock_row(row: StockRow) -> dict[str, Any]:
    return {
        "sku": row.sku,
        "warehouse": row.warehouse,
        "buckets": {name: decimal_text(value) for name, value in row.buckets.items()},
        "quantities": {name: decimal_text(value) for name, value in row.quantities.items()},
    }


@bp.get("/stock")
@takes_query("sku", "warehouse", "where", "order", "page", "per_page")
def list_stock() -> Response:
    page, per_page = paging()
    result = stock().query(
        sku=query_text("sku"),
        warehouse=query_text("warehouse"),
        where=query_text("where"),
        order=query_text("order"),
        page=page,
        per_page=per_page,
        functions=FUNCTIONS,
    )
    return jsonify(
        {
            "items": [stock_row(row) for row in result.items],
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
        }
    )


@bp.get("/warehouses")
def list_warehouses() -> Response:
    return jsonify({"items": stock().warehouses()})
