"""Server-rendered pages (Jinja + htmx): the only package with Jinja templates.

`init_app` wires sessions, CSRF, languages, error pages and one blueprint per responsibility.
"""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

from . import (
    assets,
    auth,
    catalogue,
    dashboard,
    errors,
    forms,
    helpers,
    i18n,
    linerows,
    live,
    pages,
    replenishment,
    reports,
    stock,
    warnings,
)
from .secret import secret_key
from .values import install_filters

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    app.config.update(
        SECRET_KEY=secret_key(
            app.config.get("STOCKFORM_SECRET_KEY"), app.config["STOCKFORM_INSTANCE_PATH"]
        ),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(app.config.get("STOCKFORM_SESSION_COOKIE_SECURE")),
        # A token lives as long as the session: a form left open over lunch still saves.
        WTF_CSRF_TIME_LIMIT=None,
        # Checked by check_csrf below, which leaves the API's paths alone.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A document of a few thousand lines is one form post.
        MAX_FORM_MEMORY_SIZE=8 * 1024 * 1024,
        MAX_FORM_PARTS=50_000,
    )
    csrf.init_app(app)

    @app.before_request
    def check_csrf() -> None:
        # The API authenticates with bearer tokens, never cookies, so a forged cross-site
        # request carries no credentials there; an unknown /api/ path must get the API's 404.
        if request.method in app.config["WTF_CSRF_METHODS"] and not request.path.startswith(
            "/api/"
        ):
            csrf.protect()

    Htmx(app)
    i18n.init_app(app)
    install_filters(app)
    helpers.init_app(app)
    linerows.init_app(app)
    errors.init_app(app)
    warnings.init_app(app)
    replenishment.init_app(app)
    for module in (assets, auth, pages, forms, live, stock, catalogue, reports, warnings):
        app.register_blueprint(module.bp)
    app.register_blueprint(replenishment.bp)
    app.register_blueprint(dashboard.bp)
