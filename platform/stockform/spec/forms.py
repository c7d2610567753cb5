"""Build and check forms: header fields, line items, totals, checks and their expressions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .context import Context
from .cycles import report_cycles
from .fields import EXPRESSION_KEYS, build_field, has_expression_default
from .fieldtypes import FIELD_TYPES
from .issues import Path
from .model import Check, FieldSpec, FormSpec, frozen_map
from .scopes import RESERVED_FIELD_NAMES, field_value_type
from .types import ANY, BOOL, TEXT, ListOf, Record, Type

NUMBERING_TOKENS = ("YYYY", "YY", "MM", "DD")
_TOKEN = re.compile(r"\{([^{}]*)\}")


class FormScopes:
    """The names expressions see in a form's header and in each of its lines."""

    def __init__(
        self,
        fields: Mapping[str, FieldSpec],
        lines: Mapping[str, FieldSpec],
        totals: list[str],
        sku: Record,
    ) -> None:
        header: dict[str, Type] = {n: field_value_type(f, sku) for n, f in fields.items()}
        header.update({name: ANY for name in totals})
        line_types = {n: field_value_type(f, sku) for n, f in lines.items()}
        self.line_record = Record("line", tuple(line_types.items()))
        self.doc_record = Record("doc", tuple(header.items()))
        self.header: dict[str, Type] = {
            **header,
            "lines": ListOf(self.line_record),
            "doc": self.doc_record,
            # The document's workflow state (its initial state while it is being created).
            "state": TEXT,
        }
        self.line: dict[str, Type] = {**self.header, **line_types, "line": self.line_record}


def build_forms(ctx: Context, sku: Record, workflows: list[str]) -> dict[str, FormSpec]:
    forms: dict[str, FormSpec] = {}
    names = ctx.declared(("forms",))
    for name, raw in ctx.items(("forms",)):
        built = _build_form(ctx, ("forms", name), name, raw, sku, names, workflows)
        if built is not None:
            forms[name] = built
    return forms


def _build_form(
    ctx: Context,
    path: Path,
    form_id: str,
    raw: Mapping[str, Any],
    sku: Record,
    forms: list[str],
    workflows: list[str],
) -> FormSpec | None:
    fields = _static_fields(ctx, (*path, "fields"), forms)
    lines = _static_fields(ctx, (*path, "lines"), forms)
    _check_owners(ctx, path, fields, lines)
    totals_raw = dict(ctx.items((*path, "totals")))
    for name in totals_raw:
        if name in fields:
            ctx.issue(
                (*path, "totals", name), f"'{name}' is already a field of this form", key=True
            )
    scopes = FormScopes(fields, lines, list(totals_raw), sku)
    fields = _with_expressions(ctx, (*path, "fields"), fields, scopes.header, sku)
    lines = _with_expressions(ctx, (*path, "lines"), lines, scopes.line, sku)
    totals = {}
    for name, _raw in totals_raw.items():
        expr = ctx.expression((*path, "totals", name), scopes.header)
        if expr is not None:
            totals[name] = expr
    checks = []
    for i, check in enumerate(ctx.get((*path, "checks")) or []):
        per_line = isinstance(check, Mapping) and check.get("per") == "line"
        scope = scopes.line if per_line else scopes.header
        found = len(ctx.issues)
        expr = ctx.expression((*path, "checks", i, "require"), scope, BOOL)
        if expr is None and not per_line:
            _suggest_per_line(ctx, found, lines)
        if expr is not None:
            message = ctx.label((*path, "checks", i, "message"), "check")
            checks.append(Check(expr, message, per_line))
    _report_form_cycles(ctx, path, fields, lines, totals)
    workflow = raw.get("workflow")
    if workflow is not None and workflow not in workflows:
        ctx.unknown((*path, "workflow"), "workflow", workflow, workflows)
    numbering = str(raw.get("numbering") or f"{form_id.upper()}-{{#####}}")
    _check_numbering(ctx, (*path, "numbering"), numbering)
    min_lines, max_lines = raw.get("min_lines", 0), raw.get("max_lines")
    if max_lines is not None and min_lines > max_lines:
        ctx.issue((*path, "min_lines"), f"min_lines ({min_lines}) is above max_lines ({max_lines})")
    return FormSpec(
        id=form_id,
        label=ctx.label((*path, "label"), form_id),
        description=ctx.optional_label((*path, "description")),
        numbering=numbering,
        fields=frozen_map(fields),
        lines=frozen_map(lines),
        min_lines=min_lines,
        max_lines=max_lines,
        totals=frozen_map(totals),
        checks=tuple(checks),
        workflow=workflow,
    )


