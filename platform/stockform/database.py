"""Prepare a database for a template: migrate the engine's tables, then apply the template."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from . import migrate
from .db import make_engine
from .spec.model import Template
from .spec.template import load_template
from .stock.apply import Applied, apply_template


@dataclass(frozen=True)
class Prepared:
    engine: Engine
    template: Template
    applied: Applied


def template_sources(folder: str | Path, template: Template) -> dict[str, str]:
    """The text of every file of a checked template, to store with its version."""
    root = Path(folder)
    return {name: (root / name).read_text(encoding="utf-8") for name in template.files}


def prepare(
    url: str, folder: str | Path, *, synchronous: str = "FULL", user: str | None = None
) -> Prepared:
    """An engine on url whose tables are current and whose template is the one in folder.

    Raises TemplateError (a broken template) or TemplateRefused (it would lose data); the
    database then keeps the template it had.
    """
    engine = make_engine(url, synchronous=synchronous)
    migrate.upgrade(engine)
    template = load_template(folder)
    applied = apply_template(engine, template, template_sources(folder, template), user)
    return Prepared(engine, template, applied)
