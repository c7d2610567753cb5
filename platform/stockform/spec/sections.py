"""Build and check the template, warehouse, sku, stock and roles sections."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from typing import Any

from .context import Context
from .cycles import report_cycles
from .fields import build_field
from .issues import did_you_mean
from .model import (
    ALL,
    BUILTIN_ROLE,
    Bucket,
    FieldSpec,
    Level,
    LockRule,
    Quantity,
    Role,
    SkuSpec,
    StockSpec,
    TemplateInfo,
    Tracking,
    Warehouse,
    WarningRule,
    frozen_map,
)
from .scopes import SKU_BUILTIN_FIELDS, sku_record, stock_scope
from .types import BOOL, NUMBER, Record

OUTSIDE = "outside"


def build_info(ctx: Context) -> TemplateInfo:
    path = ("template",)
    timezone = str(ctx.get((*path, "timezone"), "UTC"))
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        ctx.issue(
            (*path, "timezone"),
            f"unknown time zone '{timezone}'",
            "use a name such as Asia/Shanghai or Europe/Berlin",
        )
        timezone = "UTC"
    locales = tuple(ctx.get((*path, "locales")) or ("en",))
    version = ctx.get((*path, "version"), 1)
    return TemplateInfo(
        id=str(ctx.get((*path, "id"), "template")),
        name=ctx.label((*path, "name"), str(ctx.get((*path, "id"), "template"))),
        description=ctx.optional_label((*path, "description")),
        version=version if isinstance(version, int) else 1,
        format=1,
        locales=locales,
        timezone=timezone,
        currency=ctx.get((*path, "currency")),
    )


def build_warehouses(ctx: Context) -> Mapping[str, Warehouse]:
    result = {}
    for code, raw in ctx.items(("warehouses",)):
        path = ("warehouses", code)
        result[code] = Warehouse(
            code, ctx.label((*path, "name"), code), raw.get("address"), raw.get("active", True)
        )
    if not result and not ctx.is_broken(("warehouses",)):
        ctx.issue(("warehouses",), "a template needs at least one warehouse")
    return frozen_map(result)


def build_sku(ctx: Context) -> SkuSpec:
    path = ("sku",)
    fields: dict[str, FieldSpec] = {}
    for name, _raw in ctx.items((*path, "fields")):
        if name in SKU_BUILTIN_FIELDS:
            ctx.issue(
                (*path, "fields", name),
                f"'{name}' is a built-in SKU field",
                "every SKU has code, name, unit, barcode and precision",
                key=True,
            )
            continue
        built = build_field(ctx, (*path, "fields", name), name, forms=None)
        if built is not None:
            fields[name] = built
    # Field expressions (defaults, min/max) on SKU fields see the other SKU fields.
    record = sku_record(fields)
    tracking_raw = ctx.get((*path, "tracking")) or {}
    batches: Any = tracking_raw.get("batches", False) if isinstance(tracking_raw, dict) else False
    if isinstance(batches, str):
        scope = {**dict(record.fields), "sku": record}
        batches = ctx.expression((*path, "tracking", "batches"), scope, BOOL) or False
    tracking = Tracking(
        batches=batches,
        expiry=bool(tracking_raw.get("expiry", False)) if isinstance(tracking_raw, dict) else False,
        picking=str(tracking_raw.get("picking", "FIFO"))
        if isinstance(tracking_raw, dict)
        else "FIFO",
        expired_to=tracking_raw.get("expired_to") if isinstance(tracking_raw, dict) else None,
    )
    return SkuSpec(
        precision=ctx.get((*path, "precision"), 0),
        unit=str(ctx.get((*path, "unit"), "pcs")),
        costing=str(ctx.get((*path, "costing"), "moving_average")),
        tracking=tracking,
        fields=frozen_map(fields),
    )


def build_stock(ctx: Context, sku: SkuSpec, roles: Mapping[str, Any]) -> StockSpec:
    path = ("stock",)
    buckets = {}
    for name, raw in ctx.items((*path, "buckets")):
        if name == OUTSIDE:
            ctx.issue(
                (*path, "buckets", name),
                "'outside' is the world beyond the warehouses",
                "it is not a bucket; movements use it as one end",
                key=True,
            )
            continue
        raw = raw or {}
        buckets[name] = Bucket(
            name,
            ctx.label((*path, "buckets", name, "label"), name),
            bool(raw.get("allow_negative", False)),
        )
    record = sku_record(sku.fields)
    quantities = _build_quantities(ctx, list(buckets), record)
    # Later expressions see every declared quantity, so one broken formula is reported once.
    names = [n for n in ctx.declared((*path, "quantities")) if n not in buckets]
    lock_rules = _build_lock_rules(ctx, list(buckets), names, record)
    warnings = _build_warnings(ctx, list(buckets), names, record, roles)
    _check_expired_to(ctx, sku, list(buckets), lock_rules)
    return StockSpec(
        frozen_map(buckets), frozen_map(quantities), frozen_map(lock_rules), frozen_map(warnings)
    )


def _build_quantities(ctx: Context, buckets: list[str], sku: Record) -> dict[str, Quantity]:
    path = ("stock", "quantities")
    raw_items = dict(ctx.items(path))
    for name in raw_items:
        if name in buckets:
            ctx.issue((*path, name), f"'{name}' is already a bucket", key=True)
    names = [n for n in raw_items if n not in buckets]
    # Quantities may use each other; the cycle check runs on their references below.
    scope = stock_scope(buckets, names, sku)
    result: dict[str, Quantity] = {}
    for name in names:
        raw = raw_items[name]
        expr_path = (*path, name, "expr") if isinstance(raw, dict) else (*path, name)
        expr = ctx.expression(expr_path, scope, NUMBER)
        if expr is not None:
            result[name] = Quantity(name, ctx.label((*path, name, "label"), name), expr)
    graph = {n: [r[0] for r in q.expr.references if r[0] in result] for n, q in result.items()}
    for loop in report_cycles(graph):
        first = loop[0]
        ctx.issue((*path, first), "quantities depend on each other in a loop: " + " -> ".join(loop))
        for name in loop:
            result.pop(name, None)
    return result


def _build_lock_rules(
    ctx: Context, buckets: list[str], quantities: list[str], sku: Record
) -> dict[str, LockRule]:
    path = ("stock", "lock_rules")
    scope = {**stock_scope(buckets, quantities, sku), "qty": NUMBER}
    result = {}
    defaults = []
    for name, raw in ctx.items(path):
        rule_path = (*path, name)
        ends = {}
        for end, fallback in (("from", "available"), ("to", "locked")):
            bucket = raw.get(end, fallback)
            if bucket not in buckets:
                where = (*rule_path, end) if end in raw else rule_path
                ctx.issue(
                    where,
                    f"unknown bucket '{bucket}'"
                    + ("" if end in raw else f" (the default for '{end}')"),
                    did_you_mean(bucket, buckets),
                )
            ends[end] = bucket
        if ends["from"] == ends["to"]:
            ctx.issue(rule_path, "a lock must move stock between two different buckets")
        check = raw.get(
            "check", "sellable >= qty" if "sellable" in quantities else f"{ends['from']} >= qty"
        )
        expr = ctx.expression(
            (*rule_path, "check"),
            scope,
            BOOL,
            raw=check,
            what="" if "check" in raw else "the default check: ",
        )
        if raw.get("default"):
            defaults.append(name)
        if expr is not None:
            result[name] = LockRule(
                name,
                ctx.label((*rule_path, "label"), name),
                bool(raw.get("default", False)),
                expr,
                ctx.duration((*rule_path, "expires_after")),
                bool(raw.get("partial", False)),
                ends["from"],
                ends["to"],
            )
    if len(defaults) > 1:
        ctx.issue(
            (*path, defaults[1], "default"),
            "only one lock rule can be the default",
            f"'{defaults[0]}' is the default already",
        )
    return result


def _build_warnings(
    ctx: Context,
    buckets: list[str],
    quantities: list[str],
    sku: Record,
    roles: Mapping[str, Any],
) -> dict[str, WarningRule]:
    path = ("stock", "warnings")
    result = {}
    for name, raw in ctx.items(path):
        rule_path = (*path, name)
        per = str(raw.get("per", "warehouse"))
        scope = stock_scope(buckets, quantities, sku, batch=per == "batch", row=True)
        when = ctx.expression((*rule_path, "when"), scope, BOOL)
        for i, role in enumerate(raw.get("notify") or []):
            if role not in roles and role != BUILTIN_ROLE:
                ctx.unknown((*rule_path, "notify", i), "role", role, [*roles, BUILTIN_ROLE])
        message = ctx.label((*rule_path, "message"), name)
        _check_placeholders(ctx, (*rule_path, "message"), message.texts, scope)
        if when is not None:
            result[name] = WarningRule(
                name,
                ctx.label((*rule_path, "label"), name),
                when,
                Level(raw.get("level", "warning")),
                message,
                tuple(raw.get("notify") or ()),
                per,
            )
    return result


def _check_expired_to(
    ctx: Context, sku: SkuSpec, buckets: list[str], lock_rules: Mapping[str, LockRule]
) -> None:
    target = sku.tracking.expired_to
    if target is None:
        return
    path = ("sku", "tracking", "expired_to")
    if not sku.tracking.expiry:
        ctx.issue(path, "only batches with an expiry date can expire", "add `expiry: true`")
    if target not in buckets:
        ctx.issue(path, f"unknown bucket '{target}'", did_you_mean(target, buckets))
    elif target in {rule.from_bucket for rule in lock_rules.values()} or target == "available":
        ctx.issue(
            path,
            f"'{target}' is where locks take stock from",
            "name a bucket of its own, such as expired, so expired goods cannot be promised",
        )


def _check_placeholders(ctx: Context, path: tuple[str, ...], texts: Any, scope: Any) -> None:
    import string

    for locale, text in texts:
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError as exc:
            ctx.issue(path, f"message: {exc}", "write {{ and }} for a literal brace")
            continue
        for _literal, name, _spec, _conv in parts:
            if name:
                where = path if locale == "*" else (*path, locale)
                ctx.expression(where, scope, raw=name, what=f"placeholder {{{name}}}: ")


def build_roles(ctx: Context, forms: list[str], warehouses: list[str]) -> Mapping[str, Role]:
    result: dict[str, Role] = {}
    for name, raw in ctx.items(("roles",)):
        path = ("roles", name)
        if name == BUILTIN_ROLE:
            ctx.issue(
                path, "'admin' is built in and may do everything", "choose another name", key=True
            )
            continue
        raw = raw or {}
        raw_forms = raw.get("forms", {})
        grants: dict[str, frozenset[str]] = {}
        for form, rights in (raw_forms if raw_forms != ALL else {}).items():
            if form not in forms:
                ctx.unknown((*path, "forms", form), "form", form, forms)
            grants[form] = frozenset(("create", "read") if rights == ALL else rights)
        raw_wh = raw.get("warehouses", ALL)
        if raw_wh != ALL:
            for i, code in enumerate(raw_wh):
                if code not in warehouses:
                    ctx.unknown((*path, "warehouses", i), "warehouse", code, warehouses)
        result[name] = Role(
            name,
            ctx.label((*path, "label"), name),
            ALL if raw_forms == ALL else frozen_map(grants),
            ALL if raw_wh == ALL else tuple(raw_wh),
        )
    return frozen_map(result)
