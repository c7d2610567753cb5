"""Prepare a database for a template: migrate the engine's tables, then apply the template."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select

from . import migrate
from .db import READ_ONLY, Direct, make_engine
from .rules.functions import FUNCTIONS
from .spec.model import Template
from .spec.template import load_template
from .stock.apply import Applied, apply_template, current_version
from .stock.tables import TemplateVersion, table_of


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
    template = load_template(folder, FUNCTIONS)
    engine = make_engine(url, synchronous=synchronous)
    try:
        migrate.upgrade(engine)
        applied = apply_template(engine, template, template_sources(folder, template), user)
    except BaseException:
        engine.dispose()
        raise
    return Prepared(engine, template, applied)


def load_version(engine: Engine, version_id: int | None = None) -> tuple[Template, int] | None:
    """The Template stored with a version (default: the current one), and its id."""
    with engine.connect() as connection:
        row = (
            current_version(connection)
            if version_id is None
            else connection.execute(
                select(table_of(TemplateVersion)).where(
                    table_of(TemplateVersion).c.id == version_id
                )
            ).first()
        )
    if row is None:
        return None
    with tempfile.TemporaryDirectory(prefix="stockform-template-") as folder:
        for name, text in row.files.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return load_template(folder, FUNCTIONS), int(row.id)


_LATEST = Direct(select(func.max(table_of(TemplateVersion).c.id).label("latest")))


class Runtime:
    """The engine and the template version in force; picks up a version another process applied."""

    def __init__(self, engine: Engine, template: Template, version_id: int) -> None:
        self.engine = engine
        self.template = template
        self.version_id = version_id

    def refresh(self) -> bool:
        """Reload the template if a newer version was applied; True when it changed."""
        # Read-only: every request asks, and on SQLite a writer's transaction would queue
        # behind (and block) every other writer for this one read.
        with self.engine.connect().execution_options(**READ_ONLY) as connection:
            latest = _LATEST.first(connection, {}).latest
        if latest is None or latest == self.version_id:
            return False
        loaded = load_version(self.engine, latest)
        if loaded is None:
            return False
        self.template, self.version_id = loaded
        return True
