"""The immutable, typed Template that every later layer consumes."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .expressions import Expression

ALL = "all"
BUILTIN_ROLE = "admin"


def frozen_map(items: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only view of a dict, so a Template cannot be changed after checking."""
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True)
class Label:
    """A text per locale; `text(locale)` falls back to the first locale given."""

    texts: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, raw: Any, fallback: str = "") -> Label:
        if isinstance(raw, Mapping):
            return cls(tuple((str(k), str(v)) for k, v in raw.items()))
        return cls(((("*", str(raw)) if raw is not None else ("*", fallback)),))

    def text(self, locale: str | None = None) -> str:
        for key, value in self.texts:
            if key == locale:
                return value
        return self.texts[0][1] if self.texts else ""

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class TemplateInfo:
    id: str
    name: Label
    description: Label | None
    version: int
    format: int
    locales: tuple[str, ...]
    timezone: str
    currency: str | None


@dataclass(frozen=True)
class Warehouse:
    code: str
    name: Label
    address: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Choice:
    value: str
    label: Label


@dataclass(frozen=True)
class FieldSpec:
    """A field of a form header, of a form's lines, or of every SKU."""

    name: str
    type: str
    label: Label
    help: Label | None = None
    required: bool = False
    required_if: Expression | None = None
    show_if: Expression | None = None
    # A literal value, or an Expression when the default is computed (sku.list_price).
    default: Any = None
    compute: Expression | None = None
    readonly: bool = False
    unique: bool = False
    input: str | None = None
    min: Expression | None = None
    max: Expression | None = None
    precision: int | None = None
    options: tuple[Choice, ...] = ()
    max_length: int | None = None
    pattern: str | None = None
    target: str | None = None  # the form a `link` field points at

    @property
    def is_computed(self) -> bool:
        return self.compute is not None


@dataclass(frozen=True)
class Tracking:
    batches: bool | Expression = False
    expiry: bool = False
    picking: str = "FIFO"
    expired_to: str | None = None  # the bucket the sweep moves expired batches' goods into


@dataclass(frozen=True)
class SkuSpec:
    precision: int = 0
    unit: str = "pcs"
    costing: str = "moving_average"
    tracking: Tracking = Tracking()
    fields: Mapping[str, FieldSpec] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Bucket:
    name: str
    label: Label
    allow_negative: bool = False


@dataclass(frozen=True)
class Quantity:
    name: str
    label: Label
    expr: Expression


@dataclass(frozen=True)
class LockRule:
    name: str
    label: Label
    default: bool
    check: Expression
    expires_after: timedelta | None
    partial: bool
    from_bucket: str
    to_bucket: str


