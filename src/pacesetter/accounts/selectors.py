"""Reads of tokens and grants, filtered by who asks."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db.models import Prefetch, Q, QuerySet
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from pacesetter.audit.models import AuditEvent

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


def created_by(actor: Actor) -> list[int]:
    """The ids of the users `actor` created: the audit trail is the record, so an organiser
    keeps seeing a person they created before granting them any role."""
    if actor.user is None or actor.is_system:
        return []
    return [
        int(pk)
        for pk in AuditEvent.objects.filter(
            action="accounts.create_user", user=actor.user
        ).values_list("target_id", flat=True)
    ]


def people_visible_to(actor: Actor) -> QuerySet:
    """People holding a standing role where the actor may grant, and those the actor created;
    everyone for an operator. Each comes with the standing roles the actor may see (prefetched:
    a page of people is three queries)."""
    visible_grants = Grant.objects.filter(
        unit_filter(actor, Capability.GRANT), withdrawn_at__isnull=True
    )
    people = get_user_model().objects.all()
    if not (actor.is_system or actor.is_operator):
        people = people.filter(
            Q(pk__in=visible_grants.values("user_id")) | Q(pk__in=created_by(actor))
        )
    return people.prefetch_related(
        Prefetch(
            "grants",
            queryset=visible_grants.select_related("unit", "movement").order_by(
                "unit__path", "role"
            ),
            to_attr="visible_grants",
        )
    ).order_by("username")


def set_password_path(user) -> tuple[str, str]:
    """The (uidb64, token) of a one-time set-password link: the token is tied to the
    password's hash, so it stops working once a password is set."""
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
