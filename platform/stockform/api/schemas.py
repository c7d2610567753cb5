"""JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) of the API's bodies, built from the
running template: its buckets, quantities, SKU fields and every form's fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec.fieldtypes import option_values
from ..spec.model import FieldSpec, FormSpec, Template
from ..spec.numbers import PATTERN as NUMBER
from ..stock.lock_records import STATUSES
from .errors import CODES

Schema = dict[str, Any]

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
DECIMAL: Schema = {
    "type": "string",
    "pattern": DECIMAL_PATTERN,
    "description": "An exact decimal number written as a string.",
    "examples": ["70", "1.25"],
}
DECIMAL_OR_NULL: Schema = {"type": ["string", "null"], "pattern": DECIMAL_PATTERN}
# A field's number as sent: blank (or null) leaves the field empty.
FIELD_NUMBER_PATTERN = rf"^\s*({NUMBER})?\s*$"
QTY_IN: Schema = {
    "type": ["string", "number"],
    "pattern": r"^(0*[1-9][0-9]*(\.[0-9]+)?|0+\.[0-9]*[1-9][0-9]*)$",
    "exclusiveMinimum": 0,
    "description": 'A quantity, more than 0: a string such as "1.25" (or a JSON number).',
}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
TEXT_TYPES = ("text", "textarea", "barcode", "sku", "warehouse", "batch", "user", "link")


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: Mapping[str, Schema], required: Any = "all", **extra: Any) -> Schema:
    names = list(properties) if required == "all" else list(required)
    return {
        "type": "object",
        "properties": dict(properties),
        "required": names,
        "additionalProperties": False,
        **extra,
    }


def page_of(item: str) -> Schema:
    return obj(
        {
            "items": {"type": "array", "items": ref(item)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
        }
    )


def _described(schema: Schema, spec: FieldSpec) -> Schema:
    schema["title"] = spec.label.text()
    if spec.help is not None:
        schema["description"] = spec.help.text()
    return schema


def field_out(spec: FieldSpec) -> Schema:
    """A field's value as responses carry it (null when empty or hidden)."""
    kind = spec.type
    schema: Schema
    if kind in ("decimal", "money"):
        schema = dict(DECIMAL_OR_NULL)
    elif kind == "integer":
        schema = {"type": ["integer", "null"]}
    elif kind == "boolean":
        schema = {"type": ["boolean", "null"]}
    elif kind in ("date", "datetime"):
        schema = {"type": ["string", "null"], "format": kind.replace("datetime", "date-time")}
    elif kind == "choice":
        schema = {"enum": [*option_values(spec), None]}
    elif kind == "multi_choice":
        schema = {"type": ["array", "null"], "items": {"enum": option_values(spec)}}
    elif kind in TEXT_TYPES:
        schema = {"type": ["string", "null"]}
    else:
        schema = {}  # a field type an extension registered: any JSON value
    return _described(schema, spec)


def field_in(spec: FieldSpec) -> Schema:
    """A field's value as requests may send it."""
    kind = spec.type
    schema: Schema
    if kind in ("decimal", "money", "integer"):
        schema = {"type": ["string", "number", "null"], "pattern": FIELD_NUMBER_PATTERN}
    elif kind == "boolean":
        schema = {"type": ["boolean", "string", "null"]}
    elif kind == "multi_choice":
        schema = {"type": ["array", "null"], "items": {"enum": option_values(spec)}}
    else:
        schema = field_out(spec)
    if spec.max_length is not None and kind in TEXT_TYPES:
        schema["maxLength"] = spec.max_length
    return _described(schema, spec)


def _required_input(specs: Mapping[str, FieldSpec]) -> list[str]:
    return [
        name
        for name, spec in specs.items()
        if spec.required and spec.default is None and spec.show_if is None and not spec.compute
    ]


def _inputs(specs: Mapping[str, FieldSpec]) -> Schema:
    """The object a request creating a document sends: a required field is there, not null."""
    required = _required_input(specs)
    properties = {}
    for name, spec in specs.items():
        if spec.compute is None:
            properties[name] = _not_null(field_in(spec)) if name in required else field_in(spec)
    return obj(properties, required)


