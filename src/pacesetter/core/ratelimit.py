"""Per-token and per-IP limits on writes (POST, PUT, PATCH, DELETE), in fixed one-minute
windows counted in Django's cache. With the default in-process cache each server process
counts on its own, so the effective limit is the setting times the number of processes; point
CACHES at a shared cache to make it exact across processes."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .problem import problem_response

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WINDOW_SECONDS = 60


def _over(key: str, limit: int, window: int) -> bool:
    if limit <= 0:
        return False
    name = f"ratelimit:{key}:{window}"
    cache.add(name, 0, WINDOW_SECONDS + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, WINDOW_SECONDS + 5)
        count = 1
    return count > limit


class WriteRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in WRITE_METHODS:
            window = int(time.time()) // WINDOW_SECONDS
            retry_after = str(WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS)
            authorization = request.headers.get("Authorization", "")
            checks = [
                ("ip", request.META.get("REMOTE_ADDR", ""), settings.RATE_LIMIT_WRITES_PER_IP)
            ]
            if authorization.lower().startswith("bearer "):
                # Counted by a hash of the key: the key itself never reaches the cache.
                digest = hashlib.sha256(authorization[7:].strip().encode()).hexdigest()[:32]
                checks.append(("token", digest, settings.RATE_LIMIT_WRITES_PER_TOKEN))
            for kind, who, limit in checks:
                if _over(f"{kind}:{who}", limit, window):
                    return self._refuse(request, kind, limit, retry_after)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, kind: str, limit: int, retry_after: str) -> HttpResponse:
        detail = (
            f"Too many writes: at most {limit:,} a minute per {'API token' if kind == 'token' else 'address'}. "
            f"Try again in {retry_after} s."
        )
        if request.path.startswith("/api/"):
            return problem_response(status=429, detail=detail, headers={"Retry-After": retry_after})
        response = render(
            request,
            "core/error.html",
            {"title": "Too many requests", "message": detail},
            status=429,
        )
        response["Retry-After"] = retry_after
        return response
