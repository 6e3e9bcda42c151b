"""Reads of movements, plans and pledges."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from pacesetter.accounts.permissions import Capability, current_actor, require_on_movement
from pacesetter.core.tabular import Table
from pacesetter.units.models import Unit

from .models import Movement, Pledge, Secondment


def movement_today(movement: Movement) -> dt.date:
    """Today's date in the movement's time zone."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(movement.time_zone))


def in_scope(movement_scope_paths: Sequence[str], unit: Unit) -> bool:
    return any(unit.path.startswith(p) for p in movement_scope_paths)


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


def secondments_to(*, unit: Unit, movement: Movement) -> list[Secondment]:
    """Where a brigade's people come from in the movement: its secondments, the home units
    in tree order, in 1 query (none for a unit that is no brigade: an empty list)."""
    return list(
        Secondment.objects.filter(movement=movement, brigade=unit)
        .select_related("home", "home__kind")
        .order_by("home__path")
    )


def secondments_of(movement: Movement) -> list[Secondment]:
    """Every secondment of a movement, brigade by brigade and each brigade's home units in
    tree order, in 1 query."""
    return list(
        Secondment.objects.filter(movement=movement)
        .select_related("brigade", "home")
        .order_by("brigade__path", "home__path")
    )


def decimal_comma_codes(movement: Movement, table: Table) -> frozenset[str]:
    """The codes of the movement's indicators whose quantities take a decimal comma in
    `table` (see Table.quantity_text): none unless it is separated by `;`, and then no
    query is spent on it."""
    if table.delimiter != ";":
        return frozenset()
    return frozenset(movement.indicators.filter(decimal_comma=True).values_list("code", flat=True))


def organised_movement_or_404(slug: str) -> Movement:
    """The movement at an address, if the current actor may organise it (404 when they may
    not even see it, 403 otherwise): the organiser's pages beside the movement's own."""
    movement = Movement.objects.select_related("organiser").filter(slug=slug).first()
    if movement is None:
        raise Http404("No such movement.")
    scope = [u.path for u in movement.scope.all()] or [movement.organiser.path]
    require_on_movement(current_actor(), Capability.ORGANISE, movement, scope)
    return movement
