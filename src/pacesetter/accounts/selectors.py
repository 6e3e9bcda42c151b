"""Reads of tokens and grants, filtered by who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import ApiToken, Grant
from .permissions import EVERYWHERE, Actor, Capability, unit_filter


def tokens_of(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def grants_visible_to(
    actor: Actor, *, unit=None, include_withdrawn: bool = False
) -> QuerySet[Grant]:
    """Grants on units where the actor may grant (organisers and unit heads see who holds
    what below them), plus the actor's own grants. `unit`: only grants on it or below it."""
    grants = Grant.objects.select_related("user", "unit", "movement", "granted_by", "withdrawn_by")
    # Anywhere is the empty Q(), and Q() | Q(user=…) is just Q(user=…): a superuser saw only
    # their own grants. Filter only when the actor's reach has a boundary.
    if EVERYWHERE not in actor.paths(Capability.GRANT):
        grants = grants.filter(unit_filter(actor, Capability.GRANT) | _own(actor))
    if unit is not None:
        grants = grants.filter(unit__path__startswith=unit.path)
    if not include_withdrawn:
        grants = grants.filter(withdrawn_at__isnull=True)
    return grants.order_by("unit__path", "role", "user__username", "id")


def _own(actor: Actor) -> Q:
    if actor.user is None or actor.is_system:
        return Q(pk__in=[])
    return Q(user=actor.user)
