"""Drives in setup files: a donation drive, a volunteer call, an enlistment — made by `apply`
through the drives' actions, left alone when the file says what is stored, written back by
`export` without the indicators the drive made."""

import datetime as dt
import textwrap

import pytest
import yaml

from pacesetter.drives.models import (
    CallPlace,
    DonationItem,
    EnlistmentRole,
    VolunteerCall,
)
from pacesetter.movements.models import Movement
from pacesetter.setup.files import export_movement
from tests.setup.test_apply import _apply

HEAD = textwrap.dedent(
    """\
    units:
      - {code: BT, name: Brickworks, kind: enterprise, parent: C1, headcount: 40}
      - {code: BT-N, name: North kiln team, kind: workteam, parent: BT}
    movements:
      - slug: kiln-drive
        title: Kiln drive
        organiser: BT
        starts_on: 2025-10-01
        ends_on: 2025-10-28
        time_zone: Europe/Paris
        indicators:
          - {code: repairs, name: Kilns repaired, unit_of_measure: kilns}
    """
)
DONATIONS = HEAD + textwrap.indent(
    textwrap.dedent(
        """\
        donation_drive:
          estimate_currency: KPW
          items:
            - {code: bricks, name: Bricks, unit_of_measure: pieces}
            - {code: funds, name: Funds, kind: money, currency: KPW, decimal_places: 2}
        launch: true
        """
    ),
    "    ",
)
CALL = HEAD + textwrap.indent(
    textwrap.dedent(
        """\
        volunteer_call:
          quota: 40
          opens_at: 2025-10-02T08:00:00
          closes_at: 2025-10-20T18:00:00
          at_quota: waitlist
          min_age: 16
          skills: [masonry, carpentry]
          asks_gender: true
          roles:
            - {code: mason, name: Mason}
            - {code: helper, name: Helper}
          places:
            - {unit: BT-N, capacity: 10, role: mason}
        """
    ),
    "    ",
)
ENLISTMENT = HEAD + textwrap.indent(
    textwrap.dedent(
        """\
        enlistment:
          reporting_kind: workteam
          roles:
            - {code: builders, name: Builders}
            - {code: carters, name: Carters}
        launch: true
        """
    ),
    "    ",
)


def _codes(movement):
    return sorted(movement.indicators.values_list("code", flat=True))


def _applied(cli, tmp_path, text):
    outcome = _apply(cli, tmp_path, text)
    assert outcome.code == 0, outcome.out + outcome.err
    return outcome


def _no_change(cli, tmp_path, text):
    again = _apply(cli, tmp_path, text)
    assert again.code == 0 and "no change" in again.out, again.out + again.err


def _export_reapplies(cli, tmp_path, slug):
    exported = cli("export", slug)
    assert exported.code == 0, exported.err
    _no_change(cli, tmp_path, exported.out)
    return yaml.safe_load(exported.out)["movements"][0]


def test_a_donation_drive_is_made_from_the_file(cli, units, tmp_path):
    _applied(cli, tmp_path, DONATIONS)
    movement = Movement.objects.get(slug="kiln-drive")
    assert movement.status == "launched"
    items = DonationItem.objects.filter(drive__movement=movement)
    assert [(i.code, i.kind, i.unit_of_measure) for i in items] == [
        ("bricks", "in_kind", "pieces"),
        ("funds", "money", "KPW"),
    ]
    assert movement.donation_drive.estimate_currency == "KPW"
    assert "bricks-received" in _codes(movement) and "funds-distributed" in _codes(movement)
    _no_change(cli, tmp_path, DONATIONS)
    document = _export_reapplies(cli, tmp_path, "kiln-drive")
    assert [i["code"] for i in document["indicators"]] == ["repairs"]
    assert document["donation_drive"] == {
        "estimate_currency": "KPW",
        "items": [
            {
                "code": "bricks",
                "name": "Bricks",
                "kind": "in_kind",
                "unit_of_measure": "pieces",
                "decimal_places": 0,
            },
            {
                "code": "funds",
                "name": "Funds",
                "kind": "money",
                "currency": "KPW",
                "decimal_places": 2,
            },
        ],
    }


