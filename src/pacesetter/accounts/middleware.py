"""Sets the current actor (see permissions) for each request, from the signed-in user."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .permissions import acting_as, actor_for


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_as(actor_for(request.user, request=request)) as actor:
            request.actor = actor  # type: ignore[attr-defined]
            return self.get_response(request)
