import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from pacesetter.core.errors import StateError, ValidationFailed
from pacesetter.movements import actions
from pacesetter.movements.actions import PlanRow
from pacesetter.movements.models import Movement, Plan
from tests import factories


def test_lifecycle_draft_launched_closed(units):
    movement = factories.movement(units["KP"], launch=False)
    assert movement.status == Movement.Status.DRAFT
    with pytest.raises(StateError):
        actions.close_movement(movement=movement)
    movement = actions.launch_movement(movement=movement)
    assert movement.status == "launched" and movement.launched_at is not None
    with pytest.raises(StateError):
        actions.launch_movement(movement=movement)
    movement = actions.close_movement(movement=movement)
    assert movement.status == "closed"
    with pytest.raises(StateError, match="closed and read-only"):
        actions.set_plans(movement=movement, rows=[PlanRow("W1", "steel", "10")])


def test_movement_needs_an_indicator_to_launch(units):
    movement = factories.movement(units["KP"], indicators=(), launch=False)
    with pytest.raises(StateError, match="at least one indicator"):
        actions.launch_movement(movement=movement)


def test_movement_validation(units):
    with pytest.raises(ValidationFailed) as caught:
        actions.create_movement(
            title="X",
            organiser=units["KP"],
            starts_on=dt.date(2025, 2, 1),
            ends_on=dt.date(2025, 1, 1),
        )
    assert caught.value.errors[0].field == "ends_on"
    with pytest.raises(ValidationFailed) as caught:
        actions.create_movement(
            title="X",
            organiser=units["KP"],
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2025, 2, 1),
            time_zone="Mars/Olympus",
        )
    assert caught.value.errors[0].field == "time_zone"


def test_indicators_are_fixed_once_launched(movement):
    with pytest.raises(StateError):
        actions.add_indicator(movement=movement, code="x", name="X", unit_of_measure="t")


def test_monthly_periods_cover_the_movement(units):
    movement = factories.movement(
        units["KP"],
        starts_on=dt.date(2025, 1, 15),
        ends_on=dt.date(2025, 4, 10),
        monthly=True,
        launch=False,
    )
    months = [(p.name, p.starts_on, p.ends_on) for p in movement.periods.filter(is_whole=False)]
    assert months == [
        ("January 2025", dt.date(2025, 1, 15), dt.date(2025, 1, 31)),
        ("February 2025", dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
        ("March 2025", dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
        ("April 2025", dt.date(2025, 4, 1), dt.date(2025, 4, 10)),
    ]


def test_plans_upsert_and_validate_every_row(movement, units):
    written = actions.set_plans(
        movement=movement,
        rows=[
            PlanRow("KP", "steel", "1000", rated_capacity="800.5"),
            PlanRow("P1", "steel", "600", period="March 2025", daily_assignment="20"),
            PlanRow("P2", "steel", base="300", base_label="2024 level"),
        ],
    )
    assert written == 3
    plan = Plan.objects.get(unit=units["KP"], indicator__code="steel")
    assert (plan.planned_minor, plan.rated_capacity_minor) == (10000, 8005)
    actions.set_plans(movement=movement, rows=[PlanRow("KP", "steel", "1200")])
    assert Plan.objects.get(unit=units["KP"], indicator__code="steel").planned_minor == 12000
    assert Plan.objects.count() == 3
    with pytest.raises(ValidationFailed) as caught:
        actions.set_plans(
            movement=movement,
            rows=[
                PlanRow("NOPE", "steel", "1"),
                PlanRow("W1", "gold", "1"),
                PlanRow("W1", "steel", "1", period="Someday"),
                PlanRow("W2", "steel", "1.25"),
                PlanRow("W3", "steel", rated_capacity="0"),
                PlanRow("W4", "steel"),
                PlanRow("C1", "steel", "-5"),
                PlanRow("W2", "steel", "3"),
            ],
        )
    assert [(e.row, e.field, e.code) for e in caught.value.errors] == [
        (1, "unit_code", "not_found"),
        (2, "indicator", "not_found"),
        (3, "period", "not_found"),
        (4, "planned", "invalid"),
        (5, "rated_capacity", "invalid"),
        (6, "planned", "required"),
        (7, "planned", "invalid"),
        (8, "unit_code", "duplicate"),
    ]
    assert Plan.objects.count() == 3


def test_one_plan_per_unit_indicator_period_in_the_database(movement, units):
    actions.set_plans(movement=movement, rows=[PlanRow("W1", "steel", "10")])
    plan = Plan.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(
            unit=plan.unit, indicator=plan.indicator, period=plan.period, planned_minor=5
        )


def test_pledges(movement, units):
    steel = movement.indicators.get(code="steel")
    pledge = actions.register_pledge(
        unit=units["W1"], indicator=steel, extra="50.5", text="We pledge 50.5 t more"
    )
    assert pledge.extra_minor == 505 and pledge.extra_percent is None
    percent = actions.register_pledge(unit=units["W2"], indicator=steel, extra_percent="10")
    assert percent.extra_percent == Decimal("10")
    with pytest.raises(ValidationFailed):
        actions.register_pledge(unit=units["W1"], indicator=steel)
    with pytest.raises(ValidationFailed):
        actions.register_pledge(unit=units["W1"], indicator=steel, extra="0")
    outsider = factories.unit("X", None, kind="country")
    with pytest.raises(ValidationFailed) as caught:
        actions.register_pledge(unit=outsider, indicator=steel, extra="1")
    assert caught.value.errors[0].code == "out_of_scope"


def test_whole_period_named_or_left_empty_is_one_plan(movement):
    with pytest.raises(ValidationFailed) as caught:
        actions.set_plans(
            movement=movement,
            rows=[
                PlanRow("W1", "steel", "1"),
                PlanRow("W1", "steel", "2", period="Whole movement"),
            ],
        )
    assert caught.value.errors[0].code == "duplicate"


def test_pledge_period_must_be_the_movements(movement, units):
    other = factories.movement(units["KP"], slug="other", monthly=True)
    with pytest.raises(ValidationFailed) as caught:
        actions.register_pledge(
            unit=units["W1"],
            indicator=movement.indicators.get(code="steel"),
            extra="1",
            period=other.periods.first(),
        )
    assert caught.value.errors[0].field == "period"
