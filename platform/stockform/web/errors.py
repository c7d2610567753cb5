"""Friendly error pages: 400 (an expired form), 403, 404, 405 and 500, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..documents.errors import Forbidden, NotFound
from ..spec.phrases import message_of
from .i18n import say

log = logging.getLogger(__name__)


def _is_api() -> bool:
    # The API answers in its own JSON shape; its blueprint's handlers do that.
    return request.path.startswith("/api/")


def page(status: int, message: str | None = None) -> tuple[str, int]:
    titles = {
        400: _("This form has expired"),
        403: _("You may not do this"),
        404: _("Not found"),
        405: _("Not allowed here"),
        500: _("Something went wrong"),
    }
    explanations = {
        400: _("Reload the page and try again; your session may have ended."),
        403: _("Your roles do not allow this. Ask an administrator if you need it."),
        404: _("There is nothing at this address. It may have been removed or mistyped."),
        405: _("This address does not take that kind of request."),
        500: _("The error has been logged. Try again, or tell an administrator."),
    }
    return (
        render_template(
            "error.html",
            status=status,
            title=titles.get(status, _("Something went wrong")),
            explanation=explanations.get(status, explanations[500]),
            message=message,
        ),
        status,
    )


def on_http_error(error: HTTPException) -> Any:
    if _is_api():
        return error
    status = error.code or 500
    return page(status if status in (400, 403, 404, 405) else 500)


def on_csrf_error(error: CSRFError) -> Any:
    if _is_api():
        return error
    return page(400, _("The form was missing its security token or the token has expired."))


def on_crash(error: Exception) -> Any:
    original = getattr(error, "original_exception", None) or error
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
    if _is_api():
        return InternalServerError()
    return page(500)


def on_forbidden(error: Forbidden) -> tuple[str, int]:
    return page(403, say(message_of(error)))


def on_not_found(error: NotFound) -> tuple[str, int]:
    return page(404, say(message_of(error)))


def install(bp: Blueprint) -> None:
    """Domain refusals a web blueprint's views do not catch become friendly pages."""
    bp.register_error_handler(Forbidden, on_forbidden)
    bp.register_error_handler(NotFound, on_not_found)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, on_csrf_error)
    for status in (400, 403, 404, 405):
        app.register_error_handler(status, on_http_error)
    app.register_error_handler(InternalServerError, on_crash)
