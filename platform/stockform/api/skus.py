"""SKUs: list, create (admin), read, change (admin). Template SKU fields sit beside the
built-in keys, flat, the same way in requests and responses."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..documents.values import to_json
from .context import actor, body, bp, jsonify, paging, query_text, stock, takes_query
from .errors import ApiError
from .warnings import after_sku_change


def sku_json(record: dict[str, Any]) -> dict[str, Any]:
    return {key: to_json(value) for key, value in record.items()}


def _require_admin(action: str) -> None:
    if not actor().is_admin:
        raise ApiError("forbidden", f"only the admin role may {action} SKUs")


@bp.get("/skus")
@takes_query("code", "barcode", "q", "page", "per_page")
def list_skus() -> Response:
    page, per_page = paging()
    items, total = stock().skus(
        code=query_text("code"),
        barcode=query_text("barcode"),
        q=query_text("q"),
        page=page,
        per_page=per_page,
    )
    return jsonify(
        {
            "items": [sku_json(item) for item in items],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


@bp.post("/skus")
def create_sku() -> Response:
    _require_admin("create")
    values = body()
    engine = stock()
    engine.create_sku(**values)
    after_sku_change(str(values["code"]).strip())
    return jsonify(sku_json(engine.sku(str(values["code"]).strip())), 201)


@bp.get("/skus/<code>")
def get_sku(code: str) -> Response:
    return jsonify(sku_json(stock().sku(code)))


@bp.patch("/skus/<code>")
def update_sku(code: str) -> Response:
    _require_admin("change")
    changed = stock().update_sku(code, body())
    after_sku_change(code)
    return jsonify(sku_json(changed))
