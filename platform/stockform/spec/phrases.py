"""Messages of the engine that the web UI can say in its user's language.

A Phrase is the English text, and is a str: logs, the API, the command line and tests read it
as it is. It also carries the template it was made from and the values put into it, so the web
UI can look the template up in its catalogue and fill in the values (said first, when they are
phrases themselves: "at most 2 decimals" inside "1.234 has too many decimals: …"). Templates
take `%(name)s` placeholders, as the UI's own strings do, so one catalogue holds both; the
catalogue test finds every `phrase("…")` in the code. A text the template wrote itself is
Labelled: it carries its own languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Label


class Phrase(str):
    """English text made from a template and values."""

    template: str
    values: Mapping[str, Any]

    def __new__(cls, template: str, values: Mapping[str, Any]) -> Phrase:
        made = super().__new__(cls, template % values if values else template)
        made.template = template
        made.values = values
        return made


def phrase(template: str, **values: Any) -> Phrase:
    """template with its %(name)s placeholders filled in from values."""
    return Phrase(template, values)


class Labelled(str):
    """A text the template wrote (a check's message), in one locale, carrying its Label so the
    web UI can say it in another."""

    label: Label

    def __new__(cls, label: Label, locale: str | None) -> Labelled:
        made = super().__new__(cls, label.text(locale))
        made.label = label
        return made


def message_of(exc: BaseException) -> str:
    """The message exc was raised with; a Phrase stays one (str(exc) would make it plain)."""
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)
