"""The API's edge: what a request under /api/ must be before any endpoint sees it, and the
one shape of every error it answers.

django-ninja turns what is raised inside an endpoint into problem+json (core.problem), but
much can go wrong before or around it: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django raises
when the body is read and answered with the site's HTML "Bad request" page), a method the
address does not take (ninja's plain-text 405), an address no URL matches, a server error
(Django's handler500). This middleware sits near the top of the stack and

- refuses a body over the limit with 413, before anything reads it;
- refuses a body that is not JSON with 415 — a text/plain body was once parsed as JSON all
  the same; only the few upload endpoints an app names with `accept_uploads` (a nomination's
  documents) take multipart/form-data;
- refuses text holding control characters (core.text) in the JSON body or the query string
  with 422 and a row error naming the row and field;
- turns any other error response under /api/ that is not problem+json into one, keeping its
  status and the headers a client acts on (Allow, WWW-Authenticate, Retry-After).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, gettext_noop

from . import problem, text
from .errors import RowError, ValidationFailed

PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")

# In JSON a control character can only be written escaped (\u0000, \b, \f) — a raw one is
# invalid JSON — or, for DEL and C1, raw in UTF-8. A body without any of these needs no second
# parse; a false hit (an escaped backslash before a "b") only costs one.
_MAYBE_CONTROL = re.compile(rb"\\u|\\b|\\f|\x7f|\xc2[\x80-\x9f]")


MULTIPART = "multipart/form-data"
_UPLOAD_PATHS: list[re.Pattern[str]] = []


def accept_uploads(path_pattern: str) -> None:
    """Let the API addresses matching `path_pattern` (a regular expression matched against the
    whole path) take a multipart/form-data body: an endpoint that receives a file."""
    _UPLOAD_PATHS.append(re.compile(path_pattern))


def _takes_uploads(request: HttpRequest) -> bool:
    return request.content_type == MULTIPART and any(
        pattern.fullmatch(request.path_info) for pattern in _UPLOAD_PATHS
    )


class ApiBoundary:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (request.path_info + "/").startswith(PREFIX):
            return self.get_response(request)
        refusal = refuse(request)
        response = refusal or self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            problem.CONTENT_TYPE
        ):
            return _as_problem(request, response)
        return response


def refuse(request: HttpRequest) -> HttpResponse | None:
    """The refusal of a request the API must not process, or None."""
    has_body = request.method in BODY_METHODS and (
        _content_length(request) > 0 or "HTTP_TRANSFER_ENCODING" in request.META
    )
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if has_body and limit is not None and _content_length(request) > limit:
        return problem.problem_response(
            status=413,
            type_=problem.TYPE_PREFIX + "body-too-large",
            detail=gettext(
                "The body is %(size)s bytes; the API takes at most %(limit)s bytes. Send "
                "fewer rows per request."
            )
            % {"size": f"{_content_length(request):,}", "limit": f"{limit:,}"},
        )
    if has_body and request.content_type != JSON and not _takes_uploads(request):
        return problem.problem_response(
            status=415,
            type_=problem.TYPE_PREFIX + "unsupported-media-type",
            detail=gettext(
                "The body is %(given)s; the API takes only application/json. Send the header "
                "“Content-Type: application/json”."
            )
            % {"given": request.content_type or gettext("of no declared type")},
            headers={"Accept": JSON},
        )
    errors = [
        RowError(1, name, text.control_character_message(character), "control_character")
        for name, values in request.GET.lists()
        for value in values
        if (character := text.control_character(value)) is not None
    ]
    if has_body and request.content_type == JSON and _MAYBE_CONTROL.search(request.body):
        try:
            data = json.loads(request.body)
        except ValueError:
            data = None  # not JSON: the endpoint's parser answers that with its own 400
        errors.extend(text.control_character_errors(data))
    if not errors:
        return None
    rows = len({e.row for e in errors})
    return problem.problem_response(
        status=422,
        title=ValidationFailed.title,
        type_=problem.TYPE_PREFIX + "invalid-request",
        detail=gettext(
            "Text may not contain control characters: %(count)s field(s) in %(rows)s row(s) "
            "do. Nothing was done."
        )
        % {"count": len(errors), "rows": rows},
        errors=errors,
    )


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


_DETAILS = {
    400: gettext_noop("The request could not be understood."),
    403: gettext_noop("This is not yours to do."),
    404: gettext_noop("Nothing is found at this address."),
    405: gettext_noop("This address does not take the method %(method)s; it takes %(allow)s."),
    500: gettext_noop("The server failed; the error was logged. Try again in a moment."),
}


def _as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    detail = gettext(_DETAILS.get(status, phrase)) % {
        "method": request.method,
        "allow": response.get("Allow", ""),
    }
    converted = problem.problem_response(
        status=status,
        title=phrase,
        detail=detail,
        headers={name: response[name] for name in KEPT_HEADERS if name in response},
    )
    # Cookies set on the way (a session, a CSRF token) still reach the client.
    converted.cookies = response.cookies
    return converted
