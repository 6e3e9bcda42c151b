"""Limit/offset pagination for the API lists, with bounds the database can take.

django-ninja's `LimitOffsetPagination` accepts any non-negative integer; an offset past
PostgreSQL's bigint (a fuzzer finds it at once) failed inside the query as a 500. Here both
are bounded in the schema, so such a request is a 422 that says what is accepted."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 2**31 - 1  # far past any list; OFFSET + LIMIT stays well inside a bigint


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_OFFSET)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