class Level(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class WarningRule:
    name: str
    label: Label
    when: Expression
    level: Level
    message: Label
    notify: tuple[str, ...]
    per: str


DEFAULT_LEVEL = "default"  # the service level of SKUs whose category has none of its own


@dataclass(frozen=True)
class DraftForm:
    """A form replenishment drafts documents of: its header warehouse fields (`to` only for an
    order) and its SKU and quantity line fields."""

    form: str
    to_field: str
    sku_field: str
    qty_field: str
    from_field: str | None = None


@dataclass(frozen=True)
class Replenishment:
    """The template's `stock.replenishment` settings (see rules/replenishment.py)."""

    lead_time: Expression
    position: Expression
    service_levels: Mapping[str, Decimal]  # by category value, and DEFAULT_LEVEL
    history_days: int = 90
    demand: tuple[str, ...] = ("sale",)
    min: Expression | None = None
    max: Expression | None = None
    multiple: Expression | None = None
    cover_days: int = 30
    safety_stock_field: str | None = None
    order: DraftForm | None = None
    transfer: DraftForm | None = None

    def service_level(self, category: str | None) -> Decimal:
        levels = self.service_levels
        return levels.get(category or DEFAULT_LEVEL, levels[DEFAULT_LEVEL])


@dataclass(frozen=True)
class StockSpec:
    buckets: Mapping[str, Bucket]
    quantities: Mapping[str, Quantity]
    lock_rules: Mapping[str, LockRule]
    warnings: Mapping[str, WarningRule]
    replenishment: Replenishment | None = None

    @property
    def default_lock_rule(self) -> LockRule | None:
        for rule in self.lock_rules.values():
            if rule.default:
                return rule
        return next(iter(self.lock_rules.values())) if len(self.lock_rules) == 1 else None


@dataclass(frozen=True)
class Check:
    require: Expression
    message: Label
    per_line: bool = False  # evaluated for every line; a failure names the line


@dataclass(frozen=True)
class FormSpec:
    id: str
    label: Label
    description: Label | None
    numbering: str
    fields: Mapping[str, FieldSpec]
    lines: Mapping[str, FieldSpec]
    min_lines: int
    max_lines: int | None
    totals: Mapping[str, Expression]
    checks: tuple[Check, ...]
    workflow: str | None


class EffectKind(enum.StrEnum):
    LOCK = "lock"
    KEEP = "keep"
    RELEASE = "release"
    CONSUME = "consume"
    MOVE = "move"
    SET = "set"


@dataclass(frozen=True)
class Effect:
    """What a transition does to stock; per-line effects run once for every line."""

    kind: EffectKind
    rule: str | None = None
    sku: Expression | None = None
    warehouse: Expression | None = None
    to_warehouse: Expression | None = None
    batch: Expression | None = None
    qty: Expression | None = None
    unit_cost: Expression | None = None
    from_bucket: str | None = None
    to_bucket: str | None = None
    movement_kind: str | None = None
    expires_after: timedelta | None = None
    field: str | None = None
    value: Expression | None = None
    cut_locks: bool = False  # a move short of stock cuts the newest locks on it

    @property
    def per_line(self) -> bool:
        if self.kind is EffectKind.SET:
            return bool(self.field and self.field.startswith("line."))
        return self.kind in (EffectKind.LOCK, EffectKind.MOVE)


@dataclass(frozen=True)
class State:
    name: str
    label: Label
    editable: tuple[str, ...] | str  # field names, or "all"
    final: bool


@dataclass(frozen=True)
class Transition:
    name: str
    label: Label
    sources: tuple[str, ...]
    target: str | None  # None: stays in the state it was taken from
    roles: tuple[str, ...]
    condition: Expression | None
    quorum: int
    self_approval: bool
    automatic: bool
    comment: str
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class WorkflowSpec:
    id: str
    label: Label
    initial: str
    states: Mapping[str, State]
    transitions: Mapping[str, Transition]

    def available_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]


@dataclass(frozen=True)
class Role:
    name: str
    label: Label
    forms: Mapping[str, frozenset[str]] | str  # form -> {create, read}, or "all"
    warehouses: tuple[str, ...] | str  # codes, or "all"

    def may(self, form: str, grant: str) -> bool:
        if self.forms == ALL:
            return True
        assert not isinstance(self.forms, str)
        return grant in self.forms.get(form, frozenset())


@dataclass(frozen=True)
class Template:
    """A checked template: every reference resolves and every expression type-checks."""

    info: TemplateInfo
    warehouses: Mapping[str, Warehouse]
    sku: SkuSpec
    stock: StockSpec
    forms: Mapping[str, FormSpec]
    workflows: Mapping[str, WorkflowSpec]
    roles: Mapping[str, Role]
    files: tuple[str, ...] = ()
    fingerprint: str = ""

    def summary(self) -> str:
        """One line for `stockform check`."""
        return (
            f"template '{self.info.id}' version {self.info.version}: "
            f"{len(self.warehouses)} warehouses, {len(self.stock.buckets)} buckets, "
            f"{len(self.stock.quantities)} quantities, {len(self.forms)} forms, "
            f"{len(self.workflows)} workflows, {len(self.roles)} roles"
        )
