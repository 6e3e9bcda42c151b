"""Setting drives up: the creation actions' doors (the API and the set-up page) and who may
use them."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pacesetter.accounts.actions import create_token, grant_role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import NotAllowed, ValidationFailed
from pacesetter.drives import actions
from pacesetter.drives.models import DonationDrive, EnlistmentDrive, VolunteerCall
from pacesetter.movements import actions as movement_actions
from tests import factories
from tests.api.conftest import post, problem
from tests.drives.conftest import END, START


def _draft(units, slug="p1-drive", organiser="P1", public=True):
    return movement_actions.create_movement(
        title="P1 drive",
        slug=slug,
        organiser=units[organiser],
        scope=[units[organiser]],
        starts_on=START,
        ends_on=END,
        is_public=public,
    )


def _person(units, role: str, unit: str, name: str):
    person = factories.UserFactory(username=name)
    grant_role(user=person, role=role, unit=units[unit])
    return person


CREATE = {
    "donation": lambda m: actions.create_donation_drive(
        movement=m, items=[actions.ItemSpec(code="rice", name="Rice", unit_of_measure="t")]
    ),
    "call": lambda m: actions.create_volunteer_call(
        movement=m,
        quota=5,
        opens_at=timezone.now(),
        closes_at=timezone.now() + dt.timedelta(days=3),
        roles=[("helper", "Helper")],
    ),
    "enlistment": lambda m: actions.create_enlistment_drive(
        movement=m, reporting_kind="enterprise", roles=[("medics", "Medical workers")]
    ),
}


@pytest.mark.parametrize("kind", CREATE)
def test_only_an_organiser_of_the_movement_sets_a_drive_up(units, kind):
    movement = _draft(units)
    elsewhere = _person(units, "organiser", "P2", "elsewhere")
    reporter = _person(units, "reporter", "P1", "reporter")
    organiser = _person(units, "organiser", "P1", "organiser")
    with acting_as(actor_for(elsewhere)), pytest.raises(Http404):
        CREATE[kind](movement)
    with acting_as(actor_for(reporter)), pytest.raises(NotAllowed):
        CREATE[kind](movement)
    assert not AuditEvent.objects.filter(action__startswith="drives.create").exists()
    with acting_as(actor_for(organiser)):
        CREATE[kind](movement)
    assert AuditEvent.objects.filter(action__startswith="drives.create").count() == 1


def test_every_bad_item_is_listed_by_row_and_nothing_is_written(units):
    movement = _draft(units)
    with pytest.raises(ValidationFailed) as refused:
        actions.create_donation_drive(
            movement=movement,
            items=[
                actions.ItemSpec(code="rice", name="Rice", unit_of_measure="t"),
                actions.ItemSpec(code="rice", name="", unit_of_measure=""),
                actions.ItemSpec(code="cash", name="Cash", kind="money", decimal_places=9),
            ],
        )
    assert [(e.row, e.field) for e in refused.value.errors] == [
        (2, "code"),
        (2, "name"),
        (2, "unit_of_measure"),
        (3, "currency"),
        (3, "decimal_places"),
    ]
    assert not DonationDrive.objects.exists() and not movement.indicators.exists()


def test_roles_given_twice_are_refused_by_row(units):
    movement = _draft(units)
    with pytest.raises(ValidationFailed) as refused:
        actions.create_enlistment_drive(
            movement=movement,
            reporting_kind="enterprise",
            roles=[("medics", "Medics"), ("medics", "Again"), ("bad code", "Bad")],
        )
    assert [(e.row, e.field, e.code) for e in refused.value.errors] == [
        (2, "code", "duplicate"),
        (3, "code", "invalid"),
    ]


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def organiser_api(units):
    organiser = _person(units, "organiser", "P1", "organiser")
    token = create_token(user=organiser, name="tests", scope="full")
    return Client(headers={"Authorization": f"Bearer {token[1]}"})


def test_api_sets_up_a_donation_drive(units, organiser_api):
    _draft(units)
    response = post(
        organiser_api,
        "/api/v1/movements/p1-drive/donation-drive",
        {
            "items": [
                {"code": "rice", "name": "Rice", "unit_of_measure": "sacks"},
                {
                    "code": "cash",
                    "name": "Cash",
                    "kind": "money",
                    "currency": "EUR",
                    "decimal_places": 2,
                },
            ],
            "estimate_currency": "eur",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["indicators"] == [
        "rice-pledged",
        "rice-received",
        "rice-distributed",
        "cash-pledged",
        "cash-received",
        "cash-distributed",
    ]
    assert DonationDrive.objects.get().estimate_currency == "EUR"


def test_api_lists_bad_items_by_row_and_refuses_unknown_fields_by_name(units, organiser_api):
    _draft(units)
    url = "/api/v1/movements/p1-drive/donation-drive"
    body = problem(post(organiser_api, url, {"items": [{"code": "rice", "name": "Rice"}]}), 422)
    assert body["errors"] == [
        {
            "row": 1,
            "field": "unit_of_measure",
            "message": "an item in kind needs a unit of measure",
            "code": "required",
        }
    ]
    body = problem(
        post(organiser_api, url, {"items": [{"code": "r", "name": "R", "unit": "t"}]}), 422
    )
    assert body["errors"][0]["field"] == "unit" and body["errors"][0]["code"] == "extra_forbidden"
    body = problem(post(organiser_api, url, {"items": [], "recipients": []}), 422)
    assert [e["field"] for e in body["errors"]] == ["recipients"]
    assert not DonationDrive.objects.exists()


def test_api_sets_up_a_volunteer_call_in_the_movement_time_zone(units, organiser_api):
    movement = _draft(units)
    opens = dt.datetime.combine(dt.date.today(), dt.time(8))
    response = post(
        organiser_api,
        "/api/v1/movements/p1-drive/volunteer-call",
        {
            "quota": 20,
            "opens_at": opens.isoformat(),
            "closes_at": (opens + dt.timedelta(days=5)).isoformat(),
            "roles": [{"code": "driver", "name": "Driver"}],
            "places": [{"unit": "C1", "capacity": 5, "role": "driver"}],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["public_sign_up"] is True
    call = VolunteerCall.objects.get()
    assert call.opens_at == opens.replace(tzinfo=zoneinfo.ZoneInfo(movement.time_zone))
    assert list(call.places.values_list("unit__code", "capacity")) == [("C1", 5)]


def test_api_place_outside_the_scope_is_a_row_error(units, organiser_api):
    _draft(units)
    now = timezone.now()
    body = problem(
        post(
            organiser_api,
            "/api/v1/movements/p1-drive/volunteer-call",
            {
                "quota": 20,
                "opens_at": now.isoformat(),
                "closes_at": (now + dt.timedelta(days=5)).isoformat(),
                "places": [{"unit": "C1", "capacity": 5}, {"unit": "W4", "capacity": 0}],
            },
        ),
        422,
    )
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "unit"), (2, "capacity")]
    assert not VolunteerCall.objects.exists()


def test_api_sets_up_an_enlistment_and_refuses_a_reporter(units, organiser_api):
    _draft(units)
    url = "/api/v1/movements/p1-drive/enlistment-drive"
    payload = {"reporting_kind": "enterprise", "roles": [{"code": "medics", "name": "Medics"}]}
    reporter = _person(units, "reporter", "P1", "reporter")
    token = create_token(user=reporter, name="tests", scope="full")
    refused = Client(headers={"Authorization": f"Bearer {token[1]}"})
    problem(post(refused, url, payload), 403)
    response = post(organiser_api, url, payload)
    assert response.status_code == 201, response.content
    assert EnlistmentDrive.objects.get().reporting_kind.code == "enterprise"


# --- the set-up page --------------------------------------------------------------------------


@pytest.fixture
def organiser_client(units, client):
    client.force_login(_person(units, "organiser", "P1", "organiser"))
    return client


def test_set_up_page_is_for_organisers_and_linked_from_the_organise_page(units, client):
    _draft(units)
    client.force_login(_person(units, "reporter", "P1", "reporter"))
    assert client.get(reverse("drives-set-up", args=["p1-drive"])).status_code == 403
    client.force_login(_person(units, "organiser", "P1", "organiser"))
    organise = client.get(reverse("movement-organise", args=["p1-drive"]))
    assert reverse("drives-set-up", args=["p1-drive"]).encode() in organise.content
    page = client.get(reverse("drives-set-up", args=["p1-drive"]))
    assert page.status_code == 200
    assert b"A donation drive" in page.content and b"anyone may sign up" in page.content


def test_donation_drive_form_shows_line_errors_then_sets_it_up(units, organiser_client):
    _draft(units)
    url = reverse("drives-donation-drive-create", args=["p1-drive"])
    bad = organiser_client.post(url, {"items": "rice; Rice; sacks\nflour; ; kg; 1"})
    assert bad.status_code == 422
    assert "Line 2, name: a name is required" in bad.content.decode()
    assert not DonationDrive.objects.exists()
    unreadable = organiser_client.post(url, {"items": "rice"})
    assert "Line 1: give code; name; unit of measure; decimals" in unreadable.content.decode()
    good = organiser_client.post(url, {"items": "rice; Rice; sacks\ncash; Cash; EUR; 2; money"})
    assert good.status_code == 302 and good["Location"] == "/drives/p1-drive/donations/"
    items = DonationDrive.objects.get().items.order_by("position")
    assert [(i.code, i.kind, i.unit_of_measure, i.decimal_places) for i in items] == [
        ("rice", "in_kind", "sacks", 0),
        ("cash", "money", "EUR", 2),
    ]


def test_volunteer_call_form_reads_times_in_the_movement_zone(units, organiser_client):
    movement = _draft(units)
    movement.time_zone = "Europe/Paris"
    movement.save(update_fields=["time_zone"])
    today = dt.date.today()
    response = organiser_client.post(
        reverse("drives-volunteer-call-create", args=["p1-drive"]),
        {
            "quota": "10",
            "at_quota": "waitlist",
            "opens_at": f"{today}T09:00",
            "closes_at": f"{today + dt.timedelta(days=7)}T18:00",
            "roles": "driver; Driver",
            "places": "C1; 4; driver\nW4; 2",
        },
    )
    assert response.status_code == 422
    assert "Line 2, unit: W4 is outside the movement&#x27;s scope" in response.content.decode()
    response = organiser_client.post(
        reverse("drives-volunteer-call-create", args=["p1-drive"]),
        {
            "quota": "10",
            "at_quota": "waitlist",
            "opens_at": f"{today}T09:00",
            "closes_at": f"{today + dt.timedelta(days=7)}T18:00",
            "roles": "driver; Driver",
            "places": "C1; 4; driver",
        },
    )
    assert response.status_code == 302, response.content.decode()
    call = VolunteerCall.objects.get()
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert call.opens_at.astimezone(paris).replace(tzinfo=None) == dt.datetime.combine(
        today, dt.time(9)
    )
    assert call.at_quota == "waitlist" and call.roles.get().code == "driver"


def test_enlistment_form_sets_it_up(units, organiser_client):
    _draft(units)
    response = organiser_client.post(
        reverse("drives-enlistment-drive-create", args=["p1-drive"]),
        {"reporting_kind": "enterprise", "roles": "medics; Medical workers\nhygiene; Activists"},
    )
    assert response.status_code == 302
    assert list(EnlistmentDrive.objects.get().roles.values_list("code", flat=True)) == [
        "medics",
        "hygiene",
    ]


def test_drives_home_no_longer_sends_organisers_to_the_api(units, organiser_client):
    page = organiser_client.get(reverse("drives-home")).content.decode()
    assert "pacesetter demo" not in page and "Set up a drive" in page


def test_set_up_page_reads_in_a_fixed_number_of_queries(
    units, organiser_client, django_assert_num_queries
):
    _draft(units)
    url = reverse("drives-set-up", args=["p1-drive"])
    organiser_client.get(url)
    with django_assert_num_queries(8):
        page = organiser_client.get(url)
    assert page.status_code == 200
    ids = re.findall(r' id="([^"]+)"', page.content.decode())
    assert len(ids) == len(set(ids))  # three forms, two with roles
