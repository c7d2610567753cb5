"""Locks (reservations): take stock from `available` into `locked` for a document line or an
outside reference, atomically, so two buyers of the last unit can never both get it.

Rows are locked in a fixed order (SKU, warehouse, batch), so two multi-line documents locking
the same SKUs in opposite orders cannot deadlock. Expired locks on the rows involved are
released in the same transaction, right before the attempt.

The public entry point of the lock modules; see README.md for which owns what.
"""

from .acquire import acquire
from .close import consume, cut, keep, release
from .expiry import release_expired
from .fast import lock_by_code
from .model import ACTIVE, LockRequest, LockResult, is_active, locks_of, rule_for

__all__ = [
    "ACTIVE",
    "LockRequest",
    "LockResult",
    "acquire",
    "consume",
    "cut",
    "is_active",
    "keep",
    "lock_by_code",
    "locks_of",
    "release",
    "release_expired",
    "rule_for",
]
