"""The API blueprint and what every route needs: the engines, the caller, the JSON body."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, request

from ..database import Runtime
from ..documents.service import Documents
from ..documents.users import Actor
from ..documents.values import to_json
from ..spec.issues import did_you_mean
from ..stock.service import Stock
from .errors import ApiError, validation_failed

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_BODY = 1024 * 1024  # bytes; larger bodies get payload_too_large
MAX_PER_PAGE = 1000
MAX_PAGE = 1_000_000
MAX_ID = 2**63 - 1  # ids are 64-bit columns: a larger one names nothing

View = TypeVar("View", bound=Callable[..., Any])
QUERY_PARAMETERS: dict[str, tuple[str, ...]] = {}  # endpoint -> the query parameters it reads


def runtime() -> Runtime:
    found: Runtime = current_app.extensions["stockform.runtime"]
    return found


def stock() -> Stock:
    rt = runtime()
    return Stock(rt.engine, rt.template, rt.version_id)


def documents() -> Documents:
    from .warnings import after_document  # it imports this module

    rt = runtime()
    return Documents(rt.engine, rt.template, rt.version_id, after_commit=after_document)


def actor() -> Actor:
    """Who the bearer token acts for (set by auth)."""
    found: Actor = g.actor
    return found


def parse_json(data: bytes) -> Any:
    """JSON with exact numbers: 1.25 becomes Decimal('1.25'), never a binary float."""
    return json.loads(data.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def body(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON object ({} for an empty body when not required)."""
    if "json_body" in g:
        found: dict[str, Any] = g.json_body
        return found
    data = request.get_data(cache=True)
    if not data.strip():
        if required:
            raise ApiError("bad_request", "this request needs a JSON object as its body")
        value: Any = {}
    else:
        try:
            value = parse_json(data)
        except UnicodeDecodeError:
            raise ApiError("bad_request", "the body is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise ApiError(
                "bad_request",
                f"the body is not valid JSON: {exc.msg}",
                [{"line": exc.lineno, "column": exc.colno}],
            ) from None
        except (ValueError, RecursionError) as exc:
            raise ApiError("bad_request", f"the body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ApiError("bad_request", "the body must be a JSON object")
    g.json_body = value
    return value


def jsonify(value: Any, status: int = 200) -> Response:
    """A JSON response; Decimals become exact strings."""
    text = json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, mimetype="application/json")


def _default(value: Any) -> Any:
    converted = to_json(value)
    if converted is value:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return converted


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def takes_query(*names: str) -> Callable[[View], View]:
    """Declare the query parameters a route reads; refuse_unknown_query refuses any other."""

    def register(view: View) -> View:
        QUERY_PARAMETERS[f"{bp.name}.{view.__name__}"] = names
        return view

    return register


def refuse_unknown_query() -> None:
    """Unknown query parameters are refused like unknown body keys: `?warehous=SH` would
    otherwise quietly answer for every warehouse."""
    if request.endpoint is None:
        return  # no route: not_found follows
    known = QUERY_PARAMETERS.get(request.endpoint, ())
    details = []
    for name in dict.fromkeys(request.args):
        if name not in known:
            hint = did_you_mean(name, known)
            message = "no such query parameter" + (f" ({hint})" if hint else "")
            details.append({"field": name, "line": None, "message": message})
    if details:
        raise validation_failed(details)


def query_int(name: str, default: int, *, low: int = 1, high: int = MAX_ID) -> int:
    """An integer query parameter within bounds, or validation_failed naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]+", raw):
        raise ApiError.invalid(name, f"'{raw}' is not a whole number")
    value = int(raw) if len(raw) <= 20 else None
    if value is None or value < low or value > high:
        raise ApiError.invalid(name, f"must be from {low} to {high}, not {raw}")
    return value


def existing_id(what: str, value: int) -> int:
    """A path's id, or not_found for one too large to name anything."""
    if value > MAX_ID:
        raise ApiError("not_found", f"no {what} {value}")
    return value


def paging() -> tuple[int, int]:
    """page and per_page from the query string."""
    return query_int("page", 1, high=MAX_PAGE), query_int("per_page", 50, high=MAX_PER_PAGE)


def query_text(name: str) -> str | None:
    """A text query parameter; empty is none. NUL is refused: PostgreSQL cannot compare it."""
    value = request.args.get(name)
    if value and "\x00" in value:
        raise ApiError.invalid(name, "must not contain the NUL character")
    return value if value else None


def query_choice(name: str, choices: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in choices:
        raise ApiError.invalid(name, f"'{value}' is not one of {', '.join(choices)}")
    return value
