"""Limit/offset pagination for the API lists, with bounds the database can take; and the
slices of the long lists on pages, with a "Show more" that htmx appends.

django-ninja's `LimitOffsetPagination` accepts any non-negative integer; an offset past
PostgreSQL's bigint (a fuzzer finds it at once) failed inside the query as a 500. Here both
are bounded in the schema, so such a request is a 422 that says what is accepted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 2**31 - 1  # far past any list; OFFSET + LIMIT stays well inside a bigint
T = TypeVar("T")


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_OFFSET)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


# --- pages: a first slice of a long list, and "Show more" --------------------------------

MAX_SLICE = 10_000  # a slice number past any list a person pages through by hand


@dataclass(frozen=True)
class Slice(Generic[T]):
    """One slice of a list shown on a page (newest first, where its rows have an age): its
    rows, and whether more follow.

    The "Show more" control (core/_more.html) links to the next slice by the query parameter
    `param`, keeping the page's other parameters (a sort, a filter): without JavaScript the
    link opens the page with that slice; with htmx it fetches only the rows, which the view
    renders as the list's named partial in place of the control."""

    items: list[T]
    number: int
    has_next: bool
    param: str
    query: str  # the request's other parameters, urlencoded
    path: str = ""  # the page's own address, where a form's POST renders it at another

    @property
    def next_query(self) -> str:
        own = urlencode({self.param: self.number + 1})
        return f"{self.query}&{own}" if self.query else own


def _slice_number(request: HttpRequest, param: str) -> int:
    """The slice the request asks for by `param` (1 when absent or not a number)."""
    try:
        return min(max(1, int(request.GET.get(param, "1"))), MAX_SLICE)
    except ValueError:
        return 1


def slice_of(
    request: HttpRequest,
    fetch: Callable[[int, int], Sequence[T]],
    *,
    param: str,
    size: int,
    path: str = "",
) -> Slice[T]:
    """The slice of a list the request asks for: `fetch(offset, limit)` reads the rows in
    the list's order; one row past the slice tells whether more follow, so no count is
    needed."""
    number = _slice_number(request, param)
    rows = list(fetch((number - 1) * size, size + 1))
    query = request.GET.copy()
    query.pop(param, None)
    return Slice(
        items=rows[:size],
        number=number,
        has_next=len(rows) > size,
        param=param,
        query=query.urlencode(),
        path=path,
    )


def wants_more(request: HttpRequest, param: str) -> bool:
    """Whether this is htmx asking for the next slice of the list `param` names: then the
    view answers with the list's partial alone."""
    return bool(request.htmx) and param in request.GET
