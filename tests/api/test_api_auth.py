"""Bearer tokens: who may call, acting with the user's roles."""

from __future__ import annotations

import pytest
from api_client import Api, error
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, update

from stockform.api.tables import ApiToken
from stockform.api.tokens import list_tokens, revoke_token
from stockform.cli import main
from stockform.documents.tables import User
from stockform.stock.tables import table_of


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "send your API token as `Authorization: Bearer <token>`"),
        ("Basic cm9vdDpwdw==", "send your API token as `Authorization: Bearer <token>`"),
        ("Bearer ", "send your API token as `Authorization: Bearer <token>`"),
        ("Bearer sf_not-a-token", "this token is unknown or revoked"),
    ],
)
def test_a_request_without_a_valid_token_is_unauthorized(
    api: Api, header: str | None, message: str
) -> None:
    headers = {"Authorization": header} if header else {}
    response = api.get("/api/v1/stock", user=None, headers=headers)
    assert error(response) == (401, "unauthorized", message, [])


def test_the_scheme_is_case_insensitive(api: Api) -> None:
    token = api.tokens["vic"]
    response = api.get("/api/v1/stock", user=None, headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_a_revoked_token_stops_working(api: Api, api_app: Flask) -> None:
    engine = api_app.extensions["stockform.runtime"].engine
    assert api.get("/api/v1/stock", user="vic").status_code == 200
    with engine.begin() as connection:
        token_id = next(t.id for t in list_tokens(connection, "vic"))
        assert revoke_token(connection, token_id)
    assert error(api.get("/api/v1/stock", user="vic"))[:2] == (401, "unauthorized")


def test_a_deactivated_user_token_stops_working(api: Api, api_app: Flask) -> None:
    engine = api_app.extensions["stockform.runtime"].engine
    with engine.begin() as connection:
        users = table_of(User)
        connection.execute(update(users).where(users.c.username == "vic").values(active=False))
    assert error(api.get("/api/v1/stock", user="vic"))[:2] == (401, "unauthorized")


def test_use_is_recorded_on_the_token(api: Api, api_app: Flask) -> None:
    engine = api_app.extensions["stockform.runtime"].engine
    api.get("/api/v1/warehouses", user="wes")
    with engine.connect() as connection:
        tokens = table_of(ApiToken)
        stamps = connection.execute(select(tokens.c.last_used_at)).scalars().all()
    assert sum(stamp is not None for stamp in stamps) == 1


def test_openapi_and_healthz_need_no_token(api: Api) -> None:
    assert api.get("/api/v1/openapi.json", user=None).status_code == 200
    assert api.client.get("/healthz").status_code in (200, 404)  # served by the web package


def test_the_token_acts_with_the_users_roles(api: Api) -> None:
    order = {"fields": {"customer": "Bob", "warehouse": "SH"}, "lines": [{"sku": "A-1", "qty": 1}]}
    assert error(api.post("/api/v1/documents/sales_order", json=order, user="vic")) == (
        403,
        "forbidden",
        "your roles may not create sales_order documents",
        [],
    )
    assert api.post("/api/v1/documents/sales_order", json=order, user="sam").status_code == 201
    # sales may work in SH only
    in_bj = {**order, "fields": {"customer": "Bob", "warehouse": "BJ"}}
    assert error(api.post("/api/v1/documents/sales_order", json=in_bj, user="sam"))[:2] == (
        403,
        "forbidden",
    )


def test_a_token_from_the_command_line_works(api: Api, api_app: Flask, runner: CliRunner) -> None:
    url = api_app.extensions["stockform.runtime"].engine.url.render_as_string(hide_password=False)
    result = runner.invoke(main, ["token", "create", "wes", "--db", url])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = api.get(
        "/api/v1/warehouses", user=None, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
