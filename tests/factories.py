"""Factories for test fixtures. Writes go through the actions, as in the application."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from pacesetter.movements import actions as movement_actions
from pacesetter.movements.models import Movement
from pacesetter.units import actions as unit_actions
from pacesetter.units.models import Unit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("a-long-test-password")


def unit(
    code: str, parent: Unit | None = None, kind: str = "workteam", headcount: int = 10
) -> Unit:
    return unit_actions.create_unit(
        code=code, name=f"Unit {code}", kind=kind, parent=parent, headcount=headcount
    )


def tree(
    spec: dict,
    parent: Unit | None = None,
    kind_by_depth=("country", "province", "county", "enterprise", "workteam"),
) -> dict[str, Unit]:
    """Build a tree from nested dicts: {"KP": {"P1": {"W1": {}}}} → units by code."""
    made: dict[str, Unit] = {}
    for code, children in spec.items():
        depth = parent.depth + 1 if parent else 0
        node = unit(code, parent, kind=kind_by_depth[min(depth, len(kind_by_depth) - 1)])
        made[code] = node
        made.update(tree(children, node, kind_by_depth))
    return made


def movement(
    organiser: Unit,
    *,
    slug: str = "drive",
    starts_on: dt.date = dt.date(2025, 1, 1),
    ends_on: dt.date = dt.date(2025, 12, 31),
    indicators: tuple[dict, ...] = (
        {"code": "steel", "name": "Steel", "unit_of_measure": "t", "decimal_places": 1},
    ),
    monthly: bool = False,
    launch: bool = True,
) -> Movement:
    created = movement_actions.create_movement(
        title=slug.replace("-", " ").title(),
        slug=slug,
        organiser=organiser,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    for spec in indicators:
        movement_actions.add_indicator(movement=created, **spec)
    if monthly:
        movement_actions.add_monthly_periods(movement=created)
    if launch:
        created = movement_actions.launch_movement(movement=created)
    return created
