"""Roles decide what a user sees and does: a role without the right gets a friendly 403 on the
page and on the action, never a stack trace."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from webclient import Visitor, text_of

MakeVisitor = Callable[[str | None], Visitor]
ORDER = {
    "field.customer": "Bob",
    "field.warehouse": "SH",
    "lines": "k1",
    "line.k1.sku": "A-1",
    "line.k1.qty": "1",
}


@pytest.fixture
def order_url(visitor: MakeVisitor) -> str:
    return str(visitor("sam").post("/forms/sales_order/new", ORDER).headers["Location"])


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("vic", "/forms/sales_order/", 200),  # viewer: read
        ("vic", "/forms/sales_order/new", 403),  # but not create
        ("vic", "/forms/return/", 403),  # no grant on returns at all
        ("wes", "/forms/sales_order/new", 403),
        ("sam", "/forms/return/new", 200),
        ("mia", "/forms/return/new", 200),  # forms: all
        ("sam", "/forms/receipt/", 404),  # no such form
        ("sam", "/forms/sales_order/999", 404),  # no such document
    ],
)
def test_pages_follow_the_roles(visitor: MakeVisitor, user: str, path: str, status: int) -> None:
    response = visitor(user).get(path)
    assert response.status_code == status
    assert "Traceback" not in response.text


def test_a_refused_page_is_friendly_and_says_why(visitor: MakeVisitor) -> None:
    response = visitor("vic").get("/forms/sales_order/new")
    assert response.status_code == 403
    assert text_of(response.text, "main").startswith("403 You may not do this")
    assert "Your roles may not create these documents." in response.text


def test_a_role_without_the_right_gets_403_on_the_action(
    visitor: MakeVisitor, order_url: str
) -> None:
    vic = visitor("vic")
    assert vic.get(order_url).status_code == 200  # may read it
    refused = vic.post(order_url + "/act", {"transition": "submit"})
    assert refused.status_code == 403
    assert (
        text_of(refused.text, "refusal") == "Submit was refused: your roles may not take 'Submit'"
    )
    assert text_of(vic.get(order_url).text, "state") == "Draft"


def test_a_role_without_the_right_may_not_save_or_edit(
    visitor: MakeVisitor, order_url: str
) -> None:
    vic = visitor("vic")
    assert vic.post("/forms/sales_order/new", ORDER).status_code == 403
    assert vic.get(order_url + "/edit").status_code == 403
    assert vic.post(order_url + "/edit", ORDER).status_code == 403
    assert vic.post("/forms/sales_order/live/recompute", ORDER).status_code == 403


def test_a_document_of_another_form_is_not_found_under_this_one(
    visitor: MakeVisitor, order_url: str
) -> None:
    wrong = order_url.replace("/sales_order/", "/return/")
    assert visitor("mia").get(wrong).status_code == 404
