"""Settings: one documented table, read from config/stockform.toml and STOCKFORM_* variables.

Later sources win: built-in default < config file < environment < explicit overrides
(command-line flags, test fixtures).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import STARTERS

PREFIX = "STOCKFORM_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


def _text(value: Any) -> str:
    return str(value)


def _port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"PORT must be a number, not {value!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"PORT must be between 1 and 65535, not {port}")
    return port


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"expected true or false, not {value!r}")


def _synchronous(value: Any) -> str:
    text = str(value).strip().upper()
    if text not in ("FULL", "NORMAL"):
        raise SettingsError(f"SQLITE_SYNCHRONOUS must be FULL or NORMAL, not {value!r}")
    return text


@dataclass(frozen=True)
class Setting:
    """One setting: its name (without the STOCKFORM_ prefix), default and what it does."""

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = _text


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CONFIG",
        "config/stockform.toml",
        "The settings file to read (TOML, keys in lower case without the prefix).",
    ),
    Setting(
        "INSTANCE_PATH",
        "instance",
        "Folder for the SQLite database, the generated secret key and uploads.",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL of the database. Default: a SQLite file stockform.db in the "
        "instance folder. PostgreSQL: postgresql+psycopg://user@host/db.",
    ),
    Setting(
        "TEMPLATE",
        None,
        "The template folder the app runs. Default: the `retail` starter in templates_lib/.",
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Signs sessions and CSRF tokens. Required when more than one host serves the app; "
        "on one host it is generated once into the instance folder.",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "Send the session cookie over https only (its `Secure` flag). Turn on when the app is "
        "served over https; the cookie is always HttpOnly and SameSite=Lax.",
        _flag,
    ),
    Setting(
        "TIMEZONE",
        None,
        "Business time zone for numbering, dates and lock expiry (timestamps are stored in "
        "UTC). Default: the template's timezone.",
    ),
    Setting("HOST", "127.0.0.1", "Address `stockform serve` listens on."),
    Setting("PORT", 5000, "Port `stockform serve` listens on.", _port),
    Setting(
        "SQLITE_SYNCHRONOUS",
        "FULL",
        "SQLite durability: FULL (a committed movement survives a power cut) or NORMAL "
        "(faster; the last transactions may be lost on power loss, never corrupted).",
        _synchronous,
    ),
    Setting("DEMO", False, "Load demo data on start when the database is empty.", _flag),
)
BY_NAME = {s.name: s for s in SETTINGS}


def load_settings(
    overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Every setting's value, from defaults, the config file, the environment and overrides."""
    env = os.environ if env is None else env
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    config_path = Path(
        overrides.get("CONFIG") or env.get(PREFIX + "CONFIG") or BY_NAME["CONFIG"].default
    )
    from_file = _read_file(
        config_path, explicit=bool(env.get(PREFIX + "CONFIG") or overrides.get("CONFIG"))
    )
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = setting.default
        for source in (
            from_file,
            {k[len(PREFIX) :]: v for k, v in env.items() if k.startswith(PREFIX)},
            overrides,
        ):
            if setting.name in source:
                raw = source[setting.name]
        values[setting.name] = None if raw is None else setting.parse(raw)
    if values["TEMPLATE"] is None:
        values["TEMPLATE"] = str(STARTERS / "retail")
    if values["DATABASE_URL"] is None:
        instance = Path(values["INSTANCE_PATH"]).resolve()
        values["DATABASE_URL"] = f"sqlite:///{instance / 'stockform.db'}"
    return values


def _read_file(path: Path, *, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise SettingsError(f"settings file {path} does not exist")
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from None
    result = {}
    for key, value in raw.items():
        name = key.upper()
        if name not in BY_NAME:
            from .spec.issues import did_you_mean

            hint = did_you_mean(key, [s.name.lower() for s in SETTINGS])
            raise SettingsError(f"{path}: unknown setting '{key}'" + (f" ({hint})" if hint else ""))
        result[name] = value
    return result
