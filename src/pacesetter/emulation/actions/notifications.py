"""Notifications: a unit's notifications marked read."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from pacesetter.accounts.permissions import Capability, can, current_actor
from pacesetter.audit.actions import audited
from pacesetter.units.models import Unit

from ..models import Notification


@audited("emulation.mark_notifications_read")
def mark_notifications_read(*, unit_ids: Iterable[int], up_to_id: int) -> int:
    """Mark the notifications of the given units (those the actor may view) read, up to an id
    (what the person saw): a notification that arrived since stays unread."""
    actor = current_actor()
    allowed = [
        unit for unit in Unit.objects.filter(pk__in=list(unit_ids)) if _can_view(actor, unit)
    ]
    return Notification.objects.filter(
        unit__in=allowed, pk__lte=up_to_id, read_at__isnull=True
    ).update(read_at=timezone.now())


def _can_view(actor, unit: Unit) -> bool:
    return can(actor, Capability.VIEW, unit)
