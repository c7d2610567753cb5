"""Build one field spec and check the parts of it that need no expression scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .context import Context
from .fieldtypes import COMMON_FIELD_KEYS, FIELD_TYPES, FieldValueError
from .issues import Path
from .model import Choice, FieldSpec, Label

# A string default on these types is an expression (sku.list_price, today()); on the others
# it is the value itself (a choice's option, a text).
EXPRESSION_DEFAULT_TYPES = frozenset({"integer", "decimal", "money", "date", "datetime"})
EXPRESSION_KEYS = ("required_if", "show_if", "compute", "min", "max")


def build_field(ctx: Context, path: Path, name: str, forms: list[str] | None) -> FieldSpec | None:
    """The static part of a field; expressions are added by the caller, who knows the scope."""
    raw: Mapping[str, Any] = ctx.get(path) or {}
    type_name = str(raw.get("type"))
    field_type = FIELD_TYPES.get(type_name)
    if field_type is None:
        ctx.unknown((*path, "type"), "field type", type_name, FIELD_TYPES.names())
        return None
    ok = True
    for key in raw:
        if key not in COMMON_FIELD_KEYS and key not in field_type.options:
            owners = [t.name for t in FIELD_TYPES if key in t.options]
            ctx.issue(
                (*path, key),
                f"'{key}' does not apply to a {type_name} field",
                f"it applies to: {', '.join(owners)}" if owners else None,
                key=True,
            )
            ok = False
    options = _options(raw.get("options") or ())
    if "options" in field_type.options and not options:
        ctx.issue(path, f"a {type_name} field needs options", "options: [a, b, c]")
        ok = False
    values = [c.value for c in options]
    for i, value in enumerate(values):
        if value in values[:i]:
            ctx.issue((*path, "options", i), f"option '{value}' is listed twice")
    target = raw.get("form")
    if type_name == "link":
        if target is None:
            ctx.issue(path, "a link field names the form it points at", "form: receipt")
            ok = False
        elif forms is not None and target not in forms:
            ctx.unknown((*path, "form"), "form", str(target), forms)
    if raw.get("input") == "scan" and not field_type.scannable:
        scannable = ", ".join(t.name for t in FIELD_TYPES if t.scannable)
        ctx.issue(
            (*path, "input"),
            f"a {type_name} field cannot take scanner input",
            f"scanning works on {scannable} fields",
        )
    if raw.get("compute") is not None and (raw.get("default") is not None or raw.get("required")):
        ctx.issue(
            (*path, "compute"),
            "a computed field cannot also have a default or be required",
            "its value always comes from the expression",
        )
    spec = FieldSpec(
        name=name,
        type=type_name,
        label=ctx.label((*path, "label"), name),
        help=ctx.optional_label((*path, "help")),
        required=bool(raw.get("required", False)),
        readonly=bool(raw.get("readonly", False)) or raw.get("compute") is not None,
        unique=bool(raw.get("unique", False)),
        input=raw.get("input"),
        precision=raw.get("precision"),
        options=options,
        max_length=raw.get("max_length"),
        pattern=raw.get("pattern"),
        target=target,
    )
    if raw.get("pattern") is not None:
        import re

        try:
            re.compile(str(raw["pattern"]))
        except re.error as exc:
            ctx.issue((*path, "pattern"), f"not a valid pattern: {exc}")
            ok = False
    default = raw.get("default")
    if default is not None and not has_expression_default(spec, default) and ok:
        try:
            default = field_type.clean(default, spec)
        except FieldValueError as exc:
            ctx.issue((*path, "default"), f"default {exc}")
            default = None
    return _replace(spec, default=default) if ok else None


def has_expression_default(spec: FieldSpec, raw_default: Any) -> bool:
    """Whether a field's written default is an expression rather than a value."""
    return isinstance(raw_default, str) and spec.type in EXPRESSION_DEFAULT_TYPES


def _options(raw: Any) -> tuple[Choice, ...]:
    choices = []
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, Mapping):
            value = str(item.get("value"))
            choices.append(Choice(value, Label.of(item.get("label"), value)))
        else:
            choices.append(Choice(str(item), Label.of(str(item))))
    return tuple(choices)


def _replace(spec: FieldSpec, **changes: Any) -> FieldSpec:
    from dataclasses import replace

    return replace(spec, **changes)
