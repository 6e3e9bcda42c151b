"""What every app's API shares: exact decimals in request bodies and the OpenAPI schema's
problem+json media type. The API itself (every app's router, mounted at /api/v1/) is put
together above all apps, in `pacesetter.api`."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser
from pydantic import BeforeValidator

from . import problem


class DecimalJSONParser(Parser):
    """JSON numbers with a fraction become Decimal, not float: `12.1` stays exactly 12.1."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json.loads(request.body, parse_float=Decimal)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?"
)


def _written_as(pattern: re.Pattern[str], expected: str):
    """Pydantic reads a bare number as seconds since 1970 (`until=0.5`, `day_to=0`): a typo
    that silently filters by 1970. Only the written forms are accepted."""

    def check(value: object) -> object:
        if isinstance(value, str) and pattern.fullmatch(value):
            return value
        raise ValueError(f"expected {expected}")

    return BeforeValidator(check)


# Query parameters: a day as YYYY-MM-DD, a moment as ISO 8601 (with or without its offset).
IsoDate = Annotated[dt.date, _written_as(_DATE, "a date as YYYY-MM-DD")]
IsoDateTime = Annotated[
    dt.datetime, _written_as(_DATE_TIME, "a date and time in ISO 8601, e.g. 2025-03-10T08:00Z")
]


class PacesetterAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The schema, with every Problem response documented under its true media type."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    body = content.get("application/json", {})
                    if body.get("schema", {}).get("$ref", "").endswith("/Problem"):
                        content[problem.CONTENT_TYPE] = content.pop("application/json")
        return schema
