"""Users come from django.contrib.auth; this app adds API tokens (roles come later).

A token's key is shown once, when it is created, and never stored: only its SHA-256 hash is.
Keys carry 256 bits of randomness, so a plain (unsalted, fast) hash is enough — there is nothing
to brute-force — and a lookup is one indexed equality on the hash.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “field app”")
    key_prefix = models.CharField(
        max_length=8, help_text="The key's first characters after “ps_”, to recognise it in lists"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} (ps_{self.key_prefix}…)"

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())
