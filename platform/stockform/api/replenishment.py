"""Replenishment: the suggestions per SKU and warehouse, draft documents from chosen ones, and
applying a suggested safety stock; their OpenAPI parts. `stockform.rules.replenishment`
computes; this module reads requests and turns its refusals into the one error shape.

The suggestions and drafts are for admins and for callers whose roles may create the order
form or the transfer form; applying a safety stock changes a SKU, which needs admin (as
`PATCH /skus/<code>` does).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Response

from ..db import READ_ONLY
from ..rules.replenishment import (
    Filter,
    Pick,
    ReplenishmentError,
    Suggestion,
    TransferSuggestion,
    apply_safety_stock,
    draft_documents,
    drafting_forms,
    may_replenish,
    plan,
)
from ..spec.model import Replenishment, Template
from ..spec.numbers import NumberError, read_number
from .context import (
    actor,
    body,
    bp,
    documents,
    jsonify,
    paging,
    query_choice,
    query_text,
    runtime,
    stock,
    takes_query,
)
from .documents import document_json
from .errors import ApiError, validation_failed
from .inputs import MAX_QUANTITY, Fields
from .schemas import DECIMAL, DECIMAL_OR_NULL, QTY_IN, TIMESTAMP, Schema, obj, ref
from .skus import sku_json
from .warnings import after_sku_change

MAX_PICKS = 1000
BOOLEAN = ("true", "false")
# Suggestion fields that are not exact decimals (those go out as strings).
TEXT_FIELDS = ("sku", "sku_name", "warehouse", "category", "unit")


def _settings() -> Replenishment:
    found = runtime().template.stock.replenishment
    if found is None:
        raise ApiError("not_found", "this template has no replenishment (stock.replenishment)")
    return found


def _require_replenisher() -> None:
    if not may_replenish(documents(), actor()):
        raise ApiError(
            "forbidden", "only roles that may create order or transfer documents may replenish"
        )


@contextmanager
def _refusals() -> Iterator[None]:
    """What the replenishment layer refuses is the request's fault: validation_failed."""
    try:
        yield
    except ReplenishmentError as exc:
        raise validation_failed(
            [{"field": exc.field, "line": None, "message": exc.message}]
        ) from None


