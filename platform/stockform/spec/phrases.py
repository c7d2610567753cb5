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

from collections.abc import Iterable, Mapping
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
    """A text the template wrote (a check's message, a state's label), carrying its Label so
    the web UI can say it in the user's locale. As a str it is the label in one locale, or the
    name given (a state's name, as the API and logs name it)."""

    label: Label

    def __new__(
        cls, label: Label, locale: str | None = None, *, name: str | None = None
    ) -> Labelled:
        made = super().__new__(cls, label.text(locale) if name is None else name)
        made.label = label
        return made


class Joined(str):
    """Several messages as one, each said in turn."""

    parts: tuple[str, ...]
    separator: str

    def __new__(cls, parts: Iterable[str], separator: str = "; ") -> Joined:
        kept = tuple(parts)
        made = super().__new__(cls, separator.join(kept))
        made.parts = kept
        made.separator = separator
        return made


def message_of(exc: BaseException) -> str:
    """The message exc was raised with; a Phrase stays one (str(exc) would make it plain)."""
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)


# What the engine looks up, as messages name it.
_THINGS = {
    "sku": phrase("SKU"),
    "warehouse": phrase("warehouse"),
    "batch": phrase("batch"),
    "user": phrase("user"),
    "document": phrase("document"),
}


def thing(kind: str) -> str:
    """The word for a kind of record ("sku", "warehouse", …), as a phrase."""
    return _THINGS.get(kind, kind)


def missing(kind: str, code: object, owner: object = None, hint: str | None = None) -> Phrase:
    """No record of kind with code (of its owner: a batch of a SKU), with a hint if any."""
    values = {"kind": thing(kind), "code": code}
    if owner is None:
        return phrase("no %(kind)s '%(code)s'", **values)
    if hint:
        return phrase(
            "no %(kind)s '%(code)s' of %(owner)s (%(hint)s)", owner=owner, hint=hint, **values
        )
    return phrase("no %(kind)s '%(code)s' of %(owner)s", owner=owner, **values)


def too_large(number: object, most: int) -> Phrase:
    return phrase(
        "%(number)s is too large (at most %(most)s)", number=number, most=format(most, ",")
    )
