"""Numbers as people and programs type them: the one grammar that form fields, API bodies and
pages read a number with.

Digits with an optional point and decimals (`12`, `12.5`, `.5`, `-3`), and commas only as
thousands separators in groups of three (`1,250.5`), with spaces around it allowed. Nothing
else: no exponent (`1e3`), no `+`, no underscores, no spaces inside. A comma that does not
separate thousands is refused rather than dropped, so `1,5` (one and a half, as much of Europe
writes it) never becomes 15.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .phrases import Phrase, phrase

# The same text is a Python and an ECMA-262 regular expression: the API's JSON Schemas
# publish it.
PATTERN = r"-?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)"
_NUMBER = re.compile(PATTERN)
# The largest size of number a field holds, as the stock layer stores no larger (stock.units).
LARGEST = 10**15
_EXPONENT = re.compile(r"[+-]?[0-9.]+[eE][+-]?[0-9]+")


class NumberError(ValueError):
    """Text that is not a number as the grammar writes one; the message says why."""


def read_number(text: str) -> Decimal:
    """The exact number text writes, or NumberError."""
    stripped = text.strip()
    if _NUMBER.fullmatch(stripped) is None:
        raise NumberError(_why_not(text, stripped))
    return Decimal(stripped.replace(",", ""))


def not_a_number(text: object) -> Phrase:
    return phrase("'%(text)s' is not a number", text=text)


def _why_not(text: str, stripped: str) -> Phrase:
    if "," in stripped and _NUMBER.fullmatch(stripped.replace(",", "")) is not None:
        return phrase(
            "'%(text)s' is not a number: decimals take a point (1.5), and a comma only"
            " separates thousands",
            text=text,
        )
    if _EXPONENT.fullmatch(stripped) is not None:
        return phrase(
            "'%(text)s' is not a number: write it out in digits, without an exponent", text=text
        )
    return not_a_number(text)
