"""Signing in and out; who the request acts as (`login_required`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..db import READ_ONLY
from ..documents.users import Actor, authenticate
from ..documents.users import actor as load_actor
from .context import runtime

bp = Blueprint("auth", __name__)
View = TypeVar("View", bound=Callable[..., Any])
KEPT_ON_SIGN_OUT = ("locale",)


@bp.before_app_request
def load_signed_in_actor() -> None:
    g.actor = None
    username = session.get("user")
    if not username or request.endpoint in ("assets.htmx", "assets.static", "pages.healthz"):
        return
    with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
        # Read on every request, so a deactivated user or a changed role counts at once.
        g.actor = load_actor(connection, username)
    if g.actor is None:
        session.pop("user", None)


def login_required(view: View) -> View:
    """Send visitors who are not signed in to the sign-in page (htmx: a full redirect)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            target = url_for("auth.login", next=request.full_path.rstrip("?"))
            if request.headers.get("HX-Request") == "true":
                return Response(status=401, headers={"HX-Redirect": target})
            return redirect(target)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def reads_reports(actor: Actor | None) -> bool:
    """Whether the actor may read the reports (and so the dashboard): every signed-in user, as
    README's Reports says; the one place to change should roles ever gain that permission."""
    return actor is not None


def landing() -> str:
    """Where signing in leads without a `next`: the dashboard for readers of the reports, the
    start page (`/`, the forms) for the rest."""
    return url_for("dashboard.index") if reads_reports(g.get("actor")) else url_for("pages.home")


def safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) is a place to go back to."""
    if not target:
        return landing()
    parts = urlsplit(target)
    # "//host" and "/\host" are other hosts to a browser.
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return url_for("pages.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        with runtime().engine.connect() as connection:
            found = authenticate(connection, username, password) if username else None
        if found is not None:
            kept = {k: session[k] for k in KEPT_ON_SIGN_OUT if k in session}
            session.clear()  # a fresh session (and CSRF token) for the signed-in user
            session.update(kept)
            session["user"] = found.username
            g.actor = found  # signed in from now on: the landing page is chosen for them
            return redirect(safe_next(request.args.get("next")))
        error = _("Wrong user name or password.")
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username), status


@bp.post("/logout")
def logout() -> Any:
    kept = {k: session[k] for k in KEPT_ON_SIGN_OUT if k in session}
    session.clear()
    session.update(kept)
    return redirect(url_for("auth.login"))