def test_a_volunteer_call_is_made_with_its_roles_and_places(cli, units, tmp_path):
    first = _applied(cli, tmp_path, CALL)
    assert "create movement kiln-drive" in first.out
    call = VolunteerCall.objects.get(movement__slug="kiln-drive")
    paris = dt.timezone(dt.timedelta(hours=2))
    assert (call.quota, call.at_quota, call.min_age, call.skills) == (
        40,
        "waitlist",
        16,
        ["masonry", "carpentry"],
    )
    assert call.opens_at == dt.datetime(2025, 10, 2, 8, tzinfo=paris)  # the movement's zone
    assert list(call.roles.values_list("code", flat=True)) == ["mason", "helper"]
    place = CallPlace.objects.get(call=call)
    assert (place.unit.code, place.role.code, place.capacity) == ("BT-N", "mason", 10)
    assert _codes(call.movement) == ["placements", "repairs", "signups"]
    _no_change(cli, tmp_path, CALL)
    document = _export_reapplies(cli, tmp_path, "kiln-drive")
    assert document["volunteer_call"]["opens_at"] == "2025-10-02T08:00:00+02:00"
    assert "signups" not in [i["code"] for i in document["indicators"]]


def test_an_enlistment_is_made_with_an_indicator_per_role(cli, units, tmp_path):
    _applied(cli, tmp_path, ENLISTMENT)
    movement = Movement.objects.get(slug="kiln-drive")
    assert movement.enlistment_drive.reporting_kind.code == "workteam"
    roles = EnlistmentRole.objects.filter(drive__movement=movement)
    assert [r.indicator.code for r in roles] == ["builders", "carters"]
    assert _codes(movement) == ["builders", "carters", "repairs"]
    _no_change(cli, tmp_path, ENLISTMENT)
    document = _export_reapplies(cli, tmp_path, "kiln-drive")
    assert document["enlistment"] == {
        "reporting_kind": "workteam",
        "roles": [{"code": "builders", "name": "Builders"}, {"code": "carters", "name": "Carters"}],
    }
    assert [i["code"] for i in document["indicators"]] == ["repairs"]


def test_the_export_recreates_the_drive_once_in_a_fresh_database(cli, units, tmp_path):
    _applied(cli, tmp_path, ENLISTMENT)
    exported = export_movement(Movement.objects.get(slug="kiln-drive"))
    # The same movement under another slug is made anew: each indicator once, by the drive.
    _applied(cli, tmp_path, exported.replace("slug: kiln-drive", "slug: kiln-again"))
    again = Movement.objects.get(slug="kiln-again")
    assert _codes(again) == ["builders", "carters", "repairs"]
    assert again.enlistment_drive.roles.count() == 2


def test_a_drive_added_to_a_draft_movement_is_a_change(cli, units, tmp_path):
    _applied(cli, tmp_path, HEAD)
    outcome = _applied(cli, tmp_path, CALL)
    assert "add volunteer call to kiln-drive" in outcome.out
    assert VolunteerCall.objects.filter(movement__slug="kiln-drive").exists()


def test_a_drive_cannot_be_added_once_launched(cli, units, tmp_path):
    _applied(cli, tmp_path, HEAD + "    launch: true\n")
    outcome = _apply(cli, tmp_path, CALL + "    launch: true\n")
    assert outcome.code == 1 and "movements[1].volunteer_call" in outcome.out
    assert "while its movement is a draft" in outcome.out


def test_a_changed_quota_is_refused_by_its_place(cli, units, tmp_path):
    _applied(cli, tmp_path, CALL)
    outcome = _apply(cli, tmp_path, CALL.replace("quota: 40", "quota: 50"))
    assert outcome.code == 1 and "nothing was changed" in outcome.err
    assert "movements[1].volunteer_call.quota" in outcome.out
    assert "a drive cannot change once created (quota 40 → 50)" in outcome.out
    assert VolunteerCall.objects.get().quota == 40


@pytest.mark.parametrize(
    ("before", "after", "place"),
    [
        ("at_quota: waitlist\n", "at_quota: waitlist\n      colour: red\n", "colour"),
        ("name: Helper}", "name: Helper, colour: red}", "roles[2].colour"),
    ],
)
def test_an_unknown_field_of_a_volunteer_call_is_named(cli, units, tmp_path, before, after, place):
    outcome = _apply(cli, tmp_path, CALL.replace(before, after))
    assert outcome.code == 1 and "unknown field" in outcome.out
    assert f"movements[1].volunteer_call.{place}" in outcome.out
    assert not Movement.objects.exists()


def test_a_refused_role_is_named_by_its_row(cli, units, tmp_path):
    outcome = _apply(cli, tmp_path, CALL.replace("{code: helper,", "{code: mason,"))
    assert outcome.code == 1, outcome.out
    assert "movements[1].volunteer_call.roles[2].code" in outcome.out
    assert not Movement.objects.exists()
