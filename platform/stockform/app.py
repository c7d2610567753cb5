"""The app factory: `gunicorn 'stockform.app:create_app()'`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from .database import Runtime, prepare
from .settings import load_settings


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from settings (default: config file and environment).

    The database is migrated and the template applied on start; a template that fails its
    check (TemplateError) or would lose data (TemplateRefused) stops the start.
    """
    values = dict(settings) if settings is not None else load_settings()
    app = Flask(__name__)
    app.config.update({f"STOCKFORM_{k}": v for k, v in values.items()})
    prepared = prepare(
        values["DATABASE_URL"],
        values["TEMPLATE"],
        synchronous=values.get("SQLITE_SYNCHRONOUS") or "FULL",
    )
    runtime = Runtime(prepared.engine, prepared.template, prepared.applied.version_id)
    app.extensions["stockform.runtime"] = runtime

    @app.before_request
    def pick_up_new_template() -> None:
        # Another process (or `stockform apply`) may have applied a newer version.
        runtime.refresh()

    from . import web
    from .api import routes as api

    web.init_app(app)
    # API clients authenticate with tokens, not session cookies: CSRF does not apply there.
    web.csrf.exempt(api.bp)
    api.init_app(app)
    return app
