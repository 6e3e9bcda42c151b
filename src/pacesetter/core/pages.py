"""Error pages in the site's layout, for the web pages (the API answers problem+json itself).

`ActionErrorPages` turns an action's refusal that a view did not handle (NotAllowed from
`permissions.require`, a StateError on a closed movement...) into the page for its status
instead of a 500; the handlers below serve 400, 403, 404 and 500.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .errors import ActionError

PAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: (
        "Not allowed",
        "You are signed in, but this is not yours to do. Ask an organiser or the head of "
        "your unit for the role you need.",
    ),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    409: ("Not possible now", "This cannot be done in the current state."),
    422: ("Not valid", "Some input is not valid."),
    500: ("Something went wrong", "The error was logged. Please try again in a moment."),
}


def error_page(request: HttpRequest, status: int, detail: str | None = None) -> HttpResponse:
    title, message = PAGES.get(status, PAGES[400])
    return render(
        request,
        "core/error.html",
        {"title": title, "message": message, "detail": detail, "status": status},
        status=status,
    )


class ActionErrorPages:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ActionError):
            return error_page(request, exception.status, exception.detail)
        return None


def add_row_errors(form, errors, *, aliases: dict[str, str] | None = None) -> None:
    """Put an action's row errors beside the form fields they name (`aliases` maps an action's
    field name to the form's); errors of other or hidden fields go on the form as a whole."""
    for error in errors:
        name = (aliases or {}).get(error.field, error.field)
        visible = name in form.fields and not form.fields[name].widget.is_hidden
        form.add_error(name if visible else None, error.message)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check: on a phone this is mostly a page left open past its
    session, so say what to do instead of Django's developer page."""
    return render(
        request,
        "core/error.html",
        {
            "title": "This form has expired",
            "message": "The page was open too long, or you signed in again elsewhere. Go back, "
            "reload the page and send the form again; nothing was recorded.",
            "status": 403,
        },
        status=403,
    )
