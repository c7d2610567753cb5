"""What the documents layer refuses; the edges turn these into pages and API errors."""

from __future__ import annotations


class DocumentError(Exception):
    """Base of the documents layer's refusals."""


class Forbidden(DocumentError):
    """The actor's roles do not allow this."""


class NotFound(DocumentError):
    """No such document (or form, or line)."""


class InvalidTransition(DocumentError):
    """The transition cannot be taken now: wrong state, condition false, comment missing…"""
