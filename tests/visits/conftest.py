import pytest

from pacesetter.accounts.models import Grant, Role
from tests import factories


def person(name: str, role: str | None = None, unit=None):
    user = factories.UserFactory(username=name)
    if role is not None:
        Grant.objects.create(user=user, role=role, unit=unit)
    return user


@pytest.fixture
def people(units):
    """The head of C1 and an organiser of P1 (officials), the head of C2 (a sibling branch), a
    reporter and a member of W1, a viewer of KP."""
    return {
        "head": person("head", Role.UNIT_HEAD, units["C1"]),
        "organiser": person("organiser", Role.ORGANISER, units["P1"]),
        "head_c2": person("head_c2", Role.UNIT_HEAD, units["C2"]),
        "reporter": person("reporter", Role.REPORTER, units["W1"]),
        "member": person("member", Role.MEMBER, units["W1"]),
        "viewer": person("viewer", Role.VIEWER, units["KP"]),
        "verifier": person("verifier", Role.VERIFIER, units["C1"]),
    }
