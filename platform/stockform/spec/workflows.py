"""Build and check workflows: states, transitions, roles, conditions and stock effects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .context import Context
from .expressions import Expression, ExpressionError, parse
from .forms import FormScopes
from .issues import Path, did_you_mean
from .model import (
    ALL,
    BUILTIN_ROLE,
    Effect,
    EffectKind,
    FormSpec,
    State,
    StockSpec,
    Transition,
    WorkflowSpec,
    frozen_map,
)
from .scopes import field_value_type, stock_record
from .sections import OUTSIDE
from .types import BOOL, NUMBER, Record, Type

SAME = "same"


def build_workflows(
    ctx: Context, forms: Mapping[str, FormSpec], stock: StockSpec, roles: list[str], sku: Record
) -> dict[str, WorkflowSpec]:
    result = {}
    for name, raw in ctx.items(("workflows",)):
        users = [f for f in forms.values() if f.workflow == name]
        result[name] = _build_workflow(
            ctx, ("workflows", name), name, raw, users, stock, roles, sku
        )
    return result


def _build_workflow(
    ctx: Context,
    path: Path,
    name: str,
    raw: Mapping[str, Any],
    forms: list[FormSpec],
    stock: StockSpec,
    roles: list[str],
    sku: Record,
) -> WorkflowSpec:
    transitions_raw = dict(ctx.items((*path, "transitions")))
    declared = dict(ctx.items((*path, "states")))
    if SAME in declared:
        ctx.issue(
            (*path, "states", SAME),
            "'same' means 'stay in the current state'",
            "choose another state name",
            key=True,
        )
    state_names = list(declared) if declared else _inferred_states(raw, transitions_raw)
    initial = str(raw.get("initial"))
    if initial not in state_names:
        ctx.unknown((*path, "initial"), "state", initial, state_names)
    states = {}
    for state in state_names:
        state_raw = declared.get(state) or {}
        editable = state_raw.get("editable", ALL if state == initial else "none")
        states[state] = State(
            state,
            ctx.label((*path, "states", state, "label"), state),
            ALL if editable == ALL else () if editable == "none" else tuple(editable),
            bool(state_raw.get("final", False)),
        )
        _check_editable(ctx, (*path, "states", state, "editable"), editable, forms)
    transitions = {}
    for tname, traw in transitions_raw.items():
        transitions[tname] = _build_transition(
            ctx, (*path, "transitions", tname), tname, traw, states, forms, stock, roles, sku
        )
    leaving = sorted({s for t in transitions.values() for s in t.sources})
    if initial in states and transitions and initial not in leaving:
        ctx.issue(
            (*path, "initial"),
            f"no transition leaves the initial state '{initial}'",
            did_you_mean(initial, leaving),
        )
    return WorkflowSpec(
        name,
        ctx.label((*path, "label"), name),
        initial,
        frozen_map(states),
        frozen_map(transitions),
    )


def _inferred_states(raw: Mapping[str, Any], transitions: Mapping[str, Any]) -> list[str]:
    """Without a `states` map, the states are the initial one and every transition's target.

    A state a transition leaves must be one of these, so a typo in `from` is caught.
    """
    names = [str(raw.get("initial"))] + [str(t.get("to")) for t in transitions.values()]
    return [n for i, n in enumerate(names) if n not in names[:i] and n != SAME]


def _check_editable(ctx: Context, path: Path, editable: Any, forms: list[FormSpec]) -> None:
    if not isinstance(editable, list):
        return
    for i, field in enumerate(editable):
        for form in forms:
            if field not in form.fields and field not in form.lines:
                ctx.issue(
                    (*path, i),
                    f"'{field}' is not a field of form '{form.id}'",
                    did_you_mean(field, [*form.fields, *form.lines]),
                )


def _build_transition(
    ctx: Context,
    path: Path,
    name: str,
    raw: Mapping[str, Any],
    states: Mapping[str, State],
    forms: list[FormSpec],
    stock: StockSpec,
    roles: list[str],
    sku: Record,
) -> Transition:
    sources = raw.get("from")
    sources = [sources] if isinstance(sources, str) else list(sources or [])
    for i, state in enumerate(sources):
        where = (*path, "from", i) if isinstance(raw.get("from"), list) else (*path, "from")
        if state not in states:
            ctx.unknown(where, "state", state, states)
        elif states[state].final:
            ctx.issue(where, f"'{state}' is a final state: no transition leaves it")
    target = raw.get("to")
    if target != SAME and target not in states:
        ctx.unknown((*path, "to"), "state", str(target), [*states, SAME])
    for i, role in enumerate(raw.get("roles") or []):
        if role not in roles and role != BUILTIN_ROLE:
            ctx.unknown((*path, "roles", i), "role", role, [*roles, BUILTIN_ROLE])
    automatic = bool(raw.get("automatic", False))
    if automatic and raw.get("roles"):
        ctx.issue(
            (*path, "roles"),
            "an automatic transition is taken by the engine, not a role",
            "remove roles, or remove automatic",
        )
    if automatic and raw.get("quorum", 1) > 1:
        ctx.issue((*path, "quorum"), "an automatic transition cannot need approvals")
    condition = None
    if raw.get("if") is not None:
        condition = _per_form(ctx, (*path, "if"), forms, lambda s: s.header, BOOL, sku)
    elif automatic and target == SAME:
        ctx.issue(
            path,
            "an automatic transition that stays in its state would run forever",
            "give it a condition or another target state",
        )
    effects = tuple(
        e
        for i, e_raw in enumerate(raw.get("effects") or [])
        if (e := _build_effect(ctx, (*path, "effects", i), e_raw, forms, stock, sku)) is not None
    )
    return Transition(
        name=name,
        label=ctx.label((*path, "label"), name),
        sources=tuple(sources),
        target=None if target == SAME else target,
        roles=tuple(raw.get("roles") or ()),
        condition=condition,
        quorum=int(raw.get("quorum", 1)),
        self_approval=bool(raw.get("self_approval", True)),
        automatic=automatic,
        comment=str(raw.get("comment", "optional")),
        effects=effects,
    )


def _per_form(
    ctx: Context,
    path: Path,
    forms: list[FormSpec],
    scope_of: Any,
    expect: Type | None,
    sku: Record,
    raw: Any = None,
    extra: Mapping[str, Type] | None = None,
) -> Expression | None:
    """Check an expression against every form that uses the workflow; parse it once."""
    text = ctx.get(path) if raw is None else raw
    if text is None:
        return None
    if not forms:
        # No form uses this workflow yet: only the syntax can be checked.
        return _parse_only(ctx, path, text)
    parsed = None
    for form in forms:
        scopes = FormScopes(form.fields, form.lines, list(form.totals), sku)
        scope = {**scope_of(scopes), **(extra or {})}
        what = f"in form '{form.id}': " if len(forms) > 1 else ""
        expr = ctx.expression(path, scope, expect, raw=text, what=what)
        parsed = parsed or expr
    return parsed


def _parse_only(ctx: Context, path: Path, text: Any) -> Expression | None:
    source = str(text).lower() if isinstance(text, bool) else str(text)
    try:
        return parse(source)
    except ExpressionError as exc:
        ctx.issue(path, exc.message, exc.hint)
        return None


def _build_effect(
    ctx: Context,
    path: Path,
    raw: Mapping[str, Any],
    forms: list[FormSpec],
    stock: StockSpec,
    sku: Record,
) -> Effect | None:
    kind = EffectKind(next(iter(raw)))
    args: Mapping[str, Any] = raw[kind.value] or {}
    inner = (*path, kind.value)
    rule = args.get("rule")
    if kind in (EffectKind.LOCK, EffectKind.KEEP, EffectKind.RELEASE, EffectKind.CONSUME):
        declared = ctx.declared(("stock", "lock_rules"))
        if rule is not None and rule not in declared:
            ctx.unknown((*inner, "rule"), "lock rule", rule, declared)
        elif (
            rule is None
            and kind is EffectKind.LOCK
            and stock.default_lock_rule is None
            and len(declared) == len(stock.lock_rules)
        ):
            ctx.issue(
                inner,
                "no lock rule is named and there is no default one",
                "name one (rule: order) or mark one 'default: true' in stock.lock_rules",
            )
    buckets = list(stock.buckets)
    line_stock = stock_record(buckets, list(stock.quantities))
    extra = {"stock": line_stock}

    def expr(key: str, expect: Type | None, default: str | None = None) -> Expression | None:
        given = args.get(key)
        if given is None and default is None:
            return None
        where = (*inner, key) if given is not None else inner
        return _per_form(
            ctx,
            where,
            forms,
            lambda s: s.line,
            expect,
            sku,
            raw=given if given is not None else default,
            extra=extra,
        )

    if kind is EffectKind.MOVE:
        for end in ("from", "to"):
            bucket = args.get(end)
            if bucket != OUTSIDE and bucket not in buckets:
                ctx.unknown((*inner, end), "bucket", str(bucket), [*buckets, OUTSIDE])
        if args.get("from") == args.get("to") and args.get("to_warehouse") is None:
            ctx.issue(
                inner,
                "a move needs two different ends",
                "change 'from' or 'to', or add 'to_warehouse'",
            )
        if OUTSIDE == args.get("from") == args.get("to"):
            ctx.issue(inner, "a move cannot go from outside to outside")
    if kind is EffectKind.SET:
        return _build_set(ctx, inner, args, forms, extra, sku)
    per_line = kind in (EffectKind.LOCK, EffectKind.MOVE)
    if per_line:
        for form in forms:
            _check_line_defaults(ctx, inner, args, form)
    return Effect(
        kind=kind,
        rule=rule,
        sku=expr("sku", None) if per_line else None,
        warehouse=expr("warehouse", None) if per_line else None,
        to_warehouse=expr("to_warehouse", None),
        batch=expr("batch", None),
        qty=expr("qty", NUMBER),
        unit_cost=expr("unit_cost", NUMBER),
        from_bucket=args.get("from"),
        to_bucket=args.get("to"),
        movement_kind=args.get("kind"),
        expires_after=ctx.duration((*inner, "expires_after")),
        cut_locks=args.get("cut_locks") is True,
    )


def _check_line_defaults(ctx: Context, path: Path, args: Mapping[str, Any], form: FormSpec) -> None:
    """A per-line effect that names no SKU, warehouse or quantity takes them from the form."""
    if "sku" not in args and not any(f.type == "sku" for f in form.lines.values()):
        ctx.issue(
            path,
            f"form '{form.id}' has no sku line field to take the SKU from",
            "add one, or give 'sku:'",
        )
    if "warehouse" not in args:
        has_line = form.lines.get("warehouse") is not None
        header = form.fields.get("warehouse")
        if not has_line and (header is None or header.type != "warehouse"):
            ctx.issue(
                path,
                f"form '{form.id}' has no 'warehouse' field to take the warehouse from",
                "add one, or give 'warehouse:'",
            )
    if "qty" not in args and "qty" not in form.lines:
        ctx.issue(path, f"form '{form.id}' has no 'qty' line field", "add one, or give 'qty:'")


def _build_set(
    ctx: Context,
    path: Path,
    args: Mapping[str, Any],
    forms: list[FormSpec],
    extra: Mapping[str, Type],
    sku: Record,
) -> Effect | None:
    target = str(args.get("field"))
    on_line = target.startswith("line.")
    name = target[5:] if on_line else target
    own: Type | None = None
    for form in forms:
        table = form.lines if on_line else form.fields
        if name not in table:
            ctx.unknown(
                (*path, "field"),
                f"{'line ' if on_line else ''}field of form '{form.id}'",
                name,
                table,
            )
            return None
        own = field_value_type(table[name], sku)
    value = _per_form(
        ctx,
        (*path, "value"),
        forms,
        lambda s: s.line if on_line else s.header,
        own,
        sku,
        extra=extra,
    )
    if value is None:
        return None
    return Effect(kind=EffectKind.SET, field=target, value=value)
