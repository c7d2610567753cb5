"""Where the project's own folders are: starter templates and static assets."""

from __future__ import annotations

from pathlib import Path

# platform/stockform/paths.py -> the checkout (or the source tree an editable install uses).
ROOT = Path(__file__).resolve().parents[2]
STARTERS = ROOT / "templates_lib"
STATIC = ROOT / "static"
