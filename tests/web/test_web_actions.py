"""The document page: values, state, history, the transitions this user may take, and every
refusal of an action shown beside what caused it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from webclient import Visitor, text_of

MakeVisitor = Callable[[str | None], Visitor]


def new_order(sam: Visitor, qty: str, sku: str = "A-1") -> str:
    data: dict[str, Any] = {
        "field.customer": "Bob",
        "field.warehouse": "SH",
        "lines": "k1",
        "line.k1.sku": sku,
        "line.k1.qty": qty,
    }
    saved = sam.post("/forms/sales_order/new", data)
    assert saved.status_code == 302, saved.text
    return str(saved.headers["Location"])


def buttons(html: str) -> list[str]:
    return re.findall(r'name="transition" value="([^"]+)"', html)


def test_the_page_shows_values_state_history_and_my_actions(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    url = new_order(sam, "3")
    page = sam.get(url).text
    assert text_of(page, "state") == "Draft"
    assert text_of(page, "v-customer") == "Bob"
    assert text_of(page, "t-total") == "30.00"
    assert buttons(page) == ["submit", "cancel"]
    assert buttons(visitor("wes").get(url).text) == []
    assert buttons(visitor("mia").get(url).text) == ["cancel"]
    assert buttons(visitor("root").get(url).text) == ["submit", "cancel"]


def test_a_small_order_approves_itself_and_the_history_says_so(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    url = new_order(sam, "5")
    done = sam.post(url + "/act", {"transition": "submit", "comment": "please"})
    assert done.status_code == 302
    page = sam.get(url).text
    assert "Done: Submit. The document is now Approved." in page
    assert text_of(page, "state") == "Approved"
    history = text_of(page, "history")
    assert "sam Submit Draft → Submitted please" in history
    assert "sam Auto approve Submitted → Approved automatic" in history


def test_a_big_order_needs_two_managers(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    url = new_order(sam, "20")
    sam.post(url + "/act", {"transition": "submit"})
    mia, max_ = visitor("mia"), visitor("max")
    assert mia.post(url + "/act", {"transition": "approve"}).status_code == 302
    page = mia.get(url).text
    assert text_of(page, "state") == "Submitted"
    assert "Approve (1 of 2)" in page
    again = mia.post(url + "/act", {"transition": "approve"})
    assert again.status_code == 409
    assert "you have already approved" in text_of(again.text, "refusal")
    assert max_.post(url + "/act", {"transition": "approve"}).status_code == 302
    assert text_of(max_.get(url).text, "state") == "Approved"


def test_an_order_over_the_sellable_stock_names_each_short_line(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    url = new_order(sam, "200")
    refused = sam.post(url + "/act", {"transition": "submit"})
    assert refused.status_code == 409
    assert text_of(refused.text, "refusal") == (
        "Submit was refused: not enough stock. Line 1 A-1 @ SH: 200 requested, 95 Sellable"
    )
    assert 'class="refused"' in refused.text
    assert "Not enough stock of A-1 at SH: 200 requested, 95 Sellable." in text_of(
        refused.text, "line-1"
    )
    assert text_of(refused.text, "state") == "Draft"  # nothing happened


def test_a_missing_comment_is_asked_for_beside_the_comment_box(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    url = new_order(sam, "1")
    refused = sam.post(url + "/act", {"transition": "cancel"})
    assert refused.status_code == 409
    assert text_of(refused.text, "refusal") == "Cancel was refused: 'Cancel' needs a comment"
    assert 'aria-invalid="true" aria-describedby="refusal"' in refused.text
    assert sam.post(url + "/act", {"transition": "cancel", "comment": "no"}).status_code == 302


def test_a_transition_from_the_wrong_state_is_refused_on_the_page(visitor: MakeVisitor) -> None:
    url = new_order(visitor("sam"), "1")
    refused = visitor("wes").post(url + "/act", {"transition": "ship"})
    assert refused.status_code == 409
    assert text_of(refused.text, "refusal") == (
        "Ship was refused: 'Ship' cannot be taken in state 'Draft' (only from Approved)"
    )


def test_the_creator_may_not_approve_their_own_big_order(visitor: MakeVisitor) -> None:
    mia = visitor("mia")
    url = new_order(mia, "20")
    visitor("root").post(url + "/act", {"transition": "submit"})
    refused = mia.post(url + "/act", {"transition": "approve"})
    assert refused.status_code == 403
    assert "you created this document; someone else must approve it" in text_of(
        refused.text, "refusal"
    )
