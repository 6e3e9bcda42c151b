import pytest

from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import ValidationFailed
from pacesetter.units import actions
from tests import factories


def test_update_unit_changes_name_kind_and_headcount_and_is_audited(units):
    unit = actions.update_unit(unit=units["W1"], name="Renamed", kind="shift", headcount="7")
    assert (unit.name, unit.kind.code, unit.headcount, unit.parent) == (
        "Renamed",
        "shift",
        7,
        units["C1"],
    )
    event = AuditEvent.objects.get(action="units.update_unit")
    assert event.before["name"] == "Unit W1" and event.unit_path == unit.path


def test_update_unit_refuses_outside_the_managed_subtree_and_bad_values(units):
    organiser = factories.UserFactory(username="c2-organiser")
    Grant.objects.create(user=organiser, role=Role.ORGANISER, unit=units["C2"])
    with acting_as(actor_for(organiser)), pytest.raises(ValidationFailed) as refused:
        actions.update_unit(unit=units["W1"], name="Mine now", kind="team")
    assert [(e.field, e.code) for e in refused.value.errors] == [("code", "duplicate")]
    with pytest.raises(ValidationFailed) as refused:
        actions.update_unit(unit=units["W1"], name="", kind="no spaces", headcount=-1)
    assert {e.field for e in refused.value.errors} == {"name", "kind", "headcount"}
    units["W1"].refresh_from_db()
    assert units["W1"].name == "Unit W1"
