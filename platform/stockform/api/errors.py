"""One error shape for every API response that is not a success:

    {"error": {"code": "insufficient_stock", "message": "...", "details": [...]}}

Domain refusals become API errors here, at the edge, and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..documents.errors import Forbidden, InvalidTransition, NotFound
from ..documents.validate import ValidationFailed
from ..stock.catalog import SkuInvalid
from ..stock.errors import (
    InsufficientStock,
    InvalidMovement,
    LockStateError,
    Shortage,
    UnknownItem,
)
from ..stock.query import QueryError
from ..stock.units import QuantityError

# code -> (HTTP status, when it happens); the README's table and the OpenAPI document use it.
CODES: dict[str, tuple[int, str]] = {
    "bad_request": (400, "The body is not a JSON object, or a header is malformed."),
    "unauthorized": (401, "No bearer token, or one that is unknown or revoked."),
    "forbidden": (403, "The token's user may not do this (roles, warehouses, admin-only)."),
    "not_found": (404, "No such route, document, form, SKU or lock."),
    "method_not_allowed": (405, "The route exists but not with this method."),
    "insufficient_stock": (409, "Not enough stock; details per line."),
    "invalid_transition": (409, "The document's or lock's state does not allow this now."),
    "idempotency_in_progress": (409, "A request with this Idempotency-Key is still running."),
    "payload_too_large": (413, "The body is larger than 1 MiB."),
    "validation_failed": (422, "Values that do not fit; details per field (and line)."),
    "invalid_expression": (422, "A `where` or `order` expression that cannot be used."),
    "idempotency_conflict": (422, "This Idempotency-Key was used with another request."),
    "internal_error": (500, "A fault of the server; nothing was changed."),
}


@dataclass(eq=False)
class ApiError(Exception):
    code: str
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if not self.status:
            self.status = CODES[self.code][0]

    @classmethod
    def invalid(cls, name: str, message: str, line: int | None = None) -> ApiError:
        return cls("validation_failed", f"{name}: {message}", [_field(name, message, line)])

    def response(self) -> Response:
        payload = {"error": {"code": self.code, "message": self.message, "details": self.details}}
        text = json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))
        response = Response(text, status=self.status, mimetype="application/json")
        response.headers.update(self.headers)
        return response


def _field(name: str | None, message: str, line: int | None = None) -> dict[str, Any]:
    return {"field": name, "line": line, "message": message}


def validation_failed(details: list[dict[str, Any]]) -> ApiError:
    """One validation_failed error for every problem found."""
    message = "; ".join(
        (f"line {d['line']}, " if d.get("line") else "")
        + (f"{d['field']}: " if d.get("field") else "")
        + d["message"]
        for d in details
    )
    return ApiError("validation_failed", message, details)


def from_exception(exc: BaseException) -> ApiError:
    """The API error for anything a route raised."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, HTTPException):
        return _from_http(exc)
    if isinstance(exc, ValidationFailed):
        return validation_failed([e.as_dict() for e in exc.errors])
    if isinstance(exc, SkuInvalid):
        return validation_failed([_field(k, v) for k, v in exc.errors.items()])
    if isinstance(exc, InsufficientStock):
        return ApiError("insufficient_stock", str(exc), [_shortage(s) for s in exc.shortages])
    if isinstance(exc, InvalidTransition | LockStateError):
        return ApiError("invalid_transition", str(exc))
    if isinstance(exc, Forbidden):
        return ApiError("forbidden", str(exc))
    if isinstance(exc, NotFound | UnknownItem):
        return ApiError("not_found", str(exc))
    if isinstance(exc, InvalidMovement | QuantityError):
        return validation_failed([_field(None, str(exc))])
    if isinstance(exc, DataError | ArithmeticError):
        # A number past what a 64-bit column holds (1e20 pieces, say) or text with a NUL
        # character: the value is at fault, not the server.
        return validation_failed(
            [_field(None, "a value cannot be stored: a number too large, or text with NUL")]
        )
    if isinstance(exc, QueryError):
        return ApiError(
            "invalid_expression",
            str(exc),
            [
                {
                    "parameter": exc.part,
                    "offset": exc.offset,
                    "message": exc.message,
                    "hint": exc.hint,
                }
            ],
        )
    current_app.logger.error(
        "unexpected error on %s %s", request.method, request.path, exc_info=exc
    )
    return ApiError("internal_error", "the server failed to answer this request; nothing changed")


def _from_http(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    if status == 404:
        return ApiError("not_found", f"no API route {request.method} {request.path}")
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(set(exc.valid_methods or ()) - {"HEAD", "OPTIONS"})
        return ApiError(
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}",
            headers={"Allow": ", ".join(exc.valid_methods or ())},
        )
    if status == 413:
        return ApiError("payload_too_large", "the body is larger than 1 MiB (1048576 bytes)")
    if status < 500:
        return ApiError("bad_request", exc.description or "bad request", status=status)
    return ApiError("internal_error", exc.description or "server error", status=status)


def _shortage(shortage: Shortage) -> dict[str, Any]:
    """requested and sellable for a short line; sellable is read now when the refusal was
    about another bucket (shipping more than is locked, say)."""
    sellable = shortage.available if shortage.bucket == "sellable" else _sellable(shortage)
    return {
        "sku": shortage.sku,
        "warehouse": shortage.warehouse,
        "line": shortage.line_id,
        "requested": format(shortage.requested, "f"),
        "sellable": None if sellable is None else format(sellable, "f"),
        "bucket": shortage.bucket,
        "available": format(shortage.available, "f"),
    }


def _sellable(shortage: Shortage) -> Any:
    from ..stock.service import Stock

    runtime = current_app.extensions["stockform.runtime"]
    try:
        row = Stock(runtime.engine, runtime.template).row(shortage.sku, shortage.warehouse)
    except Exception:  # noqa: BLE001 - the refusal matters more than this figure
        return None
    return row.quantities.get("sellable")


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def handle(exc: BaseException) -> Response:
    return from_exception(exc).response()


Handler = Callable[[Any], Any]


def init_app(app: Flask) -> None:
    """Unknown routes and methods under /api/ answer in the shape too.

    They belong to no blueprint, so these two handlers sit on the app and hand every other
    path to the handler registered before them (the web pages'), if any. Errors raised inside
    API routes go to `handle`, registered on the blueprint.
    """
    for code in (404, 405):
        previous: dict[type[BaseException], Handler] = {
            cls: handler for cls, handler in app.error_handler_spec[None][code].items()
        }
        app.register_error_handler(code, _routing_handler(app, previous))


def _routing_handler(app: Flask, previous: dict[type[BaseException], Handler]) -> Handler:
    def routing_error(exc: HTTPException) -> Any:
        if is_api_request():
            return handle(exc)
        for cls in type(exc).__mro__:
            if cls in previous:
                return previous[cls](exc)
        for cls in type(exc).__mro__:
            generic = app.error_handler_spec[None][None].get(cls)
            if generic is not None:
                return generic(exc)
        return exc

    return routing_error
