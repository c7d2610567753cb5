"""What a request works with: the runtime, the documents service, the signed-in actor."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, g

from ..database import Runtime
from ..documents.service import Documents
from ..documents.users import Actor
from ..spec.model import Template


def runtime() -> Runtime:
    found: Runtime = current_app.extensions["stockform.runtime"]
    return found


def template() -> Template:
    return runtime().template


def documents() -> Documents:
    if "documents" not in g:
        from .warnings import after_document  # it imports this module

        found = runtime()
        g.documents = Documents(
            found.engine, found.template, found.version_id, after_commit=after_document
        )
    docs: Documents = g.documents
    return docs


def actor() -> Actor | None:
    return g.get("actor")


def require_actor() -> Actor:
    found = actor()
    assert found is not None, "the view must be wrapped in login_required"
    return found


def zone() -> ZoneInfo:
    configured = current_app.config.get("STOCKFORM_TIMEZONE")
    return ZoneInfo(configured or template().info.timezone)


def local(moment: datetime | None) -> datetime | None:
    """A stored timestamp (aware, UTC) in the business time zone."""
    return None if moment is None else moment.astimezone(zone())
