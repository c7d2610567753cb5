"""Chinese and English: Flask-Babel with the UI strings in `translations/<locale>.po`, compiled
in memory when first needed (no build step, works offline); template labels per locale."""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Blueprint, Flask, g, redirect, request, session
from flask_babel import Babel, Domain, get_locale
from flask_babel import gettext as _

from ..spec.model import Label
from ..spec.phrases import Joined, Labelled, Phrase
from .auth import safe_next

LOCALES = {"en": "English", "zh": "中文"}
DEFAULT_LOCALE = "en"

bp = Blueprint("i18n", __name__)


@cache
def catalogue(locale: str) -> NullTranslations:
    """The UI strings of locale (English is the source language: no catalogue)."""
    source = resources.files(__package__).joinpath("translations", f"{locale}.po")
    if not source.is_file():
        return NullTranslations()
    with source.open("rb") as po:
        messages = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return Translations(compiled)


class CatalogueDomain(Domain):  # type: ignore[misc]
    """Flask-Babel's domain, reading our in-memory catalogues instead of .mo files."""

    def get_translations(self) -> NullTranslations:
        return catalogue(current_locale())


class StockformBabel(Babel):  # type: ignore[misc]
    @property
    def domain_instance(self) -> Domain:
        return CatalogueDomain()


def current_locale() -> str:
    # Asked thousands of times by a big page (every label): once per request is enough.
    cached = g.get("sf_locale")
    if cached is None:
        locale = get_locale()
        cached = g.sf_locale = str(locale.language) if locale is not None else DEFAULT_LOCALE
    return str(cached)


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    return request.accept_languages.best_match(list(LOCALES)) or DEFAULT_LOCALE


def label(value: Label | str | None, fallback: str = "") -> str:
    """A template label in the current locale (falls back to the template's first text)."""
    if value is None:
        return fallback
    if isinstance(value, Label):
        return value.text(current_locale())
    return str(value)


def say(text: str) -> str:
    """An engine message in the current locale: a Phrase's template from the catalogue, with its
    values (phrases among them said too), a Labelled text in the template's own words for the
    locale, Joined messages each in turn; any other text as it is."""
    if isinstance(text, Labelled):
        return text.label.text(current_locale())
    if isinstance(text, Joined):
        return text.separator.join(say(part) for part in text.parts)
    if not isinstance(text, Phrase):
        return text
    values = {k: say(v) if isinstance(v, str) else v for k, v in text.values.items()}
    said: str = _(text.template)
    return said % values if values else said


@bp.get("/locale/<code>")
def switch(code: str) -> Any:
    """Switch the UI language and remember it in the session."""
    if code in LOCALES:
        session["locale"] = code
    return redirect(safe_next(request.args.get("next")))


def init_app(app: Flask) -> None:
    StockformBabel(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE)
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["say"] = say
    app.jinja_env.globals.update(locales=LOCALES, current_locale=current_locale)
    app.register_blueprint(bp)
