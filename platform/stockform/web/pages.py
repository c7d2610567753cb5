"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, render_template

from .auth import login_required
from .context import documents, require_actor, runtime, template

# Every web template lives in web/templates; Flask looks there for any blueprint.
bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
@login_required
def home() -> str:
    docs, actor = documents(), require_actor()
    forms = [f for f in template().forms.values() if docs.may(actor, f.id, "read")]
    creatable = {f.id for f in forms if docs.may(actor, f.id, "create")}
    return render_template("index.html", template=template(), forms=forms, creatable=creatable)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    try:
        with runtime().engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}, 200
