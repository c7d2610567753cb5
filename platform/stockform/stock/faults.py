"""Named fault-injection points for crash tests: inert unless STOCKFORM_TEST_FAULT names one.

A test sets STOCKFORM_TEST_FAULT=ledger.before_movements in a worker process; reaching that
point kills the process outright (SIGKILL), mid-transaction, as a power cut would.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "STOCKFORM_TEST_FAULT"


def point(name: str) -> None:
    """Die here if a test asked for it."""
    if os.environ.get(VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
