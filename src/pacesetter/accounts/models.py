"""Users come from django.contrib.auth; this app adds roles granted on a unit's subtree, and API
tokens.

A token's key is shown once, when it is created, and never stored: only its SHA-256 hash is.
Keys carry 256 bits of randomness, so a plain (unsalted, fast) hash is enough — there is nothing
to brute-force — and a lookup is one indexed equality on the hash.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Labels are lower case, as sentences use them ("the role unit head"); where a label
    stands alone (a select, a table cell) it is shown with `capfirst`: "Unit head"."""

    ORGANISER = "organiser", _("organiser")
    UNIT_HEAD = "unit_head", _("unit head")
    REPORTER = "reporter", _("reporter")
    VERIFIER = "verifier", _("verifier")
    COUNCIL_MEMBER = "council_member", _("council member")
    MEMBER = "member", _("member")
    VIEWER = "viewer", _("read-only viewer")


class Grant(models.Model):
    """A role held by a person on a unit, valid for the unit's whole subtree, for one movement
    or (movement empty) for all. Withdrawn grants are kept, with who withdrew them and when:
    the audit trail and "who could do this on that day" need them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="grants")
    movement = models.ForeignKey(
        "movements.Movement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants",
        help_text="Empty: the role holds in every movement.",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants_given",
    )
    granted_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants_withdrawn",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit__path", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit", "movement"],
                condition=models.Q(withdrawn_at__isnull=True, movement__isnull=False),
                name="grant_active_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=models.Q(withdrawn_at__isnull=True, movement__isnull=True),
                name="grant_active_unique_all_movements",
            ),
        ]
        indexes = [models.Index(fields=["user", "withdrawn_at"], name="grant_user_active")]

    def __str__(self) -> str:
        where = f" in {self.movement}" if self.movement_id else ""
        return f"{self.user} — {self.get_role_display()} of {self.unit}{where}"


class TokenScope(models.TextChoices):
    READ = "read", "read only"
    REPORT = "report", "read and report"
    FULL = "full", "all my rights"


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “field app”")
    key_prefix = models.CharField(
        max_length=8, help_text="The key's first characters after “ps_”, to recognise it in lists"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(
        max_length=10,
        choices=TokenScope.choices,
        default=TokenScope.READ,
        help_text="What the token may do, within its user's rights.",
    )
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
