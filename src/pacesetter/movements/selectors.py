"""Reads of movements, plans and pledges."""

from __future__ import annotations

from django.db.models import QuerySet

from pacesetter.units.models import Unit

from .models import Movement, Pledge


def pledges_of(*, unit: Unit, movement: Movement) -> QuerySet[Pledge]:
    return (
        Pledge.objects.filter(unit=unit, indicator__movement=movement)
        .select_related("indicator", "period")
        .order_by("-registered_on", "-id")
    )