def _not_null(schema: Schema) -> Schema:
    kind = schema.get("type")
    if isinstance(kind, list):
        schema["type"] = [k for k in kind if k != "null"]
    if "enum" in schema:
        schema["enum"] = [v for v in schema["enum"] if v is not None]
    return schema


def form_schemas(form: FormSpec, template: Template) -> dict[str, Schema]:
    """The component schemas of one form's documents: what comes back and what may be sent."""
    name = form.id
    workflow = template.workflows.get(form.workflow or "")
    states = sorted(workflow.states) if workflow else []
    transitions = sorted(workflow.transitions) if workflow else []
    fields_in = {n: field_in(s) for n, s in form.fields.items() if s.compute is None}
    lines_in = {n: field_in(s) for n, s in form.lines.items() if s.compute is None}
    state: Schema = {"type": "string", **({"enum": states} if states else {})}
    return {
        f"{name}.Fields": obj({n: field_out(s) for n, s in form.fields.items()}),
        f"{name}.Line": obj(
            {"id": {"type": "integer"}, **{n: field_out(s) for n, s in form.lines.items()}}
        ),
        f"{name}.Document": obj(
            {
                "id": {"type": "integer"},
                "form": {"const": name},
                "number": {"type": "string"},
                "state": state,
                "fields": ref(f"{name}.Fields"),
                "lines": {"type": "array", "items": ref(f"{name}.Line")},
                "totals": obj({t: {"type": ["string", "null"]} for t in form.totals}),
                "template_version": {"type": "integer"},
                "created_by": {"type": "string"},
                "created_at": TIMESTAMP,
                "updated_by": {"type": "string"},
                "updated_at": TIMESTAMP,
                "actions": {
                    "type": "array",
                    "items": {"enum": transitions} if transitions else {"type": "string"},
                    "description": "The transitions the caller may take now.",
                },
            },
            title=form.label.text(),
        ),
        f"{name}.DocumentPage": page_of(f"{name}.Document"),
        f"{name}.DocumentInput": obj(
            {
                "fields": _inputs(form.fields),
                "lines": {
                    "type": "array",
                    "items": _inputs(form.lines),
                },
            },
            required=[],
        ),
        f"{name}.DocumentPatch": obj(
            {
                "fields": obj(
                    {n: s for n, s in fields_in.items()},
                    required=[],
                    description="Only fields the document's state leaves editable.",
                ),
                "lines": {
                    "type": "array",
                    "items": obj(
                        {"id": {"type": "integer"}, **lines_in},
                        required=[],
                        description="With the id of an existing line: change it; "
                        "without: add a line (where the state allows).",
                    ),
                },
            },
            required=[],
        ),
    }


