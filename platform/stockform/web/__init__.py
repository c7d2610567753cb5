"""Server-rendered pages (Jinja + htmx): the only package with Jinja templates."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

bp = Blueprint("web", __name__, template_folder="templates")


@bp.get("/")
def index() -> str:
    template = current_app.extensions["stockform.template"]
    return render_template("index.html", template=template)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
