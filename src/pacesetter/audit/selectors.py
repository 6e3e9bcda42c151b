"""Reading the audit trail: organisers (and anyone with the audit right) read the events about
their subtrees; everyone reads their own; operators read everything."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from pacesetter.accounts.permissions import EVERYWHERE, Actor, Capability
from pacesetter.core.errors import NotAllowed

from .models import AuditEvent


def events_visible_to(
    actor: Actor,
    *,
    unit_path: str | None = None,
    action: str | None = None,
    username: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    paths = actor.paths(Capability.AUDIT)
    if not paths:
        # The trail is for those who audit a subtree (organisers, operators): it names people
        # and what they changed, which a unit head or reporter has no right to read.
        raise NotAllowed("Only organisers read the audit trail; ask one of your subtree's.")
    events = AuditEvent.objects.select_related("user", "token")
    if EVERYWHERE not in paths:
        visible = Q(user=actor.user) if actor.user is not None else Q(pk__in=[])
        for path in paths:
            visible |= Q(unit_path__startswith=path)
        events = events.filter(visible)
    if unit_path:
        events = events.filter(unit_path__startswith=unit_path)
    if action:
        events = events.filter(action__startswith=action)
    if username:
        events = events.filter(user__username=username)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events.order_by("-at", "-id")
