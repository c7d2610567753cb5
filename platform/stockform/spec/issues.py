"""Template problems as data: every issue names its file, line, column and key path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .phrases import phrase

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """Render ('forms', 'so', 'checks', 0, 'require') as forms.so.checks[0].require."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(top)"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Suggest the closest valid name, or list the valid ones when few enough."""
    options = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return phrase("did you mean '%(name)s'?", name=close[0])
    if not options:
        return None
    if len(options) <= 8:
        return phrase("valid: %(names)s", names=", ".join(options))
    return None


@dataclass(frozen=True, order=True)
class TemplateIssue:
    """One problem found in a template, pointing at where it was written."""

    file: str
    line: int
    col: int
    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        text = f"{where}  {self.path}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


class TemplateError(Exception):
    """A template failed to load or check; carries every issue, sorted."""

    def __init__(self, issues: Sequence[TemplateIssue]) -> None:
        self.issues = tuple(sorted(set(issues)))
        super().__init__("\n".join(str(i) for i in self.issues))

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)
