"""The warnings page and the badge: each reader sees the warnings of rules that notify their
roles, in their language; acknowledging and snoozing from the page; a document's postings are
evaluated once its answer is sent."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from webclient import Visitor, text_of

from stockform.rules.hooks import evaluate_all

MakeVisitor = Callable[[str | None], Visitor]


def badge(html: str) -> str | None:
    found = re.search(r'id="warnings-link">[^<]*(?:<span class="badge"[^>]*>(\d+)</span>)?', html)
    assert found, "no Warnings link in the top bar"
    return found.group(1)


def shown(html: str) -> list[tuple[str, str, str]]:
    """(SKU, warehouse, message) of every warning on the page."""
    return re.findall(
        r'<td data-label="[^"]*">([^<]*)</td>\s*<td data-label="[^"]*">([^<]*)</td>\s*'
        r'<td data-label="[^"]*" class="message">([^<]*)</td>',
        html,
    )


def evaluated(app: Flask) -> None:
    runtime = app.extensions["stockform.runtime"]
    evaluate_all(runtime.engine, runtime.template)


def test_each_reader_sees_the_warnings_of_their_roles(
    shop_app: Flask, visitor: MakeVisitor
) -> None:
    evaluated(shop_app)  # low stock (sellable < 20): B-2 at SH (10), A-1 and B-2 at BJ (0)
    sam = visitor("sam")  # sales: notified, works in SH only
    assert badge(sam.get("/").text) == "1"
    assert shown(sam.get("/warnings").text) == [("B-2", "SH", "Only 10 of B-2 sellable at SH")]
    mia = visitor("mia")  # manager: notified, every warehouse
    assert badge(mia.get("/").text) == "3"
    assert sorted((s, w) for s, w, _ in shown(mia.get("/warnings").text)) == [
        ("A-1", "BJ"),
        ("B-2", "BJ"),
        ("B-2", "SH"),
    ]
    assert badge(visitor("wes").get("/").text) is None  # warehouse: not notified
    assert shown(visitor("wes").get("/warnings").text) == []
    assert badge(visitor("root").get("/").text) == "3"


def test_messages_in_the_readers_language(shop_app: Flask, visitor: MakeVisitor) -> None:
    evaluated(shop_app)
    sam = visitor("sam")
    sam.get("/locale/zh")
    page = sam.get("/warnings").text
    assert shown(page) == [("B-2", "SH", "SH 的 B-2 可售仅 10")]
    assert "预警" in page


def test_filter_by_level_and_state(shop_app: Flask, visitor: MakeVisitor) -> None:
    evaluated(shop_app)
    mia = visitor("mia")
    assert len(shown(mia.get("/warnings?level=warning").text)) == 3
    assert shown(mia.get("/warnings?level=critical").text) == []
    assert shown(mia.get("/warnings?state=closed").text) == []
    assert len(shown(mia.get("/warnings?state=&warehouse=BJ").text)) == 2


def test_acknowledge_and_snooze_with_a_comment(shop_app: Flask, visitor: MakeVisitor) -> None:
    evaluated(shop_app)
    sam = visitor("sam")
    page = sam.get("/warnings").text
    (warning_id,) = re.findall(r'id="warning-(\d+)"', page)
    done = sam.post(
        f"/warnings/{warning_id}/acknowledge", {"comment": "ordered more", "next": "/warnings"}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/warnings"
    assert "Warning acknowledged." in sam.get("/warnings?state=acknowledged").text
    row = text_of(sam.get("/warnings?state=acknowledged").text, f"warning-{warning_id}")
    assert "Acknowledged by sam “ordered more”" in row
    assert badge(sam.get("/").text) is None  # no longer open
    mia = visitor("mia")
    mia.post(f"/warnings/{warning_id}/snooze", {"for": "3d", "comment": "after the fair"})
    row = text_of(mia.get("/warnings?state=snoozed").text, f"warning-{warning_id}")
    assert "Snoozed until" in row and "“after the fair”" in row


def test_a_reader_cannot_act_on_a_warning_they_do_not_see(
    shop_app: Flask, visitor: MakeVisitor
) -> None:
    evaluated(shop_app)
    page = visitor("mia").get("/warnings?warehouse=BJ").text
    hidden = re.findall(r'id="warning-(\d+)"', page)[0]
    refused = visitor("sam").post(f"/warnings/{hidden}/acknowledge", {"comment": "x"})
    assert refused.status_code == 404


def test_a_documents_postings_are_evaluated_once_its_answer_is_sent(
    shop_app: Flask, visitor: MakeVisitor
) -> None:
    sam = visitor("sam")
    saved = sam.post(
        "/forms/sales_order/new",
        {
            "field.customer": "Bob",
            "field.warehouse": "SH",
            "lines": "k1",
            "line.k1.sku": "A-1",
            "line.k1.qty": "80",
        },
    )
    url = saved.headers["Location"]
    assert shown(sam.get("/warnings").text) == []  # nothing evaluated yet
    submitted = sam.post(url + "/act", {"transition": "submit"})
    submitted.close()  # the server evaluates once the answer is sent
    # Locking 80 of A-1 leaves 15 sellable at SH: below 20. Only the rows the order touched
    # were evaluated: B-2 at SH waits for the sweep.
    assert shown(sam.get("/warnings").text) == [("A-1", "SH", "Only 15 of A-1 sellable at SH")]
