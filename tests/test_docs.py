"""The README documents every template key, field type, effect, setting, command and function."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest

from stockform.cli import main, settings_table
from stockform.rules.functions import FUNCTIONS  # the language's functions and the rules'
from stockform.settings import SETTINGS
from stockform.spec.fieldtypes import FIELD_TYPES
from stockform.spec.metaschema import schema_documents
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


# The template reference: every section and every key of the meta-schema is documented in
# the subsection of the README that covers it. A key counts as written when a code span holds
# just the key (`show_if`), writes it as a YAML key (`input: scan`, `lock: {…}`) or lists it
# among braces (`{label, default, check}`).

TEMPLATE_REFERENCE = README.split("## Template reference\n", 1)[1].split("\n## ", 1)[0]

# Schemas documented in a subsection of their own rather than in their section's.
SUBSECTIONS = {
    "urn:stockform:field": "#### Fields",
    "urn:stockform:workflows#/$defs/effect": "#### Effects",
}

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def _subsection(heading: str) -> str | None:
    """The text under a heading of the template reference, up to the next heading."""
    parts = re.split(rf"^{re.escape(heading)}\n", TEMPLATE_REFERENCE, maxsplit=1, flags=re.M)
    return re.split(r"^#{1,6} ", parts[1], maxsplit=1, flags=re.M)[0] if len(parts) == 2 else None


def _written_keys(text: str) -> set[str]:
    """Every key name the text writes in a code span."""
    keys: set[str] = set()
    for span in re.findall(r"`([^`]+)`", text):
        if re.fullmatch(_NAME, span):
            keys.add(span)
        keys.update(re.findall(rf"(?<![\w.])({_NAME}):", span))
        for listed in re.findall(r"\{([^{}]*)\}", span):
            keys.update(
                item.strip() for item in listed.split(",") if re.fullmatch(_NAME, item.strip())
            )
    return keys


def _schema_keys() -> dict[tuple[str, str], list[str]]:
    """(heading, key) → the schema paths of every key a template may write."""
    documents = schema_documents()
    found: dict[tuple[str, str], list[str]] = {}
    for section, node in documents["urn:stockform:root"]["properties"].items():
        _walk(node, "urn:stockform:root", section, f"### `{section}`", documents, found, ())
    return found


def _walk(
    node: Any,
    base: str,
    path: str,
    heading: str,
    documents: dict[str, dict[str, Any]],
    found: dict[tuple[str, str], list[str]],
    refs: tuple[str, ...],
) -> None:
    if not isinstance(node, dict):
        return

    def walk(sub: Any, sub_path: str) -> None:
        _walk(sub, base, sub_path, heading, documents, found, refs)

    if "$ref" in node:
        uri, _, pointer = str(node["$ref"]).partition("#")
        uri = uri or base
        ref = f"{uri}#{pointer}" if pointer else uri
        target: Any = documents[uri]
        for part in filter(None, pointer.split("/")):
            target = target[part]
        if ref not in refs:
            heading_there = SUBSECTIONS.get(ref, heading)
            _walk(target, uri, path, heading_there, documents, found, (*refs, ref))
    for key, sub in node.get("properties", {}).items():
        found.setdefault((heading, key), []).append(f"{path}.{key}")
        walk(sub, f"{path}.{key}")
    for sub in [node.get("additionalProperties"), *node.get("patternProperties", {}).values()]:
        walk(sub, f"{path}.*")
    for sub in [node.get("items"), *node.get("prefixItems", [])]:
        walk(sub, f"{path}[]")
    for keyword in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(keyword, []):
            walk(sub, path)
    for keyword in ("then", "else"):
        walk(node.get(keyword), path)


SCHEMA_KEYS = _schema_keys()


@pytest.mark.parametrize(
    "path",
    [
        "template.id",
        "template.locales",
        "warehouses.*.active",
        "sku.tracking.batches",
        "stock.quantities.*.expr",
        "stock.lock_rules.*.expires_after",
        "stock.warnings.*.per",
        "forms.*.checks[].require",
        "forms.*.fields.*.show_if",
        "forms.*.lines.*.options[].value",
        "workflows.*.states.*.editable",
        "workflows.*.transitions.*.quorum",
        "workflows.*.transitions.*.effects[].move.to_warehouse",
        "roles.*.warehouses",
    ],
)
def test_the_schema_walk_finds_nested_keys(path: str) -> None:
    assert any(path in paths for paths in SCHEMA_KEYS.values())


@pytest.mark.parametrize("section", schema_documents()["urn:stockform:root"]["properties"])
def test_every_template_section_has_a_subsection(section: str) -> None:
    assert _subsection(f"### `{section}`") is not None, section


def test_every_template_key_is_documented() -> None:
    missing = [
        f"`{key}` under {heading!r}: {', '.join(paths)}"
        for (heading, key), paths in sorted(SCHEMA_KEYS.items())
        if key not in _written_keys(_subsection(heading) or "")
    ]
    assert not missing, "undocumented in the README's Template reference:\n" + "\n".join(missing)
