"""Which rows a level's rules hold for, in one pass over the rows in SQL: which rules hold
(a bit each), a signature of the row's placeholder values and the values themselves; only
rows where a rule holds come back.

Nothing is formatted here: an evaluation compares signatures, and only a warning that opens
or changes gets its Hold (`hold_of`) and its message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    Text,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
)

from ..spec.expressions import (
    ExpressionError,
    FunctionRegistry,
    SqlTerm,
    compile_sql,
    from_scaled,
    parse,
)
from ..spec.model import WarningRule
from ..stock.rows import RowSource, SkuFilter
from .functions import announce_windows
from .messages import as_text, placeholders

Key = tuple[str, int, int, int]  # rule, sku_id, warehouse_id, batch_id
# A rule of a holding row: its name, its placeholders and where they are in the row (and
# whether the row has a batch).
Spec = tuple[str, tuple["Slot | None", ...], tuple[int | None, ...], bool]
# What holding_rows found for a (rule, row): its signature, the row, and the rule's Spec.
Found = tuple[str, Any, Spec]


@dataclass(frozen=True)
class Rows:
    """Which rows an evaluation covers: all, some (SKU, warehouse) pairs, or a warehouse and a
    range of SKU ids (a sweep's step)."""

    pairs: tuple[tuple[int, int], ...] | None = None
    skus: tuple[int, int] | None = None
    warehouse: int | None = None

    def sku_filter(self) -> SkuFilter | None:
        if self.pairs is not None:
            ids = sorted({sku for sku, _ in self.pairs})
            return lambda column: column.in_(ids)
        if self.skus is not None:
            low, high = self.skus
            return lambda column: column.between(low, high)
        return None

    def warehouse_filter(self) -> SkuFilter | None:
        if self.pairs is not None:
            ids = sorted({warehouse for _, warehouse in self.pairs})
            return lambda column: column.in_(ids)
        if self.warehouse is not None:
            chosen = self.warehouse
            return lambda column: column == chosen
        return None

    def narrow(self, sku_id: Any, warehouse_id: Any) -> list[ColumnElement[bool]]:
        """Conditions keeping a table with these columns to the rows."""
        found = []
        for make, column in ((self.sku_filter, sku_id), (self.warehouse_filter, warehouse_id)):
            condition = make()
            if condition is not None:
                found.append(condition(column))
        return found + self.pairs_only(sku_id, warehouse_id)

    def pairs_only(self, sku_id: Any, warehouse_id: Any) -> list[ColumnElement[bool]]:
        """The pairs themselves: SKUs and warehouses alone would take in their crossings."""
        if self.pairs is None:
            return []
        return [tuple_(sku_id, warehouse_id).in_(list(self.pairs))]


@dataclass(frozen=True)
class Slot:
    """A placeholder: its text, and how to read its value: a number's scale, or the type's
    conversion of what the driver returned (SQLite returns dates as text)."""

    text: str
    number: bool
    scale: int
    convert: Callable[[Any], Any] | None = None


class Hold(NamedTuple):
    """A rule holding for a row: the row's codes and its placeholders' raw values."""

    codes: tuple[str, str, str | None]  # SKU, warehouse, batch
    slots: tuple[Slot | None, ...]  # None: a placeholder the database cannot compute
    raw: tuple[Any, ...]
    # The values as the database writes them as text, compared between evaluations: a
    # changed one refreshes the message.
    signature: str

    def values(self) -> dict[str, str]:
        """The placeholders' values as text, and the row's codes, for rendering a message."""
        found = {"sku": self.codes[0], "warehouse": self.codes[1]}
        if self.codes[2] is not None:
            found["batch"] = self.codes[2]
        for slot, value in zip(self.slots, self.raw, strict=True):
            if slot is not None:
                if slot.number:
                    value = from_scaled(value, slot.scale)
                elif slot.convert is not None and value is not None:
                    value = slot.convert(value)
                found[slot.text] = as_text(value)
        return found


def holding_rows(
    connection: Connection,
    source: RowSource,
    rules: Sequence[WarningRule],
    scope: Rows,
    functions: FunctionRegistry,
    errors: dict[str, str],
) -> Iterator[tuple[Key, Found]]:
    """(rule, row) and what was found, for every rule of the source's level that holds on a
    row: its signature, and what `hold_of` turns into a Hold when a message is needed.

    A rule whose condition cannot be computed in the database goes into errors (before the
    first pair comes).
    """
    parsed = {}
    for text in dict.fromkeys(t for rule in rules for t in placeholders(rule)):
        try:
            parsed[text] = parse(text, functions)
        except ExpressionError:
            continue  # shown empty; `stockform check` vetted the names
    announce_windows(source, [*(r.when for r in rules), *parsed.values()])
    conditions: list[tuple[WarningRule, ColumnElement[Any]]] = []
    for rule in rules:
        try:
            term = compile_sql(rule.when, source, functions)
        except ExpressionError as exc:
            errors[rule.name] = exc.message
            continue
        conditions.append((rule, func.coalesce(term.expr, false())))
    if not conditions:
        return
    terms: list[SqlTerm] = []
    slots: dict[str, tuple[int, Slot]] = {}
    for text, expr in parsed.items():
        try:
            term = compile_sql(expr, source, functions)
        except ExpressionError:
            continue
        convert = term.expr.type.dialect_impl(connection.dialect).result_processor(
            connection.dialect, None
        )
        slots[text] = (len(terms), Slot(text, term.kind == "number", term.scale, convert))
        terms.append(term)
    keys = source.keys()
    batch_code = source.batch.c.code if source.level == "batch" else None
    # Columns: the keys and codes, which rules hold (a bit each), the row's signature (its
    # placeholders' values as the database writes them), the placeholders.
    first = 6 if batch_code is not None else 5
    specs: list[Spec] = []
    for rule, _ in conditions:
        wanted = [slots.get(text) for text in placeholders(rule)]
        positions = tuple(first + 2 + w[0] if w else None for w in wanted)
        rule_slots = tuple(w[1] if w else None for w in wanted)
        specs.append((rule.name, rule_slots, positions, batch_code is not None))
    mask = sum(
        (
            case((condition, literal(1 << i, Integer)), else_=literal(0, Integer))
            for i, (_, condition) in enumerate(conditions)
        ),
        start=literal(0, Integer),
    )
    query = (
        # Every column labelled: rows are read by position, and an unlabelled column that
        # appears twice (a placeholder {sku.code}) would be sent once.
        select(
            keys["sku_id"].label("k_sku"),
            keys["warehouse_id"].label("k_warehouse"),
            keys["batch_id"].label("k_batch"),
            source.sku.c.code.label("sku_code"),
            source.warehouse.c.code.label("warehouse_code"),
            *([batch_code.label("batch_code")] if batch_code is not None else []),
            mask.label("holds"),
            _signature(terms).label("signature"),
            *[term.expr.label(f"p{i}") for i, term in enumerate(terms)],
        )
        .select_from(source.from_clause())
        .where(
            *source.conditions(),
            *(
                [tuple_(keys["sku_id"], keys["warehouse_id"]).in_(scope.pairs)]
                if scope.pairs
                else []
            ),
            or_(*[c for _, c in conditions]),
        )
    )
    by_mask: dict[int, list[Spec]] = {}
    # The hot loop of an evaluation, once per holding row: plain tuples, nothing formatted.
    for row in fetch_all(connection, query):
        bits = row[first]
        holding = by_mask.get(bits)
        if holding is None:
            holding = by_mask[bits] = [spec for i, spec in enumerate(specs) if bits >> i & 1]
        for spec in holding:
            yield (spec[0], row[0], row[1], row[2]), (row[first + 1], row, spec)


def fetch_all(connection: Connection, query: Select[Any]) -> list[Any]:
    """Every row of query as the driver returns it.

    An evaluation reads a row per holding row, 100k of them at once: converting each value
    (as SQLAlchemy's rows do) would cost a tenth of it, so callers convert the few values
    they use (Slot.convert).
    """
    result = connection.execute(query)
    try:
        rows: list[Any] = list(result.cursor.fetchall())
    finally:
        result.close()
    return rows


def hold_of(found: Found) -> Hold:
    """The Hold of what holding_rows found: the codes and the raw values of the placeholders."""
    signature, row, (_name, slots, positions, batched) = found
    codes = (row[3], row[4], row[5] if batched else None)
    raw = tuple(None if p is None else row[p] for p in positions)
    return Hold(codes, slots, raw, signature)


def _signature(terms: list[SqlTerm]) -> ColumnElement[str]:
    """The placeholders' values as one text, computed by the database.

    One per row, for every rule that holds on it: a changed value refreshes the messages of
    them all, which costs a few updates; a text per rule would cost every evaluation more.
    """
    parts: list[ColumnElement[str]] = [
        func.coalesce(cast(term.expr, Text), literal("-", Text)) for term in terms
    ]
    if not parts:
        return literal("", Text)
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + literal("\x1f", Text) + part
    return joined
