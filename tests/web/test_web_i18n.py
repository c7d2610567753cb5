"""Every UI string of the web pages has its Chinese translation, and the catalogue compiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask

import stockform.web
from stockform.spec.model import Label
from stockform.spec.phrases import Joined, Labelled, phrase
from stockform.web.i18n import catalogue, say

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


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        (
            "en",
            "'Approve' cannot be taken in state 'Draft' (only from Submitted, Checked);"
            " 'x' is not a number",
        ),
        (
            "zh",
            "状态“草稿”下不能执行“审批”（只能从以下状态执行：已提交, Checked）; “x”不是数字",
        ),
    ],
)
def test_a_message_is_said_with_the_template_words_of_the_locale(
    shop_app: Flask, locale: str, said: str
) -> None:
    def named(name: str, **texts: str) -> Labelled:
        return Labelled(Label(tuple(texts.items())), name=name)

    refused = phrase(
        "'%(action)s' cannot be taken in state '%(state)s' (only from %(sources)s)",
        action=named("approve", en="Approve", zh="审批"),
        state=named("draft", en="Draft", zh="草稿"),
        sources=Joined([named("submitted", en="Submitted", zh="已提交"), "Checked"], ", "),
    )
    message = Joined([refused, phrase("'%(text)s' is not a number", text="x")])
    assert str(message).startswith("'approve' cannot be taken in state 'draft'")  # the API's
    with shop_app.test_request_context(headers={"Accept-Language": locale}):
        assert say(message) == said
