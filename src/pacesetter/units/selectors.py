"""Reads of the unit tree, each in one query whatever the depth."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from pacesetter.accounts.permissions import Capability, current_actor, unit_filter
from pacesetter.core.errors import RowError, ValidationFailed

from .models import Unit


def subtree(
    unit: Unit, *, include_self: bool = True, include_archived: bool = True
) -> QuerySet[Unit]:
    queryset = Unit.objects.filter(path__startswith=unit.path)
    if not include_self:
        queryset = queryset.exclude(pk=unit.pk)
    if not include_archived:
        queryset = queryset.filter(archived=False)
    return queryset


def ancestors(unit: Unit) -> QuerySet[Unit]:
    """Root first, parent last."""
    return Unit.objects.filter(pk__in=unit.ancestor_ids).order_by("depth")


def children(unit: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(parent=unit).order_by("name")


def roots() -> QuerySet[Unit]:
    return Unit.objects.filter(parent__isnull=True).order_by("name")


def refuse_taken_code(code: str) -> None:
    """Codes are unique across the installation, like usernames. A taken code is refused in
    the same words wherever the unit holding it is: the answer names no unit, so it tells a
    caller nothing about a subtree they cannot see beyond "this code is taken"."""
    if Unit.objects.filter(code=code.strip()).exists():
        raise ValidationFailed(
            f"The code {code.strip()!r} is already in use; choose another.",
            errors=[
                RowError(1, "code", f"the code {code.strip()!r} is already in use", "duplicate")
            ],
        )


def visible_unit_or_404(code: str) -> Unit:
    """The unit at a page's address, with its kind, if the current actor may see it; else 404
    (a unit one may not see is not said to exist)."""
    unit = (
        Unit.objects.filter(unit_filter(current_actor(), Capability.VIEW, field=""), code=code)
        .select_related("kind")
        .first()
    )
    if unit is None:
        raise Http404("No such unit here.")
    return unit