def common_schemas(template: Template) -> dict[str, Schema]:
    """Schemas of errors, stock, SKUs, warehouses, locks and movements."""
    buckets = {b: DECIMAL for b in template.stock.buckets}
    quantities = {q: DECIMAL_OR_NULL for q in template.stock.quantities}
    sku_fields = template.sku.fields
    sku_in: dict[str, Schema] = {
        "code": {"type": "string", "minLength": 1, "maxLength": 64},
        "name": {"type": ["string", "null"], "maxLength": 200, "description": "Empty: the code."},
        "unit": {
            "type": ["string", "null"],
            "maxLength": 16,
            "description": "Empty: the template's unit.",
        },
        "barcode": {"type": ["string", "null"], "maxLength": 64},
        "precision": {"type": "integer", "minimum": 0, "maximum": 3},
        **{n: field_in(s) for n, s in sku_fields.items()},
    }
    place = {
        "anyOf": [
            obj({"warehouse": {"type": "string"}, "bucket": {"type": "string"}}),
            {"type": "null"},
        ]
    }
    owner = {
        "anyOf": [
            obj(
                {
                    "form": {"type": "string"},
                    "id": {"type": "integer"},
                    "line_id": {"type": ["integer", "null"]},
                }
            ),
            {"type": "null"},
        ]
    }
    nullable_text = {"type": ["string", "null"]}
    return {
        "Error": obj(
            {
                "error": obj(
                    {
                        "code": {"enum": list(CODES)},
                        "message": {"type": "string"},
                        "details": {"type": "array", "items": {"type": "object"}},
                    }
                )
            }
        ),
        "StockRow": obj(
            {
                "sku": {"type": "string"},
                "warehouse": {"type": "string"},
                "buckets": obj(buckets),
                "quantities": obj(quantities),
            }
        ),
        "StockPage": page_of("StockRow"),
        "Warehouse": obj(
            {"code": {"type": "string"}, "name": {"type": "string"}, "active": {"type": "boolean"}}
        ),
        "WarehouseList": obj({"items": {"type": "array", "items": ref("Warehouse")}}),
        "Sku": obj(
            {
                "code": {"type": "string"},
                "name": {"type": "string"},
                "unit": {"type": "string"},
                "barcode": nullable_text,
                "precision": {"type": "integer", "minimum": 0, "maximum": 3},
                "active": {"type": "boolean"},
                **{n: field_out(s) for n, s in sku_fields.items()},
            }
        ),
        "SkuPage": page_of("Sku"),
        "SkuInput": obj(sku_in, required=["code"]),
        "SkuPatch": obj(
            {**sku_in, "name": {"type": "string", "minLength": 1, "maxLength": 200}}, required=[]
        ),
        "Lock": obj(
            {
                "id": {"type": "integer"},
                "rule": {"type": "string"},
                "sku": {"type": "string"},
                "warehouse": {"type": "string"},
                "qty": DECIMAL,
                "open_qty": DECIMAL,
                "status": {"enum": list(STATUSES)},
                "expires_at": {"type": ["string", "null"], "format": "date-time"},
                "reference": nullable_text,
                "document": owner,
                "created_at": TIMESTAMP,
                "user": nullable_text,
            }
        ),
        "LockPage": page_of("Lock"),
        "LockInput": obj(
            {
                "sku": {"type": "string", "minLength": 1, "maxLength": 64},
                "warehouse": {"enum": list(template.warehouses)},
                "qty": QTY_IN,
                "reference": {"type": "string", "minLength": 1, "maxLength": 128},
                "rule": {"enum": list(template.stock.lock_rules)},
                "expires_in": {"type": "integer", "minimum": 1, "maximum": 366 * 24 * 3600},
            },
            required=["sku", "warehouse", "qty", "reference"],
        ),
        "LockQty": obj({"qty": QTY_IN}, required=[]),
        "Comment": obj({"comment": {"type": ["string", "null"], "maxLength": 2000}}, []),
        "Movement": obj(
            {
                "id": {"type": "integer"},
                "posting_id": {"type": "string"},
                "kind": {"type": "string"},
                "sku": {"type": "string"},
                "batch": nullable_text,
                "qty": DECIMAL,
                "from": place,
                "to": place,
                "unit_cost": DECIMAL_OR_NULL,
                "document": owner,
                "reference": nullable_text,
                "lock_id": {"type": ["integer", "null"]},
                "reverses_id": {"type": ["integer", "null"]},
                "user": nullable_text,
                "recorded_at": TIMESTAMP,
                "effective_at": TIMESTAMP,
                "note": nullable_text,
            }
        ),
        "MovementPage": obj(
            {
                "items": {"type": "array", "items": ref("Movement")},
                "next_after": {"type": "integer", "minimum": 0},
            }
        ),
        **report_schemas(template),
    }


