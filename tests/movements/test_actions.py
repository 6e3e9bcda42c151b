import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from pacesetter.audit.models import AuditEvent
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
        ("January 2025 (15–31 Jan)", dt.date(2025, 1, 15), dt.date(2025, 1, 31)),
        ("February 2025", dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
        ("March 2025", dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
        ("April 2025 (1–10 Apr)", dt.date(2025, 4, 1), dt.date(2025, 4, 10)),
    ]
    # Asked again, nothing changes: the months exist.
    assert actions.add_monthly_periods(movement=movement) == []
    assert movement.periods.count() == 5


def test_generated_weeks_are_kept_when_asked_again(units):
    movement = factories.movement(
        units["KP"], starts_on=dt.date(2025, 3, 5), ends_on=dt.date(2025, 3, 20), launch=False
    )
    first = actions.generate_periods(movement=movement, every="week")
    assert [p.name for p in first.created] == [
        "Week 1 (5–9 Mar)",
        "Week 2 (10–16 Mar)",
        "Week 3 (17–20 Mar)",
    ]
    again = actions.generate_periods(movement=movement, every="week")
    assert again.created == [] and [p.pk for p in again.periods] == [p.pk for p in first.created]
    assert AuditEvent.objects.filter(action="movements.generate_periods").count() == 2
    # Nested series live beside each other: the month holds every week.
    months = actions.generate_periods(movement=movement, every="month")
    # A month as long as the movement is the whole period, kept as it is.
    assert months.created == [] and months.periods[0].is_whole


def test_a_series_crossing_existing_periods_is_refused_whole(units):
    movement = factories.movement(
        units["KP"],
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 3, 31),
        monthly=True,
        launch=False,
    )
    with pytest.raises(ValidationFailed) as caught:
        actions.generate_periods(movement=movement, every="week")
    crossing = [(e.row, e.message) for e in caught.value.errors]
    assert crossing == [
        (5, "Week 5 (27 Jan–2 Feb) crosses the existing period 'January 2025' (1–31 Jan)"),
        (9, "Week 9 (24 Feb–2 Mar) crosses the existing period 'February 2025' (1–28 Feb)"),
    ]
    assert "nothing was added" in str(caught.value)
    assert movement.periods.count() == 4
    halves = factories.movement(
        units["KP"],
        slug="halves",
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 6, 30),
        launch=False,
    )
    actions.add_period(
        movement=halves, name="Q2 2025", starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2025, 4, 9)
    )
    with pytest.raises(ValidationFailed, match="conflict") as caught:
        actions.generate_periods(movement=halves, every="quarter")
    assert (
        "the existing period 'Q2 2025' (1–9 Apr) has other dates" in caught.value.errors[0].message
    )


def test_periods_are_generated_only_in_a_draft(movement):
    with pytest.raises(StateError, match="only while the movement is a draft"):
        actions.generate_periods(movement=movement, every="week")


def test_custom_periods_from_a_list_all_or_nothing(units):
    movement = factories.movement(units["KP"], launch=False)
    spec = actions.PeriodSpec
    with pytest.raises(ValidationFailed) as caught:
        actions.add_periods(
            movement=movement,
            periods=[
                spec("Sowing", dt.date(2025, 4, 1), dt.date(2025, 5, 15)),
                spec("Harvest", dt.date(2025, 9, 1), dt.date(2026, 1, 15)),
                spec("Sowing", dt.date(2025, 4, 2), dt.date(2025, 5, 15)),
            ],
        )
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "starts_on"), (3, "name")]
    assert movement.periods.count() == 1
    added = actions.add_periods(
        movement=movement,
        periods=[
            spec("Sowing", dt.date(2025, 4, 1), dt.date(2025, 5, 15)),
            spec("Harvest", dt.date(2025, 9, 1), dt.date(2025, 10, 15)),
        ],
    )
    assert [p.name for p in added] == ["Sowing", "Harvest"]


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
