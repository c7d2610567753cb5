"""Stock already on its way, per (SKU code, warehouse code): open order-form documents not yet
received (on order), and open transfers not yet shipped (incoming at one end, outgoing at the
other).

A document is open while its state is not final and some transition still leaves it (a
workflow without a `states` map marks no state final: its end states are the ones nothing
leaves). Line quantities are read in Python: they are kept as decimal text in the lines'
JSON, which SQLite could only sum as binary floats; open documents are few, and read through
the index on (form, state).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from ..documents.tables import Document, DocumentLine
from ..spec.model import DraftForm, Template
from ..stock.tables import Movement, Warehouse, table_of
from ..stock.units import QuantityError, to_qty

Place = tuple[str, str]  # SKU code, warehouse code


@dataclass
class Pipeline:
    """Thousandths on their way, by place."""

    on_order: dict[Place, int] = field(default_factory=lambda: defaultdict(int))
    incoming: dict[Place, int] = field(default_factory=lambda: defaultdict(int))
    outgoing: dict[Place, int] = field(default_factory=lambda: defaultdict(int))


def open_states(template: Template, form_id: str) -> list[str]:
    """The states of a form's workflow in which a document is still open."""
    workflow = template.workflows.get(template.forms[form_id].workflow or "")
    if workflow is None:
        return []
    leaving = {s for t in workflow.transitions.values() for s in t.sources}
    return [s.name for s in workflow.states.values() if not s.final and s.name in leaving]


def pipeline(connection: Connection, template: Template) -> Pipeline:
    """What open orders and transfers will still bring to or take from each place."""
    settings = template.stock.replenishment
    found = Pipeline()
    if settings is None:
        return found
    if settings.order is not None:
        _orders(connection, template, settings.order, found)
    if settings.transfer is not None:
        _transfers(connection, template, settings.transfer, found)
    return found


def _open_lines(connection: Connection, template: Template, spec: DraftForm) -> list[Any]:
    """(document id, line id, header fields, line data) of the open documents of a form."""
    states = open_states(template, spec.form)
    if not states:
        return []
    doc, line = table_of(Document), table_of(DocumentLine)
    query = (
        select(doc.c.id, line.c.id.label("line_id"), doc.c.fields, line.c.data)
        .select_from(doc.join(line, line.c.document_id == doc.c.id))
        .where(doc.c.form == spec.form, doc.c.state.in_(states))
    )
    return list(connection.execute(query))


def _posted(
    connection: Connection, form: str, documents: list[int]
) -> dict[tuple[int, int | None, str], int]:
    """Thousandths each (document, line, warehouse code) received from outside."""
    if not documents:
        return {}
    m, w = table_of(Movement), table_of(Warehouse)
    query = (
        select(m.c.document_id, m.c.line_id, w.c.code, func.sum(m.c.qty))
        .select_from(m.join(w, w.c.id == m.c.to_warehouse_id))
        .where(
            m.c.document_form == form,
            m.c.document_id.in_(documents),
            m.c.from_warehouse_id.is_(None),
        )
        .group_by(m.c.document_id, m.c.line_id, w.c.code)
    )
    return {(r[0], r[1], r[2]): int(r[3]) for r in connection.execute(query)}


def _orders(connection: Connection, template: Template, spec: DraftForm, into: Pipeline) -> None:
    lines = _open_lines(connection, template, spec)
    posted = _posted(connection, spec.form, sorted({r.id for r in lines}))
    for row in lines:
        place = _place(row, spec, spec.to_field)
        qty = _qty(row.data.get(spec.qty_field))
        if place is None or qty <= 0:
            continue
        received = posted.get((row.id, row.line_id, place[1]), 0)
        # A line received in full (or more) is no longer on order; it never counts below 0.
        into.on_order[place] += max(qty - received, 0)


def _transfers(connection: Connection, template: Template, spec: DraftForm, into: Pipeline) -> None:
    lines = _open_lines(connection, template, spec)
    m = table_of(Movement)
    documents = sorted({r.id for r in lines})
    moved = (
        set(
            connection.execute(
                select(m.c.document_id)
                .where(m.c.document_form == spec.form, m.c.document_id.in_(documents))
                .distinct()
            ).scalars()
        )
        if documents
        else set()
    )
    assert spec.from_field is not None
    for row in lines:
        if row.id in moved:
            continue  # shipped: the stock expression sees it now (in transit, say)
        qty = _qty(row.data.get(spec.qty_field))
        target = _place(row, spec, spec.to_field)
        source = _place(row, spec, spec.from_field)
        if qty <= 0:
            continue
        if target is not None:
            into.incoming[target] += qty
        if source is not None:
            into.outgoing[source] += qty


def _place(row: Any, spec: DraftForm, warehouse_field: str) -> Place | None:
    sku, warehouse = row.data.get(spec.sku_field), row.fields.get(warehouse_field)
    if not isinstance(sku, str) or not isinstance(warehouse, str):
        return None
    return sku, warehouse


def _qty(value: Any) -> int:
    """A line's quantity (decimal text) in thousandths; 0 when it is not a number."""
    try:
        return to_qty(value) if isinstance(value, str | int) else 0
    except QuantityError:
        return 0