def report_schemas(template: Template) -> dict[str, Schema]:
    """Schemas of the reports' answers (reports under /reports/)."""
    day: Schema = {"type": "string", "format": "date"}
    text: Schema = {"type": "string"}
    nullable_text: Schema = {"type": ["string", "null"]}
    period = {"from": day, "to": day, "days": {"type": "integer", "minimum": 1}}
    keys = {"sku": text, "category": text, "warehouse": text}
    grouped = {"group": {"enum": ["sku", "category", "warehouse"]}}
    sku = {"sku": text, "name": text, "category": nullable_text, "warehouse": text}

    def report(row: str, extra: dict[str, Schema], summary: Schema | None = None) -> Schema:
        found = {**extra, **page_of(row)["properties"]}
        return obj({**found, **({"summary": summary} if summary else {})})

    def rows(figures: dict[str, Schema]) -> tuple[Schema, Schema]:
        return obj({**keys, **figures}, required=list(figures)), obj(figures)

    turnover_row, turnover_summary = rows(
        {
            "cogs": DECIMAL,
            "average_inventory_value": DECIMAL,
            "turnover": DECIMAL_OR_NULL,
            "days_of_inventory": DECIMAL_OR_NULL,
        }
    )
    value_row, value_summary = rows(
        {
            n: DECIMAL
            for n in ("opening_qty", "opening_value", "closing_qty", "closing_value")
            + ("sold_qty", "cogs")
        }
    )
    amount = obj({"qty": DECIMAL, "value": DECIMAL})
    ages = obj({age: amount for age in ("0-30", "31-60", "61-90", "over_90")})
    ageing_row, ageing_summary = rows({"qty": DECIMAL, "value": DECIMAL, "ages": ages})
    abc_row = obj(
        {
            **{n: sku[n] for n in ("sku", "name", "category")},
            "consumed_qty": DECIMAL,
            "consumption_value": DECIMAL,
            "share": DECIMAL,
            "cumulative_share": DECIMAL,
            "class": {"enum": ["A", "B", "C"]},
        }
    )
    mover = obj(
        {
            **sku,
            "qty": DECIMAL,
            "value": DECIMAL,
            "last_out": {"type": ["string", "null"], "format": "date"},
            "days_without_out": {"type": ["integer", "null"], "minimum": 0},
        }
    )
    stock_out = obj(
        {
            **sku,
            "days_out": {"type": "integer", "minimum": 1},
            "first_out": day,
            "last_out": day,
            "out_at_end": {"type": "boolean"},
            "at_end": DECIMAL,
        }
    )
    trend_day = obj(
        {
            "date": day,
            "buckets": obj({b: DECIMAL for b in template.stock.buckets}),
            "quantities": obj({q: DECIMAL for q in template.stock.quantities}),
        }
    )
    as_of = {"date": day}
    return {
        "TurnoverRow": turnover_row,
        "TurnoverReport": report("TurnoverRow", {**period, **grouped}, turnover_summary),
        "StockValueRow": value_row,
        "StockValueReport": report("StockValueRow", {**period, **grouped}, value_summary),
        "AbcRow": abc_row,
        "AbcReport": report(
            "AbcRow",
            {
                **period,
                "total_value": DECIMAL,
                "counts": obj({c: {"type": "integer", "minimum": 0} for c in "ABC"}),
            },
        ),
        "AgeingRow": ageing_row,
        "AgeingReport": report("AgeingRow", {**as_of, **grouped}, ageing_summary),
        "SlowMover": mover,
        "SlowMoverReport": report(
            "SlowMover",
            {**as_of, "days": {"type": "integer", "minimum": 1}, "total_value": DECIMAL},
        ),
        "StockOut": stock_out,
        "StockOutReport": report("StockOut", {**period, "quantity": text}),
        "StockTrendDay": trend_day,
        "StockTrendReport": obj(
            {**period, "items": {"type": "array", "items": ref("StockTrendDay")}}
        ),
        "DashboardReport": _dashboard(period),
    }


def _dashboard(period: dict[str, Schema]) -> Schema:
    """The dashboard's answer: its figures and the series of its charts."""
    count: Schema = {"type": "integer", "minimum": 0}
    ages = ("0-30", "31-60", "61-90", "over_90")
    return obj(
        {
            **period,
            "physical_value": DECIMAL,
            "sellable_value": DECIMAL_OR_NULL,
            "cogs": DECIMAL,
            "average_inventory_value": DECIMAL,
            "turnover": DECIMAL_OR_NULL,
            "days_of_inventory": DECIMAL_OR_NULL,
            "open_locks": obj({"count": count, "value": DECIMAL, "expired": count}),
            "warnings": obj({level: count for level in ("info", "warning", "critical")}),
            "value_by_day": {
                "type": "array",
                "items": obj({"date": {"type": "string", "format": "date"}, "value": DECIMAL}),
            },
            "days_by_category": {
                "type": "array",
                "items": obj(
                    {"category": {"type": "string"}, "days_of_inventory": DECIMAL_OR_NULL}
                ),
            },
            "value_by_age": obj({age: DECIMAL for age in ages}),
            "slow_movers": {"type": "array", "items": ref("SlowMover")},
        }
    )