def _suggest_per_line(ctx: Context, since: int, lines: Mapping[str, FieldSpec]) -> None:
    """A check of the whole document naming a line field most likely means `per: line`."""
    for index, issue in enumerate(ctx.issues[since:], start=since):
        name = next((n for n in lines if issue.message == f"unknown name '{n}'"), None)
        if name is not None:
            ctx.issues[index] = replace(
                issue,
                message=f"'{name}' is a line field, which a check of the whole document "
                "does not see",
                hint=f"add 'per: line' to check it on every line, "
                f"or use a list such as sum(lines.{name})",
            )


def _check_owners(
    ctx: Context, path: Path, fields: Mapping[str, FieldSpec], lines: Mapping[str, FieldSpec]
) -> None:
    """A batch is a batch of one SKU: a batch field needs a SKU field in its line or, for a
    line, in the header."""
    for part, specs, around in (("fields", fields, fields), ("lines", lines, {**fields, **lines})):
        for name, spec in specs.items():
            field_type = FIELD_TYPES.get(spec.type)
            kind = field_type.owned_by if field_type is not None else None
            if kind is None or any(s.type == kind for s in around.values()):
                continue
            where = "the lines or the header" if part == "lines" else "the header"
            ctx.issue(
                (*path, part, name, "type"),
                f"a {spec.type} field needs a {kind} field beside it, the "
                f"{'SKU' if kind == 'sku' else kind} its {spec.type}es belong to",
                f"add a field of type {kind} to {where}",
            )


def _static_fields(ctx: Context, path: Path, forms: list[str]) -> dict[str, FieldSpec]:
    result = {}
    for name, _raw in ctx.items(path):
        if name in RESERVED_FIELD_NAMES:
            ctx.issue(
                (*path, name), f"'{name}' is a reserved name", "choose another name", key=True
            )
            continue
        spec = build_field(ctx, (*path, name), name, forms)
        if spec is not None:
            result[name] = spec
    return result


def _with_expressions(
    ctx: Context, path: Path, fields: dict[str, FieldSpec], scope: Mapping[str, Type], sku: Record
) -> dict[str, FieldSpec]:
    result = {}
    for name, spec in fields.items():
        raw = ctx.get((*path, name)) or {}
        own = field_value_type(spec, sku)
        changes: dict[str, Any] = {}
        for key in EXPRESSION_KEYS:
            if raw.get(key) is not None:
                expect = BOOL if key in ("required_if", "show_if") else own
                changes[key] = ctx.expression((*path, name, key), scope, expect, raw=raw[key])
        if has_expression_default(spec, raw.get("default")):
            changes["default"] = ctx.expression((*path, name, "default"), scope, own)
        result[name] = replace(spec, **changes) if changes else spec
    return result


def _report_form_cycles(
    ctx: Context,
    path: Path,
    fields: Mapping[str, FieldSpec],
    lines: Mapping[str, FieldSpec],
    totals: Mapping[str, Any],
) -> None:
    graph: dict[str, list[str]] = {}

    def refs(expr: Any, in_line: bool) -> list[str]:
        found = []
        for ref in expr.references:
            head = ref[0]
            if head in ("lines", "line") and len(ref) > 1 and ref[1] in lines:
                found.append(f"lines.{ref[1]}")
            elif head == "doc" and len(ref) > 1:
                found.append(ref[1])
            elif in_line and head in lines:
                found.append(f"lines.{head}")
            elif head in fields or head in totals:
                found.append(head)
        return found

    for name, spec in fields.items():
        if spec.compute is not None:
            graph[name] = refs(spec.compute, False)
    for name, spec in lines.items():
        if spec.compute is not None:
            graph[f"lines.{name}"] = refs(spec.compute, True)
    for name, expr in totals.items():
        graph[name] = refs(expr, False)
    for loop in report_cycles(graph):
        first = loop[0]
        where = (
            (*path, "lines", first[6:], "compute")
            if first.startswith("lines.")
            else (*path, "totals", first)
            if first in totals
            else (*path, "fields", first, "compute")
        )
        ctx.issue(where, "computed values depend on each other in a loop: " + " -> ".join(loop))


def _check_numbering(ctx: Context, path: Path, pattern: str) -> None:
    for token in _TOKEN.findall(pattern):
        if token not in NUMBERING_TOKENS and not re.fullmatch(r"#+", token):
            ctx.issue(
                path,
                f"unknown numbering part '{{{token}}}'",
                "use {YYYY} {YY} {MM} {DD} and a counter such as {####}",
            )
