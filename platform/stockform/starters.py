"""The starter templates in templates_lib/: list them and copy one into a new folder."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .paths import STARTERS
from .rules.functions import FUNCTIONS
from .spec.template import load_template


@dataclass(frozen=True)
class Starter:
    name: str
    path: Path
    description: str


class StarterError(ValueError):
    """A starter cannot be copied; the message says why."""


def list_starters() -> list[Starter]:
    """Every starter template with its one-line description."""
    found = []
    for path in sorted(p for p in STARTERS.iterdir() if p.is_dir()) if STARTERS.is_dir() else []:
        template = load_template(path, FUNCTIONS)
        description = template.info.description or template.info.name
        found.append(Starter(path.name, path, description.text("en")))
    return found


def copy_starter(name: str, target: Path) -> Path:
    """Copy starter `name` into target, which must not exist or be empty."""
    source = STARTERS / name
    if not source.is_dir():
        from .spec.issues import did_you_mean

        names = [p.name for p in STARTERS.iterdir() if p.is_dir()] if STARTERS.is_dir() else []
        hint = did_you_mean(name, names)
        raise StarterError(f"no starter template '{name}'" + (f" ({hint})" if hint else ""))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise StarterError(f"{target} is not empty; choose a new folder")
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target
