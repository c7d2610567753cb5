"""A document form as posted by the browser, checked by `documents.validate.evaluate` on the
server (the only place values are computed), and what the editor shows for it."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection
from werkzeug.datastructures import MultiDict

from ..documents.lookups import DatabaseLookups
from ..documents.validate import Evaluated, FieldError, evaluate, field_env, run
from ..spec.expressions import Expression
from ..spec.model import ALL, FieldSpec, FormSpec, Template
from ..stock.query import StockRow
from .i18n import say
from .linestock import line_stock
from .values import input_value

KEY = re.compile(r"[A-Za-z0-9_]{1,24}")
Editable = tuple[str, ...] | str


def new_key() -> str:
    return "n" + secrets.token_hex(4)


def field_name(name: str) -> str:
    return f"field.{name}"


def line_name(key: str, name: str) -> str:
    return f"line.{key}.{name}"


@dataclass
class Row:
    """One line as posted: its key on the page, its stored id (when saved) and raw values."""

    key: str
    id: int | None
    raw: dict[str, Any]


@dataclass
class Posted:
    fields: dict[str, Any]
    rows: list[Row]


def read_value(data: MultiDict[str, str], name: str, spec: FieldSpec) -> tuple[bool, Any]:
    if spec.type == "multi_choice":
        values = data.getlist(name)
        return bool(values), [v for v in values if v]
    if spec.type == "boolean":
        values = data.getlist(name)
        return bool(values), values[-1] if values else None
    return name in data, data.get(name)


def parse(form: FormSpec, data: MultiDict[str, str]) -> Posted:
    """The document's values from a posted form; names the template does not have are ignored."""
    fields = {}
    for name, spec in form.fields.items():
        present, value = read_value(data, field_name(name), spec)
        if present and spec.compute is None:
            fields[name] = value
    rows, seen = [], set()
    for key in data.getlist("lines"):
        if not KEY.fullmatch(key) or key in seen:
            continue
        seen.add(key)
        raw = {}
        for name, spec in form.lines.items():
            present, value = read_value(data, line_name(key, name), spec)
            if present and spec.compute is None:
                raw[name] = value
        line_id = data.get(line_name(key, "id"), "")
        rows.append(Row(key, int(line_id) if line_id.isdigit() else None, raw))
    return Posted(fields, rows)


