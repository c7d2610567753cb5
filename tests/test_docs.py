"""The README documents every field type, effect, setting, command and function."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from stockform.cli import main, settings_table
from stockform.settings import SETTINGS
from stockform.spec.expressions import FUNCTIONS
from stockform.spec.fieldtypes import FIELD_TYPES
from stockform.spec.model import EffectKind

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", FIELD_TYPES.names())
def test_every_field_type_is_documented(name: str) -> None:
    assert f"| `{name}` |" in README


@pytest.mark.parametrize("kind", [k.value for k in EffectKind])
def test_every_effect_is_documented(kind: str) -> None:
    assert f"| `{kind}: " in README


@pytest.mark.parametrize("setting", [s.name for s in SETTINGS])
def test_every_setting_is_documented(setting: str) -> None:
    assert f"| `STOCKFORM_{setting}` |" in README


def test_the_settings_table_is_the_generated_one() -> None:
    assert settings_table() in README


def _commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, command in main.commands.items():
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            found.append((name, command))
    return sorted(found, key=lambda item: item[0])


@pytest.mark.parametrize("command", [name for name, _ in _commands()])
def test_every_command_is_documented(command: str) -> None:
    assert f"| `stockform {command}" in README


@pytest.mark.parametrize("name", FUNCTIONS.names())
def test_every_expression_function_is_documented(name: str) -> None:
    assert re.search(rf"\| `{name}\(", README), name


def test_every_command_option_is_documented() -> None:
    for name, command in _commands():
        row = next(line for line in README.splitlines() if line.startswith(f"| `stockform {name}"))
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(opt in row for opt in param.opts), (name, param.opts)


def test_quick_start_has_exactly_two_one_line_sh_blocks() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    assert all(block.count("\n") == 1 for block in blocks)
    ci = (Path(__file__).parents[1] / ".ci/run").read_text(encoding="utf-8")
    assert blocks[1].strip() in ci


def _api_routes() -> list[str]:
    """Every API route as the README writes it: `METHOD /api/v1/path/<param>`."""
    from flask import Flask

    from stockform.api import routes

    app = Flask(__name__)
    routes.init_app(app)
    converters = re.compile(r"<(?:\w+:)?(\w+)>")
    return sorted(
        method + " " + converters.sub(r"<\1>", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    )


@pytest.mark.parametrize("route", _api_routes())
def test_every_api_route_is_documented(route: str) -> None:
    section = README.split("## API\n", 1)[1].split("\n## ", 1)[0]
    assert f"| `{route}` |" in section


def test_every_api_error_code_is_documented() -> None:
    from stockform.api.errors import CODES

    section = README.split("## API\n", 1)[1].split("\n## ", 1)[0]
    for code, (status, _when) in CODES.items():
        assert f"| `{code}` | {status} |" in section, code
