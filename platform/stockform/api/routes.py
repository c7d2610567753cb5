"""REST API v1 (Flask): wires the blueprint's routes, hooks and error handlers into the app.

The blueprint is `stockform.api.routes.bp`; the web UI's CSRF protection must exempt it
(`csrf.exempt(bp)`): API clients authenticate with bearer tokens, not cookies.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from . import (
    auth,
    documents,
    errors,
    idempotency,
    locks,
    movements,
    openapi,
    replenishment,
    reports,
    skus,
    stock,
    warnings,
)
from .context import MAX_BODY, bp, refuse_unknown_query

ROUTE_MODULES = (
    stock,
    skus,
    documents,
    locks,
    movements,
    reports,
    warnings,
    replenishment,
    openapi,
)


def _limit_body() -> None:
    # Per request, so the web pages keep their own limit (uploads). A body announced as too
    # large is refused before anything else; one sent in chunks when it is read.
    request.max_content_length = MAX_BODY
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise RequestEntityTooLarge()


bp.before_request(_limit_body)
bp.before_request(auth.authenticate)
bp.before_request(refuse_unknown_query)
bp.before_request(idempotency.before_request)
bp.after_request(idempotency.after_request)
bp.teardown_request(idempotency.teardown_request)
bp.register_error_handler(Exception, errors.handle)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    errors.init_app(app)


__all__ = ["ROUTE_MODULES", "bp", "init_app"]
