"""Every UI string of the web pages has its Chinese translation, and the catalogue compiles."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import stockform.web
from stockform.web.i18n import catalogue

WEB = Path(stockform.web.__file__).parent
ENGINE = WEB.parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]


def ui_strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, keywords={"_": None, "gettext": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def engine_phrases() -> set[str]:
    """The templates of the engine's messages that the web UI says (spec.phrases)."""
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ENGINE), [("**.py", "python")], keywords={"phrase": None}
        )
    }


def test_every_ui_string_has_a_chinese_translation() -> None:
    with (WEB / "translations" / "zh.po").open("rb") as po:
        translated = {m.id for m in read_po(po) if m.id and m.string}
    missing = sorted(ui_strings() - translated)
    assert missing == [], "add these to web/translations/zh.po"
    assert len(ui_strings()) > 50


def test_every_engine_phrase_has_a_chinese_translation() -> None:
    with (WEB / "translations" / "zh.po").open("rb") as po:
        translated = {m.id for m in read_po(po) if m.id and m.string}
    missing = sorted(engine_phrases() - translated)
    assert missing == [], "add these to web/translations/zh.po"
    assert {"required", "'%(text)s' is not a number"} <= engine_phrases()


def test_the_catalogue_is_compiled_in_memory() -> None:
    assert catalogue("zh").gettext("Save") == "保存"
    assert catalogue("en").gettext("Save") == "Save"
