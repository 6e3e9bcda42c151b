"""Reads of the unit tree, each in one query whatever the depth."""

from __future__ import annotations

from django.db.models import QuerySet

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
