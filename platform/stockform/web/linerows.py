"""The editor's lines as HTML, for the whole table and for the htmx partials alike.

Drawn in Python rather than with Jinja macros: a document of a few hundred lines has
thousands of cells, and a macro call per cell cost more than everything else on the page.
What is the same on every line (labels in the locale, which cells take input, the addresses)
is worked out once per page; every value is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for
from markupsafe import Markup

from ..spec.model import FieldSpec, FormSpec
from .editor import EditorView, RowView
from .helpers import quantity_label
from .linestock import sku_field
from .values import number, show
from .widgets import Widgets, esc, translated, widgets

COMPUTED, INPUT, READONLY = "computed", "input", "readonly"


@dataclass(frozen=True)
class Column:
    name: str
    spec: FieldSpec
    kind: str  # COMPUTED, INPUT or READONLY
    html_name: str  # escaped, as are label and opening (the cell's <td …>)
    label: str
    opening: str
    draw: Callable[[str, str, Any], str] | None  # an INPUT's input: (name, id, value)


class LineRows:
    """The rows of one editor view: `rows(...)` for the table, `outputs` and `info_cell` for
    the live recompute."""

    def __init__(self, form: FormSpec, view: EditorView, inputs: Widgets) -> None:
        self.form, self.inputs = form, inputs
        self.columns: list[Column] = []
        for name, spec in form.lines.items():
            if spec.compute:
                kind = COMPUTED
            elif view.may_edit(name) and not spec.readonly:
                kind = INPUT
            else:
                kind = READONLY
            label, html_name = inputs.label(spec.label), esc(name)
            opening = f'\n  <td data-label="{label}" class="c-{html_name} t-{esc(spec.type)}">'
            draw = inputs.drawer(spec) if kind == INPUT else None
            self.columns.append(Column(name, spec, kind, html_name, label, opening, draw))
        self.computed = [c for c in self.columns if c.kind == COMPUTED]
        sku = sku_field(form)
        # Changing a line's SKU draws the line again (new default price, new stock): the row's
        # attributes are what comes before and after its key.
        self.live: tuple[str, str] | None = None
        if view.lines_editable and sku:
            self.live = (
                f' hx-post="{esc(url_for("live.row", form_id=form.id))}"'
                ' hx-trigger="change from:find .sku-in" hx-vals=\'{"row": "',
                f'", "changed": "{esc(sku)}"}}\' hx-target="this" hx-swap="outerHTML"'
                ' hx-sync="this:queue last"',
            )
        remove = translated("Remove line")
        button = (
            f'<button type="button" class="icon" data-remove-row title="{remove}"'
            f' aria-label="{remove}">✕</button>'
            if view.lines_editable
            else ""
        )
        self.stock_cell = f'\n  <td class="info" data-label="{translated("Stock")}">'
        self.ending = f'</td>\n  <td class="remove">{button}</td>\n</tr>'
        self._quantities: dict[str, tuple[str, str]] = {}

    def rows(self, rows: Iterable[RowView], oob: str | None = None) -> Markup:
        return Markup("".join(self.row_html(r, oob) for r in rows))

    def outputs(self, r: RowView) -> Markup:
        """The line's computed cells (their <output> elements)."""
        key = esc(r.key)
        return Markup("".join(self._output(key, c, r) for c in self.computed))

    def info_cell(self, r: RowView) -> Markup:
        return Markup(self._info_cell(esc(r.key), r))

    def row_html(self, r: RowView, oob: str | None = None) -> str:
        key = esc(r.key)
        parts = [f'<tr id="row-{key}" class="line"']
        if oob:
            parts.append(f' hx-swap-oob="{esc(oob)}"')
        if self.live:
            parts += (self.live[0], key, self.live[1])
        parts.append(">")
        for c in self.columns:
            parts.append(c.opening)
            if c is self.columns[0]:
                parts.append(f'<input type="hidden" name="lines" value="{key}">')
                if r.id:
                    parts.append(f'<input type="hidden" name="line.{key}.id" value="{esc(r.id)}">')
            if c.draw is not None:
                element = f"r-{key}-{c.html_name}"
                value = r.inputs[c.name]
                parts.append(
                    f'<label class="sr-only" for="{element}">{c.label}</label>'
                    f"{c.draw(f'line.{key}.{c.html_name}', element, value)}</td>"
                )
            elif c.kind == COMPUTED:
                parts += (self._output(key, c, r), "</td>")
            else:
                name = f"line.{key}.{c.html_name}"
                parts += (self.inputs.readonly_html(c.spec, name, r.inputs[c.name]), "</td>")
        parts += (self.stock_cell, self._info_cell(key, r), self.ending)
        return "".join(parts)

    def _output(self, key: str, c: Column, r: RowView) -> str:
        shown = esc(show(r.computed[c.name], c.spec))
        return f'<output id="r-{key}-{c.html_name}">{shown}</output>'

    def _info_cell(self, key: str, r: RowView) -> str:
        return f'<div id="r-{key}-info" class="line-info" aria-live="polite">{self._info(r)}</div>'

    def _info(self, r: RowView) -> str:
        """Live stock at the line's warehouse, and what is wrong with the line."""
        parts = []
        if r.stock:
            found: dict[str, Any] = r.stock.quantities or r.stock.buckets
            parts.append('<span class="stock">')
            for name, value in found.items():
                n, text = self._quantity(name)
                parts.append(
                    f'<span class="q q-{n}">{text} <b data-q="{n}">{esc(number(value))}</b></span>'
                )
            parts.append("</span>")
        for e in r.errors:
            if not e.field:  # a check of the whole line
                parts.append(f'<span class="err line-check">{esc(e.message)}</span>')
                continue
            spec = self.form.lines.get(e.field)
            shown = self.inputs.label(spec.label) if spec else esc(e.field)
            parts.append(
                f'<span class="err" data-field="{esc(e.field)}">{shown}: {esc(e.message)}</span>'
            )
        return "".join(parts)

    def _quantity(self, name: str) -> tuple[str, str]:
        """A stock quantity's name and label, escaped."""
        found = self._quantities.get(name)
        if found is None:
            found = self._quantities[name] = (esc(name), esc(quantity_label(name)))
        return found


def line_rows(form: FormSpec, view: EditorView) -> LineRows:
    return LineRows(form, view, widgets())


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(widgets=widgets, line_rows=line_rows)
