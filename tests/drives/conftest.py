import datetime as dt

import pytest
from django.utils import timezone

from pacesetter.drives import actions
from pacesetter.movements import actions as movement_actions
from pacesetter.units.actions import create_member

# The movements run around today: sign-ups and default days are "now".
START = dt.date.today() - dt.timedelta(days=100)
END = dt.date.today() + dt.timedelta(days=100)


def draft(units, slug: str, *, public: bool = True, starts_on=START, ends_on=END):
    return movement_actions.create_movement(
        title=slug.replace("-", " ").title(),
        slug=slug,
        organiser=units["KP"],
        starts_on=starts_on,
        ends_on=ends_on,
        is_public=public,
    )


@pytest.fixture
def donation_drive(units):
    movement = draft(units, "rice")
    drive = actions.create_donation_drive(
        movement=movement,
        items=[
            actions.ItemSpec(code="rice", name="Rice", unit_of_measure="sacks"),
            actions.ItemSpec(
                code="money", name="Money", kind="money", currency="KPW", decimal_places=2
            ),
        ],
        estimate_currency="KPW",
    )
    movement_actions.launch_movement(movement=movement)
    drive.refresh_from_db()
    return drive


@pytest.fixture
def member(units):
    return create_member(unit=units["W1"], full_name="Kim Je Won", external_id="M-1")


def make_call(units, slug="volunteers", *, quota=5, at_quota="close", public=True, **kwargs):
    movement = draft(units, slug, public=public)
    now = timezone.now()
    defaults = {
        "opens_at": now - dt.timedelta(days=1),
        "closes_at": now + dt.timedelta(days=30),
    }
    defaults.update(kwargs)
    call = actions.create_volunteer_call(
        movement=movement, quota=quota, at_quota=at_quota, **defaults
    )
    movement_actions.launch_movement(movement=movement)
    call.refresh_from_db()
    return call


@pytest.fixture
def call(units):
    return make_call(
        units,
        asks_gender=True,
        roles=[("medic", "Medic"), ("builder", "Builder")],
        places=[actions.PlaceSpec("C1", 2, "builder"), actions.PlaceSpec("C3", 1)],
    )


@pytest.fixture
def enlistment(units):
    movement = draft(units, "epidemic")
    drive = actions.create_enlistment_drive(
        movement=movement,
        reporting_kind="county",
        roles=[("medical", "Medical workers"), ("hygiene", "Hygiene activists")],
    )
    movement_actions.launch_movement(movement=movement)
    drive.refresh_from_db()
    return drive


def person(n: int, unit: str = "W1", **kwargs) -> actions.SignUpRow:
    fields = {"unit": unit, "full_name": f"Volunteer {n}", "contact": f"+850 2 000 {n:04d}"}
    fields.update(kwargs)
    return actions.SignUpRow(**fields)
