"""How the API knows who is calling: a bearer token, or the browser's Django session.

Token requests need no CSRF token (a browser never attaches an Authorization header on its
own); session requests that change something must carry one, as every Django form does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from pacesetter.core import rows

from . import actions
from .models import ApiToken
from .permissions import actor_for, become


def _token_with_user(key_hash: str) -> ApiToken | None:
    """The token and its user in one short statement. Every API call passes here: plain SQL
    by the unique hash, not a compiled ORM query (a measurable share of a one-report
    request)."""
    user_model = get_user_model()
    found = rows.fetch_models(
        [ApiToken, user_model],
        f"SELECT {rows.select_list(ApiToken)}, {rows.select_list(user_model)}"
        f" FROM accounts_apitoken JOIN {user_model._meta.db_table}"
        f" ON {user_model._meta.db_table}.id = accounts_apitoken.user_id"
        " WHERE accounts_apitoken.key_hash = %s",
        [key_hash],
    )
    if found is None:
        return None
    token, token.user = found
    return token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer ps_…`. A token that is unknown, revoked, expired, or whose user
    is inactive is refused with 401 and a reason — the caller holds the key, so the reason
    tells them nothing they could not find out."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        key = token.strip()
        found = (
            _token_with_user(actions.hash_key(key)) if key.startswith(actions.KEY_PREFIX) else None
        )
        if found is None or not found.user.is_active:
            raise AuthenticationError(401, "The bearer token is not valid.")
        if found.revoked_at is not None:
            raise AuthenticationError(401, "The bearer token was revoked.")
        now = timezone.now()
        if found.is_expired(now):
            raise AuthenticationError(401, "The bearer token has expired.")
        actions.record_token_use(token=found, now=now)
        # Views read the caller from request.user, whichever way they authenticated, and the
        # permission checks from the current actor, which carries the token's scope.
        request.user = found.user
        request.actor = actor_for(found.user, token=found, request=request)  # type: ignore[attr-defined]
        become(request.actor)  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The Django session. Unlike ninja's `django_auth`, CSRF is checked only once the session
    is known to be signed in, so an anonymous call answers 401, not a confusing 403."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(
                403, "CSRF check failed: send the csrftoken cookie's value in X-CSRFToken."
            )
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover
        raise NotImplementedError("__call__ does the work")


token_auth = TokenAuth()
session_auth = SessionAuth()
# Token first: a request that carries a token is judged by it alone, even with a session cookie.
api_auth = [token_auth, session_auth]
