import pytest

from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import actor_for
from pacesetter.units.actions import create_member
from tests import factories


def person(name: str, role: str | None = None, unit=None):
    user = factories.UserFactory(username=name)
    if role is not None:
        Grant.objects.create(user=user, role=role, unit=unit)
    return user


def actor(user):
    return actor_for(user)


@pytest.fixture
def people(units):
    """A member and a reporter of W1, the head of W1, the head of C1, a verifier of C1, an
    organiser of P1, and a member of W3 (outside W1's branch)."""
    return {
        "member": person("member", Role.MEMBER, units["W1"]),
        "reporter": person("reporter", Role.REPORTER, units["W1"]),
        "head": person("head", Role.UNIT_HEAD, units["W1"]),
        "head_above": person("head_above", Role.UNIT_HEAD, units["C1"]),
        "verifier": person("verifier", Role.VERIFIER, units["C1"]),
        "organiser": person("organiser", Role.ORGANISER, units["P1"]),
        "outsider": person("outsider", Role.MEMBER, units["W3"]),
        "viewer": person("viewer", Role.VIEWER, units["W1"]),
    }


@pytest.fixture
def kim(units):
    return create_member(unit=units["W1"], full_name="Kim Je Won", external_id="M-1")