def compact(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Values the user gave (an empty input means "not given", so defaults apply)."""
    return {k: v for k, v in raw.items() if v not in ("", None, [])}


def is_blank(form: FormSpec, row: Row) -> bool:
    """A row left as it was added: nothing typed but literal defaults."""
    for name, value in compact(row.raw).items():
        default = form.lines[name].default
        if isinstance(default, Expression) or str(value) != _literal(default):
            return False
    return True


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def stored_rows(form: FormSpec, lines: Sequence[Mapping[str, Any]]) -> list[Row]:
    """Saved lines as rows of raw input values."""
    return [
        Row(
            f"id{line['id']}",
            int(line["id"]),
            {n: input_value(s, line.get(n)) for n, s in form.lines.items() if s.compute is None},
        )
        for line in lines
    ]


def stored_fields(form: FormSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    return {n: input_value(s, values.get(n)) for n, s in form.fields.items() if s.compute is None}


def reset_defaults(form: FormSpec, row: Row, changed: str) -> None:
    """Forget values whose default depends on the changed field (a new SKU, a new price)."""
    for name, spec in form.lines.items():
        if isinstance(spec.default, Expression) and any(
            ref[0] == changed or (ref[0] == "line" and ref[1:2] == (changed,))
            for ref in spec.default.references
        ):
            row.raw.pop(name, None)


@dataclass
class RowView:
    key: str
    id: int | None
    inputs: dict[str, Any]
    computed: dict[str, Any]
    errors: list[FieldError] = field(default_factory=list)
    stock: StockRow | None = None


@dataclass
class EditorView:
    """Everything the editor shows: inputs, computed values, totals, problems, live stock."""

    form: FormSpec
    inputs: dict[str, Any]
    computed: dict[str, Any]
    totals: dict[str, Any]
    rows: list[RowView]
    field_errors: dict[str, list[str]]
    doc_errors: list[str]
    hidden: set[str]
    required: set[str]
    editable: Editable = ALL
    hidden_on_lines: dict[str, set[str]] = field(default_factory=dict)

    def may_edit(self, name: str) -> bool:
        return self.editable == ALL or name in self.editable

    @property
    def hidden_columns(self) -> set[str]:
        """Line fields hidden (show_if) on every line: their whole column is left out."""
        found = list(self.hidden_on_lines.values())
        return set.intersection(*found) if found else set()

    @property
    def lines_editable(self) -> bool:
        return self.editable == ALL


def build(
    connection: Connection,
    template: Template,
    form: FormSpec,
    posted: Posted,
    *,
    today: date,
    locale: str | None,
    editable: Editable = ALL,
    errors: Sequence[FieldError] | None = None,
    live: bool = False,
) -> EditorView:
    """Evaluate the posted values and lay out what the page shows.

    errors: the refusals of a save to show (else the evaluation's own, without "required"
    and whole-document checks when live, since the user is still typing).
    """
    lookups = DatabaseLookups(connection, template)
    evaluated = evaluate(
        form,
        compact(posted.fields),
        [compact(r.raw) for r in posted.rows],
        lookups,
        today=today,
        locale=locale,
    )
    shown = list(evaluated.errors if errors is None else errors)
    if errors is None and live:
        shown = [e for e in shown if e.message != "required" and e.field not in ("", "lines")]
    elif errors is None:
        shown = []
    shown = [replace(e, message=say(e.message)) for e in shown]
    keys = [r.key for r in posted.rows]
    stock = line_stock(connection, template, form, evaluated, keys)
    on_line: dict[int, list[FieldError]] = {}
    for error in shown:
        if error.line:  # a field of the line, or a per-line check (no field)
            on_line.setdefault(error.line, []).append(error)
    computed = [n for n, s in form.lines.items() if s.compute is not None]
    rows = [
        RowView(
            row.key,
            row.id,
            _inputs(form.lines, row.raw, values),
            {n: values.get(n) for n in computed},
            on_line.get(number, []),
            stock.get(row.key),
        )
        for number, (row, values) in enumerate(zip(posted.rows, evaluated.lines, strict=True), 1)
    ]
    field_errors: dict[str, list[str]] = {}
    for error in shown:
        if error.line is None and error.field in form.fields:
            field_errors.setdefault(error.field, []).append(error.message)
    doc_errors = [str(e) for e in shown if e.field not in form.fields and not e.line]
    hidden, required = conditions(form, evaluated, lookups, today)
    on_lines = hidden_line_fields(form, evaluated, lookups, today)
    return EditorView(
        form,
        _inputs(form.fields, posted.fields, evaluated.fields),
        {n: evaluated.fields.get(n) for n, s in form.fields.items() if s.compute is not None},
        evaluated.totals,
        rows,
        field_errors,
        doc_errors,
        hidden,
        required,
        editable,
        {row.key: names for row, names in zip(posted.rows, on_lines, strict=True)},
    )


def _inputs(
    specs: Mapping[str, FieldSpec], raw: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    """What each input holds: what the user typed, else the value the server filled in."""
    inputs = {}
    for name, spec in specs.items():
        if spec.compute is not None:
            continue
        typed = raw.get(name)
        given = typed not in ("", None, [])
        inputs[name] = typed if given else input_value(spec, values.get(name))
        if spec.type == "boolean":
            inputs[name] = input_value(spec, inputs[name])
    return inputs


def conditions(
    form: FormSpec, evaluated: Evaluated, lookups: DatabaseLookups, today: date
) -> tuple[set[str], set[str]]:
    """Header fields hidden by show_if, and fields required now (required or required_if)."""
    env: Mapping[str, Any] = {}
    if any(s.show_if or s.required_if for s in form.fields.values()):
        # Only worth building (it holds every line) when there is a condition to check.
        env = _header_env(form, evaluated, lookups, today)
    hidden = {n for n, s in form.fields.items() if s.show_if and not _holds(s.show_if, env)}
    required = {
        n
        for n, s in form.fields.items()
        if s.compute is None and (s.required or (s.required_if and _holds(s.required_if, env)))
    }
    return hidden, required


def hidden_line_fields(
    form: FormSpec, evaluated: Evaluated, lookups: DatabaseLookups, today: date
) -> list[set[str]]:
    """Per line, the line fields its show_if hides (a batch for a SKU without batches)."""
    if not any(s.show_if for s in form.lines.values()):
        return [set() for _ in evaluated.lines]
    header = _header_env(form, evaluated, lookups, today)
    found = []
    for line in evaluated.lines:
        env = {**header, **field_env(form.lines, line, lookups, {})}
        env["line"] = {k: env.get(k) for k in form.lines}
        found.append({n for n, s in form.lines.items() if s.show_if and not _holds(s.show_if, env)})
    return found


def _header_env(
    form: FormSpec, evaluated: Evaluated, lookups: DatabaseLookups, today: date
) -> dict[str, Any]:
    # The same environment evaluate() gives show_if and required_if.
    env = field_env(form.fields, evaluated.fields, lookups, {"$today": today})
    env.update(evaluated.totals)
    env["lines"] = [field_env(form.lines, line, lookups, {}) for line in evaluated.lines]
    env["doc"] = env
    return env


def _holds(expr: Expression, env: Mapping[str, Any]) -> bool:
    try:
        return run(expr, env) is True
    except (TypeError, ArithmeticError, KeyError, AttributeError):
        return False
