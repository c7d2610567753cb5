"""Server-rendered pages (Jinja + htmx): the only package with Jinja templates."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

bp = Blueprint("web", __name__, template_folder="templates")


@bp.get("/")
def index() -> str:
    runtime = current_app.extensions["stockform.runtime"]
    return render_template("index.html", template=runtime.template)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    runtime = current_app.extensions["stockform.runtime"]
    try:
        with runtime.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}, 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
