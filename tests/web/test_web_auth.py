"""Signing in and out, CSRF on every form POST, session cookies and the secret key."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from webclient import PASSWORD, Visitor

from stockform.api import routes as api_routes
from stockform.app import create_app
from stockform.web import csrf
from stockform.web.secret import FILE_NAME, secret_key

MakeVisitor = Callable[[str | None], Visitor]


def test_pages_send_visitors_to_sign_in_and_back(visitor: MakeVisitor) -> None:
    guest = visitor(None)
    response = guest.get("/forms/sales_order/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/forms/sales_order/"
    guest.get(response.headers["Location"])
    signed_in = guest.post(
        "/login?next=/forms/sales_order/", {"username": "sam", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/forms/sales_order/"
    assert guest.get("/forms/sales_order/").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"), [("sam", "wrong"), ("nobody", PASSWORD), ("", "")]
)
def test_a_wrong_password_or_user_is_refused_on_the_page(
    visitor: MakeVisitor, username: str, password: str
) -> None:
    guest = visitor(None)
    guest.get("/login")
    response = guest.post("/login", {"username": username, "password": password})
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert guest.get("/").status_code == 302


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_sign_in_never_sends_the_user_to_another_site(visitor: MakeVisitor, target: str) -> None:
    guest = visitor(None)
    guest.get("/login")
    response = guest.post(f"/login?next={target}", {"username": "sam", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session_and_keeps_the_language(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    sam.get("/locale/zh?next=/")
    assert sam.post("/logout").headers["Location"] == "/login"
    assert sam.get("/").status_code == 302
    assert "登录" in sam.get("/login").text


def test_a_post_without_the_csrf_token_is_refused(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    response = sam.client.post(
        "/forms/sales_order/new", data={"field.customer": "Bob", "field.warehouse": "SH"}
    )
    assert response.status_code == 400
    assert "security token" in response.text
    assert "Traceback" not in response.text
    forged = sam.client.post("/logout", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert sam.get("/").status_code == 200  # still signed in


def test_the_login_form_itself_needs_the_token(visitor: MakeVisitor) -> None:
    guest = visitor(None)
    response = guest.client.post("/login", data={"username": "sam", "password": PASSWORD})
    assert response.status_code == 400


def test_htmx_requests_get_the_token_from_a_header(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    headers = {"X-CSRFToken": sam.token, "HX-Request": "true"}
    response = sam.client.post("/forms/sales_order/live/recompute", data={}, headers=headers)
    assert response.status_code == 200


def test_htmx_requests_of_a_visitor_not_signed_in_redirect_the_whole_page(
    visitor: MakeVisitor,
) -> None:
    guest = visitor(None)
    response = guest.post("/forms/sales_order/live/recompute", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_the_api_is_exempt_from_csrf(visitor: MakeVisitor) -> None:
    # API clients send bearer tokens, never cookies: a form token means nothing there.
    assert api_routes.bp in csrf._exempt_blueprints
    guest = visitor(None)
    for path in ("/api/v1/locks", "/api/v1/no-such-thing"):
        response = guest.client.post(path, json={})
        assert response.status_code in (401, 404), path
        assert "security token" not in response.text


def test_session_cookies_are_httponly_and_samesite(visitor: MakeVisitor) -> None:
    guest = visitor(None)
    guest.get("/login")
    response = guest.post("/login", {"username": "sam", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookies_are_secure_when_the_setting_says_so(
    shop_settings: dict[str, object],
) -> None:
    app = create_app({**shop_settings, "SESSION_COOKIE_SECURE": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["stockform.runtime"].engine.dispose()


def test_the_secret_key_setting_wins(shop_app: Flask) -> None:
    assert shop_app.config["SECRET_KEY"] == "test-secret"


def test_without_a_setting_one_key_is_made_and_kept(
    shop_settings: dict[str, object], tmp_path: Path
) -> None:
    settings = {**shop_settings, "SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path / "inst")}
    first = create_app(settings)
    second = create_app(settings)
    key = (tmp_path / "inst" / FILE_NAME).read_text()
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key
    assert len(key) >= 32
    assert (tmp_path / "inst" / FILE_NAME).stat().st_mode & 0o077 == 0
    for app in (first, second):
        app.extensions["stockform.runtime"].engine.dispose()


def test_workers_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    keys: list[str] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        keys.append(secret_key(None, tmp_path / "instance"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
