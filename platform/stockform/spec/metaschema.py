"""Check merged template data against the meta-schema: JSON Schema 2020-12, a file a section."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from .fieldtypes import FIELD_TYPES, FieldTypeRegistry, field_schema
from .issues import Path, TemplateIssue, did_you_mean
from .loader import SourceMap

SECTIONS = ("template", "warehouses", "sku", "stock", "forms", "workflows", "roles")


def schema_documents(registry: FieldTypeRegistry = FIELD_TYPES) -> dict[str, dict[str, Any]]:
    """Every schema file by its $id, plus the field schema built from the type registry."""
    folder = resources.files("stockform.spec") / "schema"
    documents = {}
    for name in ("common", "root", *SECTIONS):
        document = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        documents[document["$id"]] = document
    field = field_schema(registry)
    documents[field["$id"]] = field
    return documents


@lru_cache(maxsize=4)
def _validator(registry: FieldTypeRegistry = FIELD_TYPES) -> Draft202012Validator:
    documents = schema_documents(registry)
    # The format has no recursive references, so they are inlined once here: following a
    # $ref on every value costs more than the rest of the validation together.
    root = _inline(documents["urn:stockform:root"], "urn:stockform:root", documents)
    return Draft202012Validator(root)


def _inline(node: Any, base: str, documents: dict[str, dict[str, Any]]) -> Any:
    """The schema with every $ref replaced by what it points at."""
    if isinstance(node, list):
        return [_inline(item, base, documents) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        uri, _, pointer = str(node["$ref"]).partition("#")
        uri = uri or base
        target: Any = documents[uri]
        for part in filter(None, pointer.split("/")):
            target = target[part]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**_inline(target, uri, documents), **_inline(siblings, base, documents)}
    return {
        k: _inline(v, base, documents)
        for k, v in node.items()
        if k not in ("$id", "$defs", "$schema")
    }


def validate(data: dict[str, Any], source: SourceMap) -> tuple[list[TemplateIssue], set[Path]]:
    """Every place where data does not fit the meta-schema, as located issues and paths."""
    issues: list[TemplateIssue] = []
    broken: set[Path] = set()
    for error in _validator().iter_errors(data):
        broken.add(tuple(error.absolute_path))
        issues.extend(_to_issues(error, source, data))
    return issues, broken


def _to_issues(error: ValidationError, source: SourceMap, data: Any) -> Iterator[TemplateIssue]:
    path: Path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = list(schema.get("properties", {}))
        for key in error.instance:
            if key not in known:
                yield source.issue(
                    (*path, key), f"unknown key '{key}'", did_you_mean(key, known), key=True
                )
        return
    if _is_key(error, data):
        bad = error.instance
        message = _custom(error) or "is not a valid name"
        yield source.issue((*path, bad), f"'{bad}' {message}", key=True)
        return
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        yield source.issue(path, f"missing required key '{missing}'", key=True)
        return
    if kind == "enum":
        allowed = [str(v) for v in error.validator_value]
        hint = did_you_mean(str(error.instance), allowed)
        yield source.issue(
            path,
            f"'{error.instance}' is not one of {', '.join(allowed)}",
            hint if hint and hint.startswith("did") else None,
        )
        return
    if kind in ("minProperties", "maxProperties") and "x-message" in schema:
        yield source.issue(path, schema["x-message"])
        return
    custom = _custom(error)
    if custom:
        shown = f"'{error.instance}' {custom}" if custom.startswith("is not") else custom
        yield source.issue(path, shown)
        return
    if kind == "type":
        yield source.issue(
            path, f"must be {_types(error.validator_value)}, not {_describe(error.instance)}"
        )
        return
    yield source.issue(path, _plain(error))


def _is_key(error: ValidationError, data: Any) -> bool:
    """Whether the error is about a map's key (propertyNames) rather than a value."""
    node = data
    for part in error.absolute_path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, dict) and isinstance(error.instance, str) and error.instance in node


def _custom(error: ValidationError) -> str | None:
    """The x-message of the failing schema or of the nearest schema above it that has one."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "x-message" in schema:
        return str(schema["x-message"])
    parent = error.parent
    while parent is not None:
        if isinstance(parent.schema, dict) and "x-message" in parent.schema:
            return str(parent.schema["x-message"])
        parent = parent.parent
    return None


def _types(expected: Any) -> str:
    names = {
        "string": "a text",
        "object": "a map",
        "array": "a list",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "null": "empty",
    }
    items = expected if isinstance(expected, list) else [expected]
    return " or ".join(names.get(str(t), str(t)) for t in items)


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text '{value}'"
    return f"the number {value}"


def _plain(error: ValidationError) -> str:
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind == "minimum":
        return f"must be at least {limit}, not {value}"
    if kind == "maximum":
        return f"must be at most {limit}, not {value}"
    if kind == "minItems":
        return f"needs at least {limit} item{'s' if limit != 1 else ''}"
    if kind == "minProperties":
        return f"needs at least {limit} entr{'ies' if limit != 1 else 'y'}"
    if kind == "uniqueItems":
        return "lists the same item twice"
    if kind == "const":
        return f"must be {limit}"
    if kind == "minLength":
        return "must not be empty"
    if kind == "pattern":
        return f"'{value}' does not have the expected form ({limit})"
    return str(error.message)
