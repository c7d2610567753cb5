"""The key that signs sessions and CSRF tokens: the SECRET_KEY setting, or one generated once
into the instance folder and kept, so every worker on the host signs with the same key."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

FILE_NAME = "secret_key"
MIN_LENGTH = 32


class SecretKeyError(RuntimeError):
    """The instance folder's key file cannot be created or read."""


def secret_key(configured: str | None, instance: str | Path) -> str:
    """The configured key, else the instance folder's (created by the first worker to start)."""
    if configured:
        return configured
    folder = Path(instance)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    try:
        # O_EXCL: of several workers starting at once exactly one creates the file.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32))
        out.flush()
        os.fsync(out.fileno())
    return _read(path)


def _read(path: Path, wait: float = 5.0) -> str:
    # Another worker may have created the file and not yet written it: wait for the key.
    deadline = time.monotonic() + wait
    while True:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= MIN_LENGTH:
            return key
        if time.monotonic() > deadline:
            raise SecretKeyError(
                f"{path} holds no usable key; delete it to have a new one made, "
                "or set STOCKFORM_SECRET_KEY"
            )
        time.sleep(0.02)
