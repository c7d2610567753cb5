"""The app factory: `gunicorn 'stockform.app:create_app()'`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from .settings import load_settings
from .spec.template import load_template


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from settings (default: config file and environment)."""
    values = dict(settings) if settings is not None else load_settings()
    app = Flask(__name__, instance_path=None)
    app.config.update({f"STOCKFORM_{k}": v for k, v in values.items()})
    app.extensions["stockform.template"] = load_template(values["TEMPLATE"])

    from . import web

    web.init_app(app)
    return app
