"""GET /openapi.json: OpenAPI 3.1 built from the running template, so every form's fields are
schema components and every form has its own document paths."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from ..reports.period import MAX_DAYS
from ..reports.scope import categories, groups, has_categories
from ..spec.model import Template
from ..stock.lock_records import STATUSES
from . import replenishment as replenishment_routes
from . import warnings as warning_routes
from .context import MAX_ID, MAX_PAGE, MAX_PER_PAGE, bp, jsonify, runtime
from .errors import CODES
from .idempotency import HEADER, KEY_PATTERN
from .schemas import Schema, common_schemas, form_schemas, ref

PREFIX = "/api/v1"
NO_NUL = r"^[^\x00]*$"  # query text: no NUL character
CACHE = "stockform.api.openapi"


def _param(name: str, where: str, schema: Schema, description: str = "") -> Schema:
    param: Schema = {"name": name, "in": where, "schema": schema}
    if where == "path":
        param["required"] = True
    if description:
        param["description"] = description
    return param


def _query(name: str, description: str, schema: Schema | None = None) -> Schema:
    return _param(name, "query", schema or {"type": "string", "pattern": NO_NUL}, description)


PAGING = [
    _query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
    _query(
        "per_page",
        f"Items per page, 1 to {MAX_PER_PAGE} (default 50).",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    ),
]
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
LOCK_ACTIONS = {  # action -> (summary, request body)
    "release": ("Give the lock's stock back (all, or qty).", "LockQty"),
    "keep": ("Make the lock permanent: it no longer expires.", None),
    "consume": ("Ship the locked stock (all, or qty for a partial shipment).", "LockQty"),
}
IDEMPOTENCY = _param(
    HEADER,
    "header",
    {"type": "string", "pattern": KEY_PATTERN},
    "Optional, 1 to 255 printable ASCII characters. A retry with the same key and body replays "
    "the first answer (kept 24 hours).",
)


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _links(parameter: str, source: str, *operation_ids: str) -> Schema:
    """OpenAPI links from a success to the operations its answer names a thing for: the `id`
    of a new lock goes to GET /locks/{lock_id}, and so on."""
    return {
        operation_id: {
            "operationId": operation_id,
            "parameters": {parameter: f"$response.body#/{source}"},
        }
        for operation_id in operation_ids
    }


def _operation(
    operation_id: str,
    summary: str,
    ok: tuple[int, str],
    errors: tuple[int, ...],
    *,
    parameters: list[Schema] | None = None,
    body: str | None = None,
    body_required: bool = True,
    write: bool = False,
    links: Schema | None = None,
) -> Schema:
    status, schema = ok
    responses: Schema = {str(status): _json(ref(schema), "Success.")}
    if links:
        responses[str(status)]["links"] = links
    for code in sorted({401, *errors}):
        names = ", ".join(f"`{c}`" for c, (s, _) in CODES.items() if s == code)
        responses[str(code)] = _json(ref("Error"), names)
    responses["default"] = _json(ref("Error"), "Any other error, in the same shape.")
    operation: Schema = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [*(parameters or []), *([IDEMPOTENCY] if write else [])],
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return operation


def _paths(template: Template) -> dict[str, Schema]:
    code = _param("code", "path", {"type": "string"})
    lock_id = _param("lock_id", "path", ID)
    # Every answer that is a SKU or a lock links to the operations on that SKU or lock.
    sku_links = _links("code", "code", "getSku", "updateSku")
    lock_links = _links("lock_id", "id", "getLock", *(f"{action}Lock" for action in LOCK_ACTIONS))
    paths: dict[str, Schema] = {
        "/stock": {
            "get": _operation(
                "listStock",
                "Stock per SKU and warehouse: every bucket and computed quantity.",
                (200, "StockPage"),
                (422,),
                parameters=[
                    _query("sku", "A SKU code (exact)."),
                    _query("warehouse", "A warehouse code (exact)."),
                    _query("where", "A condition in the template language: sellable < 5."),
                    _query("order", "Expressions to sort by: `sellable desc, sku.code`."),
                    *PAGING,
                ],
            )
        },
        "/warehouses": {
            "get": _operation("listWarehouses", "The warehouses.", (200, "WarehouseList"), ())
        },
        "/skus": {
            "get": _operation(
                "listSkus",
                "SKUs by code.",
                (200, "SkuPage"),
                (422,),
                parameters=[
                    _query("code", "A SKU code (exact)."),
                    _query("barcode", "A barcode (exact)."),
                    _query("q", "Part of a code or name."),
                    *PAGING,
                ],
            ),
            "post": _operation(
                "createSku",
                "Create a SKU (admin).",
                (201, "Sku"),
                (400, 403, 413, 422),
                body="SkuInput",
                write=True,
                links=sku_links,
            ),
        },
        "/skus/{code}": {
            "parameters": [code],
            "get": _operation("getSku", "One SKU.", (200, "Sku"), (404,), links=sku_links),
            "patch": _operation(
                "updateSku",
                "Change a SKU's name, unit, barcode or fields (admin).",
                (200, "Sku"),
                (400, 403, 404, 413, 422),
                body="SkuPatch",
                write=True,
                links=sku_links,
            ),
        },
        "/movements": {
            "get": _operation(
                "listMovements",
                "The ledger in posting order, after a cursor that never skips a late commit.",
                (200, "MovementPage"),
                (422,),
                parameters=[
                    _query(
                        "after",
                        "A movement id: return later ones.",
                        {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                    ),
                    _query("sku", "A SKU code (exact)."),
                    _query("warehouse", "A warehouse code, either end (exact)."),
                    _query(
                        "limit",
                        f"At most this many, 1 to {MAX_PER_PAGE} (default 100).",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                    ),
                ],
            )
        },
        "/locks": {
            "get": _operation(
                "listLocks",
                "Locks, oldest first.",
                (200, "LockPage"),
                (422,),
                parameters=[
                    _query("reference", "The order system's reference (exact)."),
                    _query("sku", "A SKU code (exact)."),
                    _query("warehouse", "A warehouse code (exact)."),
                    _query("status", f"One of {', '.join(STATUSES)}.", {"enum": list(STATUSES)}),
                    *PAGING,
                ],
            ),
            "post": _operation(
                "createLock",
                "Lock stock for an outside reference (an order), under a lock rule.",
                (201, "Lock"),
                (400, 403, 409, 413, 422),
                body="LockInput",
                write=True,
                links=lock_links,
            ),
        },
        "/locks/{lock_id}": {
            "parameters": [lock_id],
            "get": _operation("getLock", "One lock.", (200, "Lock"), (404,), links=lock_links),
        },
    }
    for action, (summary, body) in LOCK_ACTIONS.items():
        paths[f"/locks/{{lock_id}}/{action}"] = {
            "parameters": [lock_id],
            "post": _operation(
                f"{action}Lock",
                summary,
                (200, "Lock"),
                (400, 403, 404, 409, 413, 422),
                body=body,
                body_required=False,
                write=True,
                links=lock_links,
            ),
        }
    for form in template.forms.values():
        paths.update(_form_paths(template, form.id))
    paths.update(_report_paths(template))
    paths.update(warning_routes.paths())
    paths.update(replenishment_routes.paths(template))
    return {PREFIX + path: item for path, item in paths.items()}


def _form_paths(template: Template, form_id: str) -> dict[str, Schema]:
    form = template.forms[form_id]
    label = form.label.text()
    doc_id = _param("doc_id", "path", ID)
    workflow = template.workflows.get(form.workflow or "")
    transitions = sorted(workflow.transitions) if workflow else []
    base = f"/documents/{form_id}"
    # Every answer that is a document links to the operations on that document.
    links = _links(
        "doc_id",
        "id",
        f"get_{form_id}",
        f"update_{form_id}",
        *([f"act_{form_id}"] if transitions else []),
    )
    paths: dict[str, Schema] = {
        base: {
            "get": _operation(
                f"list_{form_id}",
                f"{label}: documents, newest first.",
                (200, f"{form_id}.DocumentPage"),
                (403, 422),
                parameters=[
                    _query("state", "A workflow state."),
                    _query("number", "A document number (exact)."),
                    _query("q", "Part of the number or the creator's name."),
                    _query("warehouse", "A warehouse code (exact)."),
                    *PAGING,
                ],
            ),
            "post": _operation(
                f"create_{form_id}",
                f"{label}: create a document in the workflow's first state.",
                (201, f"{form_id}.Document"),
                (400, 403, 409, 413, 422),
                body=f"{form_id}.DocumentInput",
                write=True,
                links=links,
            ),
        },
        f"{base}/{{doc_id}}": {
            "parameters": [doc_id],
            "get": _operation(
                f"get_{form_id}",
                f"{label}: one document.",
                (200, f"{form_id}.Document"),
                (403, 404),
                links=links,
            ),
            "patch": _operation(
                f"update_{form_id}",
                f"{label}: change the fields (and lines) the state leaves editable.",
                (200, f"{form_id}.Document"),
                (400, 403, 404, 409, 413, 422),
                body=f"{form_id}.DocumentPatch",
                write=True,
                links=links,
            ),
        },
    }
    if transitions:
        paths[f"{base}/{{doc_id}}/actions/{{transition}}"] = {
            "parameters": [doc_id, _param("transition", "path", {"enum": transitions})],
            "post": _operation(
                f"act_{form_id}",
                f"{label}: take a workflow transition (its checks and stock effects).",
                (200, f"{form_id}.Document"),
                (400, 403, 404, 409, 413, 422),
                body="Comment",
                body_required=False,
                write=True,
                links=links,
            ),
        }
    return paths


# Report path -> (operation id, summary, response schema, query parameters).
REPORTS = {
    "turnover": (
        "turnoverReport",
        "Inventory turnover and days of inventory over a period, by SKU, category or warehouse.",
        "TurnoverReport",
        ("from", "to", "sku", "warehouse", "category", "group", "page", "per_page"),
    ),
    "stock-value": (
        "stockValueReport",
        "Stock quantity and value at the start and end of a period, and the cost of goods sold.",
        "StockValueReport",
        ("from", "to", "sku", "warehouse", "category", "group", "page", "per_page"),
    ),
    "abc": (
        "abcReport",
        "ABC analysis of the SKUs by consumption value (cost of goods sold) over a period.",
        "AbcReport",
        ("from", "to", "sku", "warehouse", "category", "page", "per_page"),
    ),
    "ageing": (
        "ageingReport",
        "Stock on hand at the end of a day by age since receipt: 0-30, 31-60, 61-90, over 90.",
        "AgeingReport",
        ("date", "sku", "warehouse", "category", "group", "page", "per_page"),
    ),
    "slow-movers": (
        "slowMoversReport",
        "SKUs with stock at a warehouse that nothing left (sale or transfer) for `days` days.",
        "SlowMoverReport",
        ("date", "days", "sku", "warehouse", "category", "page", "per_page"),
    ),
    "stock-outs": (
        "stockOutsReport",
        "The days of a period each SKU at each warehouse ended with `quantity` at 0 or less.",
        "StockOutReport",
        ("from", "to", "sku", "warehouse", "category", "quantity", "page", "per_page"),
    ),
    "stock-trend": (
        "stockTrendReport",
        "Every bucket and computed quantity (sellable, physical…) at the end of each day.",
        "StockTrendReport",
        ("from", "to", "sku", "warehouse", "category"),
    ),
    "dashboard": (
        "dashboardReport",
        "The dashboard: stock value, sellable value, turnover, open locks, warnings per level, "
        "and its charts' series (value by day, days of inventory by category, value by age, "
        "the slowest movers).",
        "DashboardReport",
        ("from", "to", "warehouse", "category"),
    ),
}


def _report_parameters(template: Template) -> dict[str, Schema]:
    # Empty is the default, as for every query parameter.
    day: Schema = {"type": "string", "pattern": r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"}
    found = {
        "from": _query("from", "First day of the period (default: 29 days before `to`).", day),
        "to": _query("to", "Last day of the period, included (default: today).", day),
        "date": _query("date", "The day, at its end (default: today).", day),
        "sku": _query("sku", "A SKU code (exact)."),
        "warehouse": _query("warehouse", "A warehouse code.", {"enum": ["", *template.warehouses]}),
        "group": _query(
            "group",
            "Rows per sku (default), category or warehouse.",
            {"enum": ["", *groups(template)]},
        ),
        "days": _query(
            "days",
            "Days without anything going out (default 30).",
            {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
        ),
        "quantity": _query(
            "quantity",
            "A bucket or computed quantity (default: sellable).",
            {"enum": ["", *template.stock.buckets, *template.stock.quantities]},
        ),
        "page": PAGING[0],
        "per_page": PAGING[1],
    }
    if has_categories(template):
        found["category"] = _query(
            "category", "A SKU category.", {"enum": ["", *categories(template)]}
        )
    return found


def _report_paths(template: Template) -> dict[str, Schema]:
    parameters = _report_parameters(template)
    return {
        f"/reports/{name}": {
            "get": _operation(
                operation_id,
                summary,
                (200, schema),
                (422,),
                parameters=[parameters[p] for p in names if p in parameters],
            )
        }
        for name, (operation_id, summary, schema, names) in REPORTS.items()
    }


def build(template: Template) -> Schema:
    """The OpenAPI document for a template."""
    schemas = {
        **common_schemas(template),
        **warning_routes.schemas(template),
        **replenishment_routes.schemas(template),
    }
    for form in template.forms.values():
        schemas.update(form_schemas(form, template))
    paths = _paths(template)
    paths[PREFIX + "/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"stockform API: {template.info.name.text()}",
            "version": f"1 (template {template.info.id} version {template.info.version})",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    rt = runtime()
    cached: tuple[int, Any] | None = current_app.extensions.get(CACHE)
    if cached is None or cached[0] != rt.version_id:
        cached = (rt.version_id, build(rt.template))
        current_app.extensions[CACHE] = cached
    return jsonify(cached[1])