def _text(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


def suggestion_json(suggestion: Suggestion) -> dict[str, Any]:
    found = {f.name: _text(getattr(suggestion, f.name)) for f in fields(suggestion)}
    return {**found, "needs_action": suggestion.needs_action}


def transfer_json(transfer: TransferSuggestion) -> dict[str, Any]:
    return {f.name: _text(getattr(transfer, f.name)) for f in fields(transfer)}


@bp.get("/replenishment")
@takes_query("sku", "warehouse", "category", "needs_action", "page", "per_page")
def list_replenishment() -> Response:
    page, per_page = paging()
    which = Filter(query_text("sku"), query_text("warehouse"), query_text("category"))
    needing_action = query_choice("needs_action", BOOLEAN) == "true"
    _settings()  # 404 without a replenishment section
    _require_replenisher()
    with (
        _refusals(),
        runtime().engine.connect().execution_options(**READ_ONLY) as connection,
    ):
        found = plan(connection, runtime().template, datetime.now(UTC), which, needing_action)
    start = (page - 1) * per_page
    return jsonify(
        {
            "as_of": found.as_of.isoformat(),
            "items": [suggestion_json(s) for s in found.suggestions[start : start + per_page]],
            "transfers": [transfer_json(t) for t in found.transfers],
            "page": page,
            "per_page": per_page,
            "total": len(found.suggestions),
        }
    )


def _pick(fields: Fields) -> Pick | None:
    sku = fields.text("sku", required=True, max_length=64)
    warehouse = fields.text("warehouse", required=True, max_length=64)
    qty = fields.decimal("qty", required=True)
    source = fields.text("from_warehouse", max_length=64)
    if sku is None or warehouse is None or qty is None:
        return None
    return Pick(sku, warehouse, qty, source)


def _picks(values: Mapping[str, Any]) -> list[Pick]:
    outer = Fields(values, ("picks",))
    raw = values.get("picks")
    if not isinstance(raw, list) or not raw or not all(isinstance(p, dict) for p in raw):
        outer.fail("picks", "must be a list of objects, one per suggestion to draft")
    elif len(raw) > MAX_PICKS:
        outer.fail("picks", f"holds {len(raw)} picks; at most {MAX_PICKS}")
    outer.check()
    picks, details = [], []
    for number, value in enumerate(raw, start=1):
        one = Fields(value, ("sku", "warehouse", "qty", "from_warehouse"))
        found = _pick(one)
        for detail in one.details:
            details.append({**detail, "field": f"picks[{number}].{detail['field']}"})
        if found is not None:
            picks.append(found)
    if details:
        raise validation_failed(details)
    return picks


@bp.post("/replenishment/drafts")
def create_drafts() -> Response:
    picks = _picks(body())
    _settings()  # 404 without a replenishment section
    _require_replenisher()
    docs = documents()
    with _refusals():
        created = draft_documents(docs, picks, actor())
    return jsonify({"documents": [document_json(docs, view) for view in created]}, 201)


def _safety_value(values: Mapping[str, Any]) -> Decimal:
    fields = Fields(values, ("value",))
    raw = values.get("value")
    value: Decimal | None = None
    if raw is None:
        fields.fail("value", "required")
    elif isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        fields.fail("value", 'must be a number, such as "12.5"')
    else:
        try:
            value = read_number(raw) if isinstance(raw, str) else Decimal(raw)
        except NumberError as exc:
            fields.fail("value", str(exc))
        else:
            if not value.is_finite() or value < 0 or value > MAX_QUANTITY:
                fields.fail("value", f"must be from 0 to {MAX_QUANTITY}, not {raw}")
    fields.check()
    assert value is not None
    return value


@bp.post("/skus/<code>/safety-stock")
def set_safety_stock(code: str) -> Response:
    if not actor().is_admin:
        raise ApiError("forbidden", "only the admin role may change SKUs")
    value = _safety_value(body())
    _settings()  # 404 without a replenishment section
    skus = stock()
    skus.sku(code)  # an unknown SKU is not_found, as on the SKU's own routes
    with _refusals(), runtime().engine.begin() as connection:
        apply_safety_stock(connection, runtime().template, code, value, actor())
    after_sku_change(code)
    return jsonify(sku_json(skus.sku(code)))


# -- OpenAPI ----------------------------------------------------------------------------------


def schemas(template: Template) -> dict[str, Schema]:
    draft_forms = list(drafting_forms(template))
    nullable_decimal = DECIMAL_OR_NULL
    suggestion: dict[str, Schema] = {
        "sku": {"type": "string"},
        "sku_name": {"type": "string"},
        "warehouse": {"type": "string"},
        "category": {"type": ["string", "null"]},
        "unit": {"type": "string"},
        "history_days": {"type": "integer", "minimum": 1},
        "average_daily_demand": DECIMAL,
        "demand_deviation": DECIMAL,
        "lead_time_days": DECIMAL,
        "service_level": DECIMAL,
        "z": DECIMAL,
        "safety_stock": DECIMAL,
        "current_safety_stock": nullable_decimal,
        "reorder_point": DECIMAL,
        "min_level": nullable_decimal,
        "max_level": nullable_decimal,
        "multiple": nullable_decimal,
        "stock": DECIMAL,
        "on_order": DECIMAL,
        "incoming": DECIMAL,
        "outgoing": DECIMAL,
        "position": DECIMAL,
        "order_qty": DECIMAL,
        "transfer_in": DECIMAL,
        "needs_action": {"type": "boolean"},
    }
    document: Schema = (
        {"anyOf": [ref(f"{form}.Document") for form in draft_forms]}
        if draft_forms
        else {"type": "object"}
    )
    code: Schema = {"type": "string", "minLength": 1, "maxLength": 64}
    return {
        "Suggestion": obj(suggestion),
        "TransferSuggestion": obj(
            {
                "sku": {"type": "string"},
                "from_warehouse": {"type": "string"},
                "to_warehouse": {"type": "string"},
                "qty": DECIMAL,
            }
        ),
        "Replenishment": obj(
            {
                "as_of": TIMESTAMP,
                "items": {"type": "array", "items": ref("Suggestion")},
                "transfers": {"type": "array", "items": ref("TransferSuggestion")},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "total": {"type": "integer", "minimum": 0},
            }
        ),
        "DraftsInput": obj(
            {
                "picks": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_PICKS,
                    "items": obj(
                        {
                            "sku": code,
                            "warehouse": code,
                            "qty": QTY_IN,
                            "from_warehouse": {**code, "type": ["string", "null"]},
                        },
                        required=["sku", "warehouse", "qty"],
                        description="An order for `warehouse`, or with `from_warehouse` a "
                        "transfer from there to `warehouse`.",
                    ),
                }
            }
        ),
        "Drafts": obj({"documents": {"type": "array", "items": document}}),
        "SafetyStockInput": obj(
            {
                "value": {
                    "type": ["string", "number"],
                    "pattern": r"^[0-9]+(\.[0-9]+)?$",
                    "minimum": 0,
                    "description": 'The safety stock, 0 or more: "12" (or a JSON number).',
                }
            }
        ),
    }


def paths(template: Template) -> dict[str, Schema]:
    """The replenishment paths of the OpenAPI document (openapi.py adds them)."""
    from .openapi import PAGING, _links, _operation, _param, _query

    operation, query = _operation, _query
    category = template.sku.fields.get("category")
    return {
        "/replenishment": {
            "get": operation(
                "listReplenishment",
                "Reorder points, suggested safety stock and what to order or transfer, per SKU "
                "and warehouse; rows needing action first.",
                (200, "Replenishment"),
                (403, 404, 422),
                parameters=[
                    query("sku", "A SKU code (exact)."),
                    query("warehouse", "A warehouse code (exact)."),
                    query(
                        "category",
                        "A SKU category." if category else "A SKU category (none here).",
                    ),
                    query(
                        "needs_action",
                        "true: only rows to order or transfer for (default false).",
                        {"enum": list(BOOLEAN)},
                    ),
                    *PAGING,
                ],
            )
        },
        "/replenishment/drafts": {
            "post": operation(
                "createReplenishmentDrafts",
                "Draft order documents (one per warehouse) and transfer documents (one per "
                "pair of warehouses) from chosen suggestions, all or none.",
                (201, "Drafts"),
                (400, 403, 404, 413, 422),
                body="DraftsInput",
                write=True,
            )
        },
        "/skus/{code}/safety-stock": {
            "parameters": [_param("code", "path", {"type": "string"})],
            "post": operation(
                "applySafetyStock",
                "Write a (suggested) safety stock to the SKU's safety stock field (admin).",
                (200, "Sku"),
                (400, 403, 404, 413, 422),
                body="SafetyStockInput",
                write=True,
                links=_links("code", "code", "getSku", "updateSku"),
            ),
        },
    }
