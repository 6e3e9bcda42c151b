"""The permission module on its own: subtrees, movements, token scopes, the current actor."""

from __future__ import annotations

import pytest
from django.http import Http404

from pacesetter.accounts import actions
from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import (
    ANONYMOUS,
    SYSTEM,
    Capability,
    acting_as,
    actor_for,
    can,
    current_actor,
    require,
    unit_filter,
)
from pacesetter.core.errors import NotAllowed
from pacesetter.units.models import Unit
from tests import factories


@pytest.fixture
def person(db):
    return factories.UserFactory(username="person")


def grant(user, role, unit, movement=None):
    return Grant.objects.create(user=user, role=role, unit=unit, movement=movement)


def test_a_grant_holds_for_the_whole_subtree_and_nowhere_else(person, units):
    grant(person, Role.REPORTER, units["P1"])
    actor = actor_for(person)
    assert [u for u in units if can(actor, Capability.REPORT, units[u])] == [
        "P1",
        "C1",
        "W1",
        "W2",
        "C2",
        "W3",
    ]
    assert not can(actor, Capability.VERIFY, units["W1"])
    assert set(
        Unit.objects.filter(unit_filter(actor, Capability.VIEW, field="")).values_list(
            "code", flat=True
        )
    ) == {"P1", "C1", "W1", "W2", "C2", "W3"}


def test_nested_grants_collapse_to_the_outermost(person, units):
    grant(person, Role.VIEWER, units["C1"])
    grant(person, Role.VIEWER, units["P1"])
    grant(person, Role.VIEWER, units["W4"])
    assert actor_for(person).paths(Capability.VIEW) == [units["P1"].path, units["W4"].path]


def test_require_hides_what_cannot_be_seen_and_refuses_what_can(person, units):
    grant(person, Role.VIEWER, units["C1"])
    actor = actor_for(person)
    require(actor, Capability.VIEW, units["W1"])
    with pytest.raises(NotAllowed):
        require(actor, Capability.REPORT, units["W1"])
    with pytest.raises(Http404):
        require(actor, Capability.REPORT, units["C2"])


def test_a_grant_for_one_movement_does_not_reach_another(person, units, movement):
    other = factories.movement(units["KP"], slug="other")
    grant(person, Role.REPORTER, units["C1"], movement=movement)
    actor = actor_for(person)
    assert can(actor, Capability.REPORT, units["W1"], movement)
    assert not can(actor, Capability.REPORT, units["W1"], other)


def test_withdrawn_grants_give_nothing(person, units):
    g = grant(person, Role.ORGANISER, units["KP"])
    actions.withdraw_grant(grant=g)
    assert actor_for(person).paths(Capability.VIEW) == []
    assert Grant.objects.get(pk=g.pk).withdrawn_at is not None  # kept on record


@pytest.mark.parametrize(
    ("scope", "report", "organise"),
    [("read", False, False), ("report", True, False), ("full", True, True)],
)
def test_a_token_scope_narrows_but_never_widens(person, units, scope, report, organise):
    grant(person, Role.ORGANISER, units["KP"])
    token, _ = actions.create_token(user=person, name="t", scope=scope)
    actor = actor_for(person, token=token)
    assert can(actor, Capability.VIEW, units["W1"])
    assert can(actor, Capability.REPORT, units["W1"]) is report
    assert can(actor, Capability.ORGANISE, units["W1"]) is organise
    # A full token of a viewer is still only a viewer.
    viewer = factories.UserFactory(username="viewer")
    grant(viewer, Role.VIEWER, units["KP"])
    full, _ = actions.create_token(user=viewer, name="t", scope="full")
    assert not can(actor_for(viewer, token=full), Capability.REPORT, units["W1"])


def test_the_system_acts_outside_requests_and_anonymous_sees_nothing(units, person):
    assert current_actor() is SYSTEM
    assert can(SYSTEM, Capability.ORGANISE, units["W4"])
    assert not can(ANONYMOUS, Capability.VIEW, units["W4"])
    with acting_as(actor_for(person)) as actor:
        assert current_actor() is actor
    assert current_actor() is SYSTEM


def test_an_inactive_user_is_anonymous(person, units):
    grant(person, Role.ORGANISER, units["KP"])
    person.is_active = False
    assert not actor_for(person).is_authenticated


def test_a_unit_head_for_one_movement_grants_roles_in_that_movement_only(person, units, movement):
    other = factories.movement(units["KP"], slug="other")
    grant(person, Role.UNIT_HEAD, units["C1"], movement=movement)
    newcomer = factories.UserFactory(username="newcomer")
    with acting_as(actor_for(person)):
        given = actions.grant_role(
            user=newcomer, role=Role.REPORTER, unit=units["W1"], movement=movement
        )
        for elsewhere in (other, None):  # another movement, or every movement
            with pytest.raises(NotAllowed):
                actions.grant_role(
                    user=newcomer, role=Role.REPORTER, unit=units["W1"], movement=elsewhere
                )
    assert list(Grant.objects.filter(user=newcomer)) == [given]
    everywhere = factories.UserFactory(username="head-everywhere")
    grant(everywhere, Role.UNIT_HEAD, units["C1"])
    with acting_as(actor_for(everywhere)):
        actions.grant_role(user=newcomer, role=Role.REPORTER, unit=units["W2"], movement=other)
        actions.withdraw_grant(grant=given)


def test_the_roles_page_shows_a_slice_of_the_subtree_and_more_on_asking(
    client, person, units, monkeypatch
):
    import re

    from pacesetter.accounts import views

    monkeypatch.setattr(views, "GRANTS_SHOWN", 3)
    actions.grant_role(user=person, role=Role.ORGANISER, unit=units["KP"])
    for n in range(5):
        holder = factories.UserFactory(username=f"holder{n}")
        actions.grant_role(user=holder, role=Role.REPORTER, unit=units["W1"])
    client.force_login(person)
    page = client.get("/units/C1/roles/").content.decode()
    holders = re.findall(r"<td>(holder\d)</td>", page)
    assert holders == ["holder0", "holder1", "holder2"] and 'hx-get="?page=2"' in page
    rows = client.get("/units/C1/roles/?page=2", headers={"HX-Request": "true"})
    rows = rows.content.decode()
    assert "<html" not in rows and '<form method="post" novalidate' not in rows
    assert re.findall(r"<td>(holder\d)</td>", rows) == ["holder3", "holder4"]
    assert "Show more" not in rows
