"""Build and check the `stock.replenishment` section: its expressions, service levels, and the
forms suggestions are drafted as."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .context import Context
from .fieldtypes import FIELD_TYPES
from .issues import Path, did_you_mean
from .model import (
    DEFAULT_LEVEL,
    DraftForm,
    FieldSpec,
    FormSpec,
    Replenishment,
    SkuSpec,
    StockSpec,
    frozen_map,
)
from .scopes import sku_record, stock_scope
from .types import NUMBER

PATH = ("stock", "replenishment")
CATEGORY = "category"  # the SKU field a per-category service level reads
SAFETY_STOCK_TYPES = ("decimal", "integer")


def build_replenishment(
    ctx: Context, sku: SkuSpec, stock: StockSpec, forms: Mapping[str, FormSpec]
) -> Replenishment | None:
    """The section, or None when the template has none or it has problems (then reported)."""
    raw = ctx.get(PATH)
    if not isinstance(raw, Mapping) or ctx.is_broken(PATH) and "lead_time" not in raw:
        return None
    record = sku_record(sku.fields)
    sku_scope = {"sku": record}
    scope = stock_scope(list(stock.buckets), list(stock.quantities), record)
    issues_before = len(ctx.issues)
    lead_time = ctx.expression((*PATH, "lead_time"), sku_scope, NUMBER)
    position = ctx.expression(
        (*PATH, "position"),
        scope,
        NUMBER,
        raw=raw.get("position", "available"),
        what="" if "position" in raw else "the default position: ",
    )
    bounds = {
        name: ctx.expression((*PATH, name), sku_scope, NUMBER)
        for name in ("min", "max", "multiple")
    }
    levels = _service_levels(ctx, sku, raw.get("service_level", Decimal("0.95")))
    safety = _safety_stock_field(ctx, sku, raw.get("safety_stock_field"))
    order = _draft_form(ctx, forms, "order", {"warehouse": ("to", "warehouse")})
    transfer = _draft_form(
        ctx,
        forms,
        "transfer",
        {"from": ("from", "from_warehouse"), "to": ("to", "to_warehouse")},
    )
    if lead_time is None or position is None or len(ctx.issues) > issues_before:
        return None
    return Replenishment(
        lead_time=lead_time,
        position=position,
        service_levels=frozen_map(levels),
        history_days=_int(ctx, "history_days", 90),
        demand=tuple(str(k) for k in ctx.get((*PATH, "demand")) or ("sale",)),
        min=bounds["min"],
        max=bounds["max"],
        multiple=bounds["multiple"],
        cover_days=_int(ctx, "cover_days", 30),
        safety_stock_field=safety,
        order=order,
        transfer=transfer,
    )


def _int(ctx: Context, key: str, default: int) -> int:
    value = ctx.get((*PATH, key), default)
    return value if isinstance(value, int) and not ctx.is_broken((*PATH, key)) else default


def _service_levels(ctx: Context, sku: SkuSpec, raw: Any) -> dict[str, Decimal]:
    path = (*PATH, "service_level")
    if not isinstance(raw, Mapping):
        if ctx.is_broken(path):
            return {DEFAULT_LEVEL: Decimal("0.95")}
        # YAML gives 0.95 as a float; its shortest text is the number the admin wrote.
        return {DEFAULT_LEVEL: Decimal(str(raw))}
    category = sku.fields.get(CATEGORY)
    if category is None or not category.options:
        ctx.issue(
            path,
            "a service level per category needs a SKU field 'category' with options",
            "add one under sku.fields, or give one level such as 0.95",
        )
        return {DEFAULT_LEVEL: Decimal(str(raw.get(DEFAULT_LEVEL, "0.95")))}
    options = [c.value for c in category.options]
    for key in raw:
        if key != DEFAULT_LEVEL and key not in options:
            ctx.issue(
                (*path, key),
                f"unknown category '{key}'",
                did_you_mean(key, [*options, DEFAULT_LEVEL]),
                key=True,
            )
    # Levels the meta-schema refused were reported there; the template is refused anyway.
    return {str(k): Decimal(str(v)) for k, v in ctx.items(path)}


def _safety_stock_field(ctx: Context, sku: SkuSpec, name: Any) -> str | None:
    if name is None or ctx.is_broken((*PATH, "safety_stock_field")):
        return None
    path = (*PATH, "safety_stock_field")
    spec = sku.fields.get(str(name))
    if spec is None:
        ctx.unknown(path, "SKU field", str(name), sku.fields)
        return None
    if spec.type not in SAFETY_STOCK_TYPES:
        ctx.issue(
            path,
            f"SKU field '{name}' is a {spec.type} field; a safety stock needs a number field",
            "use a field of type decimal or integer",
        )
        return None
    return str(name)


def _draft_form(
    ctx: Context,
    forms: Mapping[str, FormSpec],
    key: str,
    defaults: Mapping[str, tuple[str, str]],
) -> DraftForm | None:
    """The order or transfer form: it exists, its header fields hold warehouses, and its lines
    have one SKU field and a `qty` field."""
    path: Path = (*PATH, key)
    raw = ctx.get(path)
    if not isinstance(raw, Mapping) or ctx.is_broken(path):
        return None
    form_id = str(raw.get("form"))
    if form_id not in forms:
        if form_id not in ctx.declared(("forms",)):
            ctx.unknown((*path, "form"), "form", form_id, ctx.declared(("forms",)))
        return None
    form = forms[form_id]
    found: dict[str, str] = {}
    for end, (role, fallback) in defaults.items():
        name = str(raw.get(end, fallback))
        where = (*path, end) if end in raw else path
        default = "" if end in raw else f" (the default for '{end}')"
        spec = form.fields.get(name)
        if spec is None:
            ctx.issue(
                where,
                f"form '{form_id}' has no header field '{name}'{default}",
                did_you_mean(name, [n for n, f in form.fields.items() if _kind(f) == "warehouse"]),
            )
        elif _kind(spec) != "warehouse":
            ctx.issue(
                where,
                f"field '{name}' of form '{form_id}' is a {spec.type} field, not a warehouse"
                + default,
            )
        else:
            found[role] = name
    skus = [n for n, f in form.lines.items() if _kind(f) == "sku"]
    if len(skus) != 1:
        ctx.issue(
            (*path, "form"),
            f"form '{form_id}' needs exactly one line field of type sku, not {len(skus)}",
        )
    qty = form.lines.get("qty")
    if qty is None or _kind(qty) != "number":
        ctx.issue(
            (*path, "form"),
            f"form '{form_id}' needs a number line field 'qty' for the quantity",
        )
    if len(found) != len(defaults) or len(skus) != 1 or qty is None or _kind(qty) != "number":
        return None
    return DraftForm(
        form=form_id,
        to_field=found["to"],
        sku_field=skus[0],
        qty_field="qty",
        from_field=found.get("from"),
    )


def _kind(spec: FieldSpec) -> str:
    field_type = FIELD_TYPES.get(spec.type)
    return field_type.value_type if field_type else "text"
