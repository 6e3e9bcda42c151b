"""What every app's API shares: exact decimals in request bodies and the OpenAPI schema's
problem+json media type. The API itself (every app's router, mounted at /api/v1/) is put
together above all apps, in `pacesetter.api`."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser

from . import problem


class DecimalJSONParser(Parser):
    """JSON numbers with a fraction become Decimal, not float: `12.1` stays exactly 12.1."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json.loads(request.body, parse_float=Decimal)


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
