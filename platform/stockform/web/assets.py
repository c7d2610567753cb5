"""Browser assets served by the app itself (machines may be offline): the project's `static/`
folder and htmx 2 from the `django-js-lib-htmx` package's data (no Django needed)."""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, send_from_directory

from ..paths import STATIC

bp = Blueprint("assets", __name__)
HTMX = resources.files("js_lib_htmx").joinpath("static", "htmx", "htmx.min.js")
ONE_DAY = 86400


# /assets, not /static: Flask's own static route (an empty package folder) owns that.
@bp.get("/assets/<path:filename>")
def static(filename: str) -> Response:
    return send_from_directory(STATIC, filename, max_age=ONE_DAY)


@bp.get("/vendor/htmx.min.js")
def htmx() -> Response:
    response = Response(HTMX.read_bytes(), mimetype="text/javascript")
    response.cache_control.public = True
    response.cache_control.max_age = ONE_DAY
    return response
