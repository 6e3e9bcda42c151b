from __future__ import annotations

from pathlib import Path

import pytest

from pacesetter.accounts.actions import grant_role
from pacesetter.accounts.models import Role
from pacesetter.titles import actions
from pacesetter.units import actions as unit_actions
from tests import factories

PACKS = Path(__file__).resolve().parents[2] / "src" / "pacesetter" / "titles" / "packs"


@pytest.fixture
def vn_pack(db):
    return actions.load_pack(text=(PACKS / "vn-emulation.yaml").read_text())


@pytest.fixture
def production_pack(db):
    return actions.load_pack(text=(PACKS / "production.yaml").read_text())


@pytest.fixture
def people(units):
    """Ten members in W1 (w1-0 … w1-9) and three in W2."""
    made = {}
    for code, count in (("W1", 10), ("W2", 3)):
        for i in range(count):
            member = unit_actions.create_member(
                unit=units[code], full_name=f"Person {code}-{i}", external_id=f"{code.lower()}-{i}"
            )
            made[member.external_id] = member
    return made


@pytest.fixture
def council(units):
    """Five council members on the country."""
    users = [factories.UserFactory(username=f"council{i}") for i in range(5)]
    for user in users:
        grant_role(user=user, role=Role.COUNCIL_MEMBER, unit=units["KP"])
    return users
