"""Check and compute a document on the server, however its values arrived (form, API, import).

Coerces every value by its field type, applies defaults, computes line fields, totals and
computed header fields, clears hidden fields, and checks required, min/max, line counts and
the form's own checks. Every problem names its field (and line number).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from ..spec.expressions import Expression, compile_python
from ..spec.fieldtypes import FIELD_TYPES, FieldValueError
from ..spec.model import FieldSpec, FormSpec
from ..spec.phrases import Labelled, message_of, phrase

RECORD_KINDS = ("sku", "warehouse", "batch")


class RecordLookups(Protocol):
    """`target` narrows a lookup: a linked document's form, a batch's SKU code."""

    def exists(self, kind: str, value: str, target: str | None = None) -> bool: ...
    def record(self, kind: str, value: str, target: str | None = None) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class FieldError:
    """One problem: the field, the 1-based line number for line fields, and the message."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if not self.field:
            # A check of the whole document, or of one line (`per: line`), which it names.
            return f"line {self.line}: {self.message}" if self.line else self.message
        where = f"line {self.line}, {self.field}" if self.line else self.field
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "line": self.line, "message": self.message}


class ValidationFailed(Exception):
    """The document cannot be saved as it is; carries every problem."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


@dataclass
class Evaluated:
    """Clean values of a document: header fields, lines, totals."""

    fields: dict[str, Any]
    lines: list[dict[str, Any]]
    totals: dict[str, Any]
    errors: list[FieldError] = field(default_factory=list)


_COMPILED: dict[Expression, Callable[[Mapping[str, Any]], Any]] = {}


def run(expr: Expression, env: Mapping[str, Any]) -> Any:
    """Evaluate expr in env (compiled once per expression)."""
    if expr not in _COMPILED:
        _COMPILED[expr] = compile_python(expr)
    return _COMPILED[expr](env)


def evaluate(
    form: FormSpec,
    raw_fields: Mapping[str, Any],
    raw_lines: Sequence[Mapping[str, Any]],
    lookups: RecordLookups,
    *,
    today: date,
    locale: str | None = None,
    state: str | None = None,
) -> Evaluated:
    """Clean values, computed values and every problem found (errors are not raised here).

    `state` is the document's workflow state, which expressions see as `state`.
    """
    errors: list[FieldError] = []
    prefetch = getattr(lookups, "prefetch", None)
    if prefetch is not None:
        for name, spec in form.lines.items():
            if spec.type == "sku":
                prefetch("sku", [str(raw.get(name)).strip() for raw in raw_lines if raw.get(name)])
    fields = _clean(form.fields, raw_fields, lookups, errors, None)
    # A line's batch belongs to the line's SKU, or else to the header's.
    header_sku = owner_code(form.fields, fields, "sku")
    lines = [
        _clean(form.lines, raw, lookups, errors, i + 1, header_sku)
        for i, raw in enumerate(raw_lines)
    ]
    base: dict[str, Any] = {"$today": today, "state": state}
    header_env = field_env(form.fields, fields, lookups, base)
    _defaults(form.fields, fields, raw_fields, header_env, errors, None)
    header_env = field_env(form.fields, fields, lookups, base)
    line_envs = []
    for number, (values, raw) in enumerate(zip(lines, raw_lines, strict=True), start=1):
        env = {**header_env, "doc": header_env}
        env.update(field_env(form.lines, values, lookups, {}, owner=header_sku))
        _defaults(form.lines, values, raw, env, errors, number)
        env.update(field_env(form.lines, values, lookups, {}, owner=header_sku))
        computed = {n: s.compute for n, s in form.lines.items() if s.compute is not None}
        for name in _order(dict(computed)):
            values[name] = _safe(computed[name], env)
            env[name] = values[name]
        env["line"] = {k: env.get(k) for k in form.lines}
        line_envs.append(env)
    header_env["lines"] = [{k: env.get(k) for k in form.lines} for env in line_envs]
    totals: dict[str, Any] = {}
    pending: dict[str, Expression | None] = {
        **{n: s.compute for n, s in form.fields.items() if s.compute},
        **dict(form.totals),
    }
    for name in _order(pending):
        expr = pending[name]
        assert expr is not None
        value = _safe(expr, header_env)
        header_env[name] = value
        if name in form.totals:
            totals[name] = value
        else:
            fields[name] = value
    header_env["doc"] = header_env
    _visibility_and_limits(form.fields, fields, header_env, errors, None, locale)
    for number, (values, env) in enumerate(zip(lines, line_envs, strict=True), start=1):
        _visibility_and_limits(form.lines, values, env, errors, number, locale)
        _check_precision(form, values, lookups, errors, number)
    if len(lines) < form.min_lines:
        needs = (
            phrase("needs at least 1 line")
            if form.min_lines == 1
            else phrase("needs at least %(count)s lines", count=form.min_lines)
        )
        errors.append(FieldError("lines", needs))
    if form.max_lines is not None and len(lines) > form.max_lines:
        errors.append(FieldError("lines", phrase("at most %(count)s lines", count=form.max_lines)))
    errors.sort(key=lambda e: (e.line or 0, e.field != "lines"))
    if not errors:
        # Line environments were made before the header's computed fields and totals were.
        computed = {n: header_env[n] for n in pending if n not in form.lines}
        for check in form.checks:
            if not check.per_line:
                if run(check.require, header_env) is not True:
                    errors.append(FieldError("", Labelled(check.message, locale)))
                continue
            for number, env in enumerate(line_envs, start=1):
                if run(check.require, {**header_env, **env, **computed}) is not True:
                    errors.append(FieldError("", Labelled(check.message, locale), number))
    return Evaluated(fields, lines, totals, errors)


def _clean(
    specs: Mapping[str, FieldSpec],
    raw: Mapping[str, Any],
    lookups: RecordLookups,
    errors: list[FieldError],
    line: int | None,
    outer_sku: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in raw:
        if key not in specs and key != "id":
            errors.append(FieldError(key, phrase("no such field"), line))
    owned = []
    for name, spec in specs.items():
        if spec.compute is not None:
            continue
        field_type = FIELD_TYPES.get(spec.type)
        assert field_type is not None
        values[name] = None
        if field_type.owned_by is not None:
            owned.append((name, spec, field_type))  # once the value it belongs to is clean
            continue
        try:
            values[name] = field_type.clean(raw.get(name), spec, lookups)
        except FieldValueError as exc:
            errors.append(FieldError(name, message_of(exc), line))
    for name, spec, field_type in owned:
        assert field_type.owned_by is not None
        holder = owner_field(specs, field_type.owned_by)
        code = values.get(holder) if holder else outer_sku
        # An owner that was itself refused has its own message; a batch of it cannot be
        # checked, so it is only coerced.
        refused = code is None and holder is not None and _has_error(errors, holder, line)
        try:
            values[name] = field_type.clean(
                raw.get(name), spec, None if refused else lookups, owner=code
            )
        except FieldValueError as exc:
            errors.append(FieldError(name, message_of(exc), line))
    return values


def _has_error(errors: Sequence[FieldError], name: str, line: int | None) -> bool:
    return any(e.field == name and e.line == line for e in errors)


def owner_field(specs: Mapping[str, FieldSpec], kind: str) -> str | None:
    """The field of that kind a batch belongs to: the one named after the kind (`sku`), else
    the first of that type."""
    named = specs.get(kind)
    if named is not None and named.type == kind:
        return kind
    return next((n for n, s in specs.items() if s.type == kind), None)


def owner_code(specs: Mapping[str, FieldSpec], values: Mapping[str, Any], kind: str) -> str | None:
    """The code in the owner field of `specs` (a line's SKU), if any."""
    name = owner_field(specs, kind)
    value = values.get(name) if name else None
    return value if isinstance(value, str) else None


def field_env(
    specs: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    lookups: RecordLookups,
    base: Mapping[str, Any],
    *,
    owner: str | None = None,
) -> dict[str, Any]:
    """Values as expressions see them: a sku, warehouse or batch field is its record.

    A batch is that of the SKU in specs' own SKU field, else of `owner` (the header's SKU).
    """
    env = dict(base)
    sku = owner_code(specs, values, "sku") if owner_field(specs, "sku") else owner
    for name, spec in specs.items():
        value = values.get(name)
        if spec.type in RECORD_KINDS and value is not None:
            record = (
                lookups.record(spec.type, value, sku)
                if spec.type == "batch"
                else lookups.record(spec.type, value)
            )
            env[name] = {**(record or {}), "code": value, "$value": value}
        else:
            env[name] = value
    return env


def _defaults(
    specs: Mapping[str, FieldSpec],
    values: dict[str, Any],
    raw: Mapping[str, Any],
    env: Mapping[str, Any],
    errors: list[FieldError],
    line: int | None,
) -> None:
    for name, spec in specs.items():
        if spec.compute is not None or name in raw or spec.default is None:
            continue
        if isinstance(spec.default, Expression):
            values[name] = _safe(spec.default, env)
        else:
            values[name] = spec.default


def _order(items: Mapping[str, Expression | None]) -> list[str]:
    """Names in an order where each comes after the names (of items) it uses."""
    done: list[str] = []
    pending = dict(items)
    while pending:
        ready = [
            n
            for n, e in pending.items()
            if e is None
            or not any(_uses(ref, n2) for ref in e.references for n2 in pending if n2 != n)
        ]
        for name in ready or list(pending):  # loops were refused when the template loaded
            done.append(name)
            pending.pop(name)
    return done


def _uses(ref: tuple[str, ...], name: str) -> bool:
    return ref[0] == name or (ref[0] in ("line", "lines", "doc") and ref[1:2] == (name,))


def _safe(expr: Expression, env: Mapping[str, Any]) -> Any:
    try:
        return run(expr, env)
    except (TypeError, ArithmeticError):
        return None  # a value of the wrong kind already has its own error


def _visibility_and_limits(
    specs: Mapping[str, FieldSpec],
    values: dict[str, Any],
    env: Mapping[str, Any],
    errors: list[FieldError],
    line: int | None,
    locale: str | None,
) -> None:
    for name, spec in specs.items():
        if spec.show_if is not None and run(spec.show_if, env) is not True:
            # Hidden fields never block and are cleared: a batch left in a line whose new
            # SKU has no batches is not an error.
            values[name] = None
            errors[:] = [e for e in errors if not (e.field == name and e.line == line)]
            continue
        value = values.get(name)
        if _has_error(errors, name, line):
            continue  # the value itself was wrong; "required" would only repeat it
        required = spec.required or (
            spec.required_if is not None and run(spec.required_if, env) is True
        )
        if value is None:
            if required and spec.compute is None:
                errors.append(FieldError(name, phrase("required"), line))
            continue
        for bound, low in ((spec.min, True), (spec.max, False)):
            if bound is None:
                continue
            limit = _safe(bound, env)
            if limit is None or not isinstance(value, Decimal | int | date):
                continue
            if low and value < limit:
                errors.append(
                    FieldError(name, phrase("must be at least %(limit)s", limit=_show(limit)), line)
                )
            elif not low and value > limit:
                errors.append(
                    FieldError(name, phrase("must be at most %(limit)s", limit=_show(limit)), line)
                )


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _check_precision(
    form: FormSpec,
    values: Mapping[str, Any],
    lookups: RecordLookups,
    errors: list[FieldError],
    line: int,
) -> None:
    """A line's quantity may not be finer than its SKU allows (pieces are whole)."""
    sku_field = next((n for n, s in form.lines.items() if s.type == "sku"), None)
    qty = values.get("qty")
    if sku_field is None or not isinstance(qty, Decimal) or values.get(sku_field) is None:
        return
    record = lookups.record("sku", values[sku_field])
    if record is None:
        return
    precision = int(record.get("precision") or 0)
    exponent = qty.normalize().as_tuple().exponent
    # Only the decimals: a number too large to store is refused when it is stored.
    if isinstance(exponent, int) and -exponent > precision:
        allowed = (
            phrase("whole units")
            if precision == 0
            else phrase("at most %(places)s decimals", places=precision)
        )
        finer = phrase(
            "%(qty)s is finer than %(sku)s allows (%(allowed)s)",
            qty=_show(qty),
            sku=values[sku_field],
            allowed=allowed,
        )
        errors.append(FieldError("qty", finer, line))
