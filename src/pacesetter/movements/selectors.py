"""Reads of movements, plans and pledges."""

from __future__ import annotations

from django.db.models import QuerySet

from pacesetter.units.models import Unit

from .actions import in_scope
from .models import Movement, Pledge


def unit_in_movement(*, unit: Unit, movement: Movement) -> bool:
    """Whether a unit's figures belong to the movement: the organiser or inside its scope."""
    return unit.pk == movement.organiser_id or in_scope(
        list(movement.scope.values_list("path", flat=True)), unit
    )


def pledges_of(*, unit: Unit, movement: Movement) -> QuerySet[Pledge]:
    return (
        Pledge.objects.filter(unit=unit, indicator__movement=movement)
        .select_related("indicator", "period")
        .order_by("-registered_on", "-id")
    )
