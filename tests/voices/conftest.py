import pytest

from pacesetter.accounts.models import Grant, Role
from pacesetter.voices import actions
from tests import factories


def person(name: str, role: str | None = None, unit=None):
    user = factories.UserFactory(username=name)
    if role is not None:
        Grant.objects.create(user=user, role=role, unit=unit)
    return user


@pytest.fixture
def people(units):
    """A member of W1 (the raiser), the head of W1, the head of C1, an organiser of P1, a
    member of W3 (outside W1's branch), a viewer of W1 and a reporter of C1."""
    return {
        "member": person("member", Role.MEMBER, units["W1"]),
        "other_member": person("other_member", Role.MEMBER, units["W1"]),
        "head": person("head", Role.UNIT_HEAD, units["W1"]),
        "head_above": person("head_above", Role.UNIT_HEAD, units["C1"]),
        "organiser": person("organiser", Role.ORGANISER, units["P1"]),
        "outsider": person("outsider", Role.MEMBER, units["W3"]),
        "viewer": person("viewer", Role.VIEWER, units["W1"]),
        "clerk": person("clerk", Role.REPORTER, units["C1"]),
    }


@pytest.fixture
def topic(units):
    """Housing: answered at the unit itself, in 7 days, shown publicly when resolved."""
    return actions.set_topic(
        code="housing", name="Housing", organiser=units["KP"], deadline_days=7, public=True
    )


@pytest.fixture
def county_topic(units):
    return actions.set_topic(
        code="roads",
        name="Roads",
        organiser=units["KP"],
        route="ancestor",
        route_kind="county",
        deadline_days=3,
    )
