"""One input per field type, as HTML: the editor's header fields and every cell of its lines.

Numbers are text inputs with a numeric keyboard, so whatever the user typed reaches the
server, which says what is wrong with it. Every value is escaped here; what all the inputs
of a page share (labels in the locale, the SKU search address, the actor's warehouses) is
worked out once per request, since a big document has thousands of inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import g, url_for
from flask_babel import gettext
from markupsafe import Markup

from ..spec.model import FieldSpec, Label
from .helpers import warehouses
from .i18n import current_locale

NUMBERS = ("integer", "decimal", "money")
# (value, escaped value, escaped label) of each option of a choice field or warehouse list
Options = list[tuple[str, str, str]]


def esc(value: Any) -> str:
    """`markupsafe.escape(value)` as a plain string: the same five replacements, without a
    Markup object per value (a big page escapes tens of thousands of values)."""
    if type(value) is str:
        text = value
    elif hasattr(value, "__html__"):
        return str(value.__html__())
    else:
        text = str(value)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def widgets() -> Widgets:
    """The inputs of the page this request renders."""
    found = g.get("sf_widgets")
    if found is None:
        found = g.sf_widgets = Widgets()
    assert isinstance(found, Widgets)
    return found


def translated(message: str) -> str:
    """A UI string as Jinja's `_()` puts it in a page: unescaped, the catalogue is ours."""
    return str(gettext(message))


class Widgets:
    """The inputs of one page; `input` and `readonly` are called like the macros they were."""

    def __init__(self) -> None:
        self.locale = current_locale()
        self._choices: dict[int, Options] = {}
        self._warehouses: Options | None = None
        self._skus_url: str | None = None

    def label(self, value: Label | str | None) -> str:
        """A template label in the page's locale, escaped."""
        if value is None:
            return ""
        return esc(value.text(self.locale) if isinstance(value, Label) else value)

    def input(self, spec: FieldSpec, name: str, id: str, value: Any) -> Markup:
        return Markup(self.input_html(spec, esc(name), esc(id), value))

    def readonly(self, spec: FieldSpec, name: str, value: Any) -> Markup:
        return Markup(self.readonly_html(spec, esc(name), value))

    def input_html(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        """The input; name and id are escaped already (the value is escaped here)."""
        return self.drawer(spec)(name, id, value)

    def drawer(self, spec: FieldSpec) -> Callable[[str, str, Any], str]:
        """`input_html` for one field: called with (name, id, value)."""
        return partial(_DRAW.get(spec.type, Widgets._text), self, spec)

    def readonly_html(self, spec: FieldSpec, n: str, value: Any) -> str:
        """The value as text, sent back unchanged; the name n is escaped already."""
        if spec.type == "boolean":
            shown = translated("Yes") if value else translated("No")
        else:
            shown = esc(value)
        if spec.type == "multi_choice":
            hidden = "".join(f'<input type="hidden" name="{n}" value="{esc(v)}">' for v in value)
            hidden = hidden or f'<input type="hidden" name="{n}" value="">'
        else:
            sent = "true" if value is True else "false" if value is False else value
            hidden = f'<input type="hidden" name="{n}" value="{esc(sent)}">'
        return f'<span class="readonly">{shown}</span>{hidden}'

    def options(self, spec: FieldSpec) -> Options:
        found = self._choices.get(id(spec))
        if found is None:
            found = self._choices[id(spec)] = [
                (c.value, esc(c.value), self.label(c.label)) for c in spec.options
            ]
        return found

    def warehouse_options(self) -> Options:
        if self._warehouses is None:
            self._warehouses = [(w.code, esc(w.code), self.label(w.name)) for w in warehouses()]
        return self._warehouses

    def skus_url(self) -> str:
        if self._skus_url is None:
            self._skus_url = esc(url_for("live.skus"))
        return self._skus_url

    def _textarea(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        return f'<textarea name="{name}" id="{id}" rows="2">{esc(value)}</textarea>'

    def _boolean(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        checked = " checked" if value else ""
        return (
            f'<input type="hidden" name="{name}" value="false">'
            f'<input type="checkbox" name="{name}" id="{id}" value="true"{checked}>'
        )

    def _choice(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        blank = "" if spec.required else '<option value=""></option>'
        options = "".join(
            f'<option value="{v}"{" selected" if raw == value else ""}>{text}</option>'
            for raw, v, text in self.options(spec)
        )
        return f'<select name="{name}" id="{id}">{blank}{options}</select>'

    def _multi_choice(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        boxes = "".join(
            f'<label class="check"><input type="checkbox" name="{name}" value="{v}"'
            f"{' checked' if raw in value else ''}> {text}</label>"
            for raw, v, text in self.options(spec)
        )
        return (
            f'<span class="choices" id="{id}"><input type="hidden" name="{name}" value="">'
            f"{boxes}</span>"
        )

    def _warehouse(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        choices = self.warehouse_options()
        options = "".join(
            f'<option value="{code}"{" selected" if raw == value else ""}>{code} — {text}</option>'
            for raw, code, text in choices
        )
        if value and value not in (raw for raw, _, _ in choices):
            # A warehouse the actor does not work in (or no longer exists) stays as it was.
            options += f'<option value="{esc(value)}" selected>{esc(value)}</option>'
        return f'<select name="{name}" id="{id}">\n    <option value=""></option>{options}</select>'

    def _number(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        return (
            f'<input type="text" inputmode="decimal" name="{name}" id="{id}"'
            f' value="{esc(value)}" autocomplete="off" class="num">'
        )

    def _date(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        return f'<input type="date" name="{name}" id="{id}" value="{esc(value)}">'

    def _datetime(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        return f'<input type="datetime-local" name="{name}" id="{id}" value="{esc(value)}">'

    def _sku(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        return (
            f'<input type="text" name="{name}" id="{id}" value="{esc(value)}"'
            ' class="sku-in" list="sku-options"\n'
            '         autocomplete="off" autocapitalize="characters" spellcheck="false"\n'
            f'         hx-get="{self.skus_url()}"'
            ' hx-trigger="input changed delay:250ms, focus once"\n'
            '         hx-target="#sku-options" hx-swap="innerHTML" hx-sync="this:replace">'
        )

    def _text(self, spec: FieldSpec, name: str, id: str, value: Any) -> str:
        return (
            f'<input type="text" name="{name}" id="{id}" value="{esc(value)}" autocomplete="off">'
        )


_DRAW: dict[str, Callable[[Widgets, FieldSpec, str, str, Any], str]] = {
    "textarea": Widgets._textarea,
    "boolean": Widgets._boolean,
    "choice": Widgets._choice,
    "multi_choice": Widgets._multi_choice,
    "warehouse": Widgets._warehouse,
    "date": Widgets._date,
    "datetime": Widgets._datetime,
    "sku": Widgets._sku,
    **{kind: Widgets._number for kind in NUMBERS},
}
