"""The only write path for API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from pacesetter.core.errors import RowError, ValidationFailed

from .models import ApiToken

KEY_PREFIX = "ps_"
# Recording every use would turn each read into a write; a minute's precision is enough to see
# which tokens are alive.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_token(*, user, name: str, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a token for `user`; returns it with its plain key, which is shown only this once.

    Guarantees: the key is `ps_<prefix>_<secret>` with 256 random bits in the secret; only its
    SHA-256 hash and the 8-character prefix are stored; an expiry, if given, is in the future.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "A token needs a name.", errors=[RowError(1, "name", "a name is required", "required")]
        )
    if len(name) > 100:
        raise ValidationFailed(
            "The name is too long.",
            errors=[RowError(1, "name", "at most 100 characters", "too_long")],
        )
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed(
            "The expiry is in the past.",
            errors=[RowError(1, "expires_at", "must be in the future", "invalid")],
        )
    # token_urlsafe(6) is exactly 8 characters; the prefix only helps a person recognise a key.
    prefix = secrets.token_urlsafe(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_prefix=prefix,
        key_hash=hash_key(key),
        created_at=now,
        expires_at=expires_at,
    )
    return token, key


@transaction.atomic
def revoke_token(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good. Idempotent: revoking twice keeps the first revocation time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def record_token_use(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Note that the token was used, at most once per LAST_USED_PRECISION (one UPDATE)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
