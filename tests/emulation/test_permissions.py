"""Who may do what in emulation, by role and by where the grant sits: on P1 (an ancestor of
the challenger C1), on C1 itself, on its sibling C2 (the challenged unit) or on W1 (below C1).
Only a grant on P1 or C1 covers C1; seeing C1 without the capability is 403, not seeing it
at all is 422 when it is named in the body (never a hint that it exists)."""

from __future__ import annotations

import datetime as dt

import pytest

from pacesetter.accounts.models import Grant, Role
from pacesetter.emulation import actions
from tests import factories

from .conftest import record, scoring

pytestmark = pytest.mark.django_db

POSITIONS = {"ancestor": "P1", "self": "C1", "sibling": "C2", "descendant": "W1"}
COVERS = {"ancestor", "self"}
PLANS = {Role.ORGANISER, Role.UNIT_HEAD}
ROLES = [Role.ORGANISER, Role.UNIT_HEAD, Role.REPORTER, Role.VIEWER]


@pytest.fixture
def live(units):
    today = dt.date.today()
    return factories.movement(
        units["KP"],
        slug="live",
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=30),
    )


def _client(client, units, role, position):
    user = factories.UserFactory(username=f"{role}-{position}")
    Grant.objects.create(user=user, role=role, unit=units[POSITIONS[position]])
    client.force_login(user)
    return client


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("role", ROLES)
def test_propose_a_challenge(client, live, units, role, position):
    client = _client(client, units, role, position)
    response = client.post(
        f"/api/v1/movements/{live.slug}/challenges",
        {
            "challenger": "C1",
            "opponent": "C2",
            "indicator": "steel",
            "answer_by": str(dt.date.today() + dt.timedelta(days=3)),
        },
        content_type="application/json",
    )
    # A peer is challenged by code, seen or not (the leaderboards show it anyway); C1 not
    # theirs to see, named in the body, is unknown (422).
    expected = (201 if role in PLANS else 403) if position in COVERS else 422
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("role", ROLES)
def test_answer_a_challenge_to_c1(client, live, units, role, position):
    challenge = actions.propose_challenge(
        movement=live,
        challenger=units["C2"],
        opponent=units["C1"],
        indicator=live.indicators.get(code="steel"),
        period=live.periods.get(is_whole=True),
        answer_by=dt.date.today() + dt.timedelta(days=3),
    )
    client = _client(client, units, role, position)
    response = client.post(
        f"/api/v1/challenges/{challenge.pk}/accept", {"unit": "C1"}, content_type="application/json"
    )
    if position in COVERS:
        expected = 200 if role in PLANS else 403
    elif position == "sibling":
        expected = 422  # sees the challenge (through C2), not C1, named in the body
    else:
        expected = 404  # sees neither unit: no such challenge
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("position", POSITIONS)
def test_notifications_only_of_units_one_may_view(client, movement, units, block, position):
    scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W3", "steel", "20"))
    record(movement, ("W1", "steel", "15"))  # W1 passes W3: W3 and C2 are told
    client = _client(client, units, Role.VIEWER, position)
    seen = {n["unit"]["code"] for n in client.get("/api/v1/notifications").json()}
    covers = position in ("ancestor", "sibling")  # P1 and C2 are above W3
    assert seen == ({"W3", "C2"} if covers else set())
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert ("overtook you" in page.content.decode()) == covers


def test_private_movement_rankings_are_hidden_from_outsiders(client, movement, block, units):
    scoring(movement, block, ("steel", "raw"))
    outsider = factories.UserFactory(username="outsider")
    client.force_login(outsider)
    assert client.get(f"/api/v1/movements/{movement.slug}/rankings/main").status_code == 404
    assert client.get(f"/movements/{movement.slug}/emulation/main/").status_code == 404
    client.logout()
    page = client.get(f"/movements/{movement.slug}/emulation/main/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]


def test_a_challenge_is_seen_by_those_who_see_one_of_its_units(client, live, units):
    challenge = actions.propose_challenge(
        movement=live,
        challenger=units["W1"],
        opponent=units["W2"],
        indicator=live.indicators.get(code="steel"),
        period=live.periods.get(is_whole=True),
        answer_by=dt.date.today() + dt.timedelta(days=3),
    )
    for position, status in (("self", 200), ("sibling", 404)):
        _client(client, units, Role.VIEWER, position)
        assert client.get(f"/api/v1/challenges/{challenge.pk}").status_code == status
        assert client.get(f"/challenges/{challenge.pk}/").status_code == status
