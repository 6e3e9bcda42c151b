"""API errors as application/problem+json (RFC 9457), with the rows a person must fix.

Every refusal the API gives has the same shape, whoever raised it — an action
(`core.errors.ActionError`), django-ninja's request validation, a missing object, a missing or
bad credential:

    {"type": "urn:pacesetter:problem:validation-failed", "title": "Some input is not valid",
     "status": 422, "detail": "1 of the 2 report rows are not valid; nothing was recorded.",
     "errors": [{"row": 2, "field": "quantity", "message": "…", "code": "invalid"}]}

Generic HTTP failures (401, 403, 404…) use the type "about:blank" with the status phrase as
title, as RFC 9457 asks; refusals of our own have a `urn:pacesetter:problem:` type, stable
for clients to branch on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .errors import ActionError, Conflict, RowError, StateError, ValidationFailed

if TYPE_CHECKING:
    from ninja import NinjaAPI

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:pacesetter:problem:"

logger = logging.getLogger(__name__)


class RowErrorOut(Schema):
    row: int
    field: str
    message: str
    code: str


class Problem(Schema):
    """RFC 9457 problem details; `errors` lists every row and field to fix (may be empty)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[RowErrorOut] = []


# The `response=` entries for an endpoint's refusals, so the OpenAPI document lists them. Any
# session-authenticated write may also meet the CSRF check (403), and a body that is not JSON
# at all is a 400 (the API fuzz tests found it undocumented); a body over the limit is a 413
# and one that is not JSON a 415 (core.api_boundary).
READ_REFUSALS: dict[int, type[Problem]] = {status: Problem for status in (401, 404, 422)}
WRITE_REFUSALS: dict[int, type[Problem]] = {
    status: Problem for status in (400, 401, 403, 404, 409, 413, 415, 422)
}


def problem_response(
    *,
    status: int,
    detail: str,
    title: str | None = None,
    type_: str = "about:blank",
    errors: list[RowError] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "errors": [e.as_dict() for e in errors or []],
    }
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


_ACTION_TYPES: dict[type[ActionError], str] = {
    ValidationFailed: "validation-failed",
    Conflict: "conflict",
    StateError: "state-error",
}


def _action_type(exc: ActionError) -> str:
    for cls in type(exc).__mro__:
        if cls in _ACTION_TYPES:
            return TYPE_PREFIX + _ACTION_TYPES[cls]
    # NotAllowed and any later subclass: named after the class ("NotAllowed" → "not-allowed").
    name = type(exc).__name__
    return TYPE_PREFIX + "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")


def _on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return problem_response(
        status=exc.status,
        title=exc.title,
        type_=_action_type(exc),
        detail=exc.detail,
        errors=exc.errors,
    )


@contextmanager
def fields_renamed(names: dict[str, str]) -> Iterator[None]:
    """Actions name fields as their row dataclasses do (`parent_code`, `unit_code`); the API
    names them as its schemas do, so a row error points at the field the client sent."""
    try:
        yield
    except ActionError as exc:
        exc.errors = [replace(e, field=names.get(e.field, e.field)) for e in exc.errors]
        raise


def row_errors_from_validation(errors: list[dict[str, Any]]) -> list[RowError]:
    """django-ninja's pydantic errors → our row errors.

    `loc` is like ("body", "payload", "reports", 2, "quantity"): the first index after the
    body is the row (counted from 1, as a person counts); what follows it is the field. A
    single object (or a query parameter) is row 1, as the actions count it.
    """
    found: list[RowError] = []
    for error in errors:
        loc = list(error.get("loc", ()))
        # Only the leading "body" is the source: a view's parameter may be named `body` too,
        # and dropping every "body" then dropped the field after it.
        if loc and loc[0] == "body":
            loc = loc[1:]
        source = loc[0] if loc and loc[0] in ("query", "path", "header", "cookie", "form") else None
        # Drop the source, or else the view's parameter name, which the client never sees.
        loc = loc[1:]
        row = 1
        for index, part in enumerate(loc):
            if isinstance(part, int):
                row = part + 1
                loc = loc[index + 1 :]
                break
        field = ".".join(str(part) for part in loc) or (source or "body")
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        found.append(RowError(row, field, message, error.get("type", "invalid")))
    return found


def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = row_errors_from_validation(exc.errors)
    rows = len({e.row for e in errors})
    return problem_response(
        status=422,
        title=ValidationFailed.title,
        type_=TYPE_PREFIX + "invalid-request",
        detail=(
            f"The request does not have the expected shape: {len(errors)} error"
            f"{'' if len(errors) == 1 else 's'} in {rows} row{'' if rows == 1 else 's'}. "
            "Nothing was done."
        ),
        errors=errors,
    )


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(status=404, detail=str(exc) or "Nothing is found at this address.")


def _on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message if exc.message != "Unauthorized" else ""
    return problem_response(
        status=401,
        detail=message or "Sign in, or send a token in the header “Authorization: Bearer ps_…”.",
        # RFC 6750: a 401 names the scheme the client should use.
        headers={"WWW-Authenticate": 'Bearer realm="pacesetter"'},
    )


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(status=exc.status_code, detail=exc.message)


def _on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # Actions validate before writing; this is the database's constraint catching what an
    # action did not (a race, or a check an action lacks). Refuse honestly rather than 500.
    logger.warning("IntegrityError reached the API: %s", exc)
    # The database's own words name the rule (a constraint or trigger, never a value), which
    # is all a client has to go on: an empty 409 left the unit-move failure undiagnosable.
    rule = (str(exc).strip().splitlines() or ["a database rule"])[0]
    return problem_response(
        status=409,
        title=Conflict.title,
        type_=TYPE_PREFIX + "conflict",
        detail=(
            "The request conflicts with what is already recorded; nothing was written. "
            f"The database refused it: {rule}"
        ),
        errors=[RowError(1, "body", f"refused by the database: {rule}", "conflict")],
    )


def _on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # A value the database cannot hold: on PostgreSQL a NUL character in text, or a number past
    # the column's range (the API fuzz tests sent both). The request's transaction is already
    # rolled back; it is the client's value, so a 422, not a 500.
    logger.warning("DataError reached the API: %s", exc)
    return problem_response(
        status=422,
        title=ValidationFailed.title,
        type_=TYPE_PREFIX + "invalid-request",
        detail=(
            "A value cannot be stored: text may not contain NUL characters, and numbers must "
            "fit the field. Nothing was written."
        ),
    )


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every refusal into problem+json."""
    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (ActionError, _on_action_error),
        (ValidationError, _on_validation_error),
        (Http404, _on_not_found),
        (AuthenticationError, _on_authentication_error),
        (HttpError, _on_http_error),
        (IntegrityError, _on_integrity_error),
        (DataError, _on_data_error),
    ]
    for exception, handler in handlers:
        api.add_exception_handler(exception, handler)
