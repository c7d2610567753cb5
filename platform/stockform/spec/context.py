"""Shared state of one template check: the data, where it was written, the issues found."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from .expressions import Expression, ExpressionError, FunctionRegistry, check, parse
from .issues import Path, TemplateIssue, did_you_mean, format_path
from .loader import SourceMap
from .model import Label
from .types import ANY, BOOL, Type, describe, plain

_DURATION = re.compile(r"^([0-9]+) ?(s|m|h|d)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class Context:
    """Reads raw template data and records every problem with its location."""

    def __init__(
        self,
        data: Mapping[str, Any],
        source: SourceMap,
        functions: FunctionRegistry,
        broken: Iterable[Path] = (),
    ) -> None:
        self.data = data
        self.source = source
        self.functions = functions
        self.issues: list[TemplateIssue] = []
        self._broken = {tuple(p) for p in broken}

    def issue(
        self, path: Path, message: str, hint: str | None = None, *, key: bool = False
    ) -> None:
        self.issues.append(self.source.issue(path, message, hint, key=key))

    def unknown(self, path: Path, what: str, name: str, known: Iterable[str]) -> None:
        """Report a reference to something that does not exist, with a suggestion."""
        self.issue(path, f"unknown {what} '{name}'", did_you_mean(name, known))

    def is_broken(self, path: Path) -> bool:
        """True when the meta-schema already found a problem at or under path."""
        n = len(path)
        return any(p[:n] == tuple(path) for p in self._broken)

    def items(self, path: Path) -> list[tuple[str, Any]]:
        """The (name, value) pairs of a map at path, skipping ones the schema rejected."""
        raw = self.get(path)
        if not isinstance(raw, Mapping):
            return []
        return [(k, v) for k, v in raw.items() if not self.is_broken((*path, k))]

    def declared(self, path: Path) -> list[str]:
        """Names defined in the map at path, even ones whose definition has problems.

        References resolve against these, so one broken form does not also make every
        mention of it an "unknown form".
        """
        raw = self.get(path)
        return [str(k) for k in raw] if isinstance(raw, Mapping) else []

    def get(self, path: Path, default: Any = None) -> Any:
        node: Any = self.data
        for part in path:
            if isinstance(node, dict) and isinstance(part, str):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return default
            if node is None:
                return default
        return node

    def label(self, path: Path, fallback: str) -> Label:
        return Label.of(self.get(path), fallback.replace("_", " ").capitalize())

    def optional_label(self, path: Path) -> Label | None:
        raw = self.get(path)
        return None if raw is None else Label.of(raw)

    def expression(
        self,
        path: Path,
        scope: Mapping[str, Type],
        expect: Type | None = None,
        raw: Any = None,
        what: str = "",
    ) -> Expression | None:
        """Parse and type-check the expression at path; None (with an issue) when it fails."""
        raw = self.get(path) if raw is None else raw
        if raw is None:
            return None
        source = str(raw).lower() if isinstance(raw, bool) else str(raw)
        try:
            expr = parse(source)
            found = check(expr, scope, self.functions)
        except ExpressionError as exc:
            self._expression_issue(path, exc, what)
            return None
        if expect is not None and not compatible(found, expect):
            hint = "compare something, e.g. qty > 0" if expect == BOOL else None
            self.issue(
                path, f"{what}gives {describe(found)}, but {describe(expect)} is needed", hint
            )
            return None
        return expr

    def _expression_issue(self, path: Path, exc: ExpressionError, what: str) -> None:
        file, line, col = self.source.at(path)
        self.issues.append(
            TemplateIssue(
                file,
                line,
                col + exc.offset if line else col,
                format_path(path),
                f"{what}{exc.message}",
                exc.hint,
            )
        )

    def duration(self, path: Path) -> timedelta | None:
        raw = self.get(path)
        if raw is None or raw == "never":
            return None
        match = _DURATION.match(str(raw))
        if not match:
            return None  # the meta-schema reported it
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def compatible(found: Type, expected: Type) -> bool:
    """Whether a value of type found may stand where expected is needed."""
    return ANY in (found, expected) or found == expected or plain(found) == expected
