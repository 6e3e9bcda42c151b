"""`pacesetter import-reserves FILE`: every row checked first, then each reserve taken to its
status through the lifecycle actions, all rows or none; a second run changes nothing."""

from decimal import Decimal

import pytest

from pacesetter.audit.models import AuditEvent
from pacesetter.reserves.models import Reserve, ReserveTotal, Status
from pacesetter.units.actions import create_member
from tests.cli.conftest import run, write_csv, write_xlsx

HEADER = ["key", "unit", "member", "kind", "description", "estimated", "measure", "status"]
HEADER += ["verified", "scope", "reason"]
ROWS = [
    ["r1", "W1", "M-1", "material", "Offcuts", "12.5", "t of cement", "verified", "10", "", ""],
    ["r2", "W1", "M-1", "time", "Handover", "3", "hours", "verified", "2", "grassroots", ""],
    ["r3", "W2", "", "energy", "Lights", "40", "kWh", "implemented", "", "", ""],
    ["r4", "W2", "", "money", "Scrap sold", "100.50", "KPW", "declined", "", "", "sold already"],
    ["r5", "C1", "", "time", "Shorter route", "1", "hours", "", "", "", ""],
]


@pytest.fixture
def cli():
    return run


@pytest.fixture
def kim(units):
    return create_member(unit=units["W1"], full_name="Kim Je Won", external_id="M-1")


def test_rows_reach_their_status_through_the_actions_and_a_rerun_changes_nothing(
    cli, units, kim, tmp_path
):
    path = write_csv(tmp_path / "reserves.csv", [HEADER, *ROWS])
    done = cli("import_reserves", str(path))
    assert done.code == 0, done.out + done.err
    by_key = {r.import_key: r for r in Reserve.objects.all()}
    assert {k: r.status for k, r in by_key.items()} == {
        "r1": Status.VERIFIED,
        "r2": Status.VERIFIED,
        "r3": Status.IMPLEMENTED,
        "r4": Status.DECLINED,
        "r5": Status.PROPOSED,
    }
    assert by_key["r1"].verified == Decimal("10") and by_key["r2"].recognised_scope == "grassroots"
    assert by_key["r4"].events.last().note == "sold already"
    kp = ReserveTotal.objects.get(unit=units["KP"], measure="")
    assert (kp.members_verified, kp.members_repeat) == (1, 1)
    assert AuditEvent.objects.filter(action="reserves.verify_reserve").count() == 2
    events = ReserveTotal.objects.order_by("pk").values_list("verified_saving", flat=True)
    before = list(events)
    again = cli("import_reserves", str(path))
    assert again.code == 0, again.out + again.err
    assert Reserve.objects.count() == 5 and list(events) == before
    assert "unchanged" in again.out


def test_a_rerun_takes_a_reserve_on_from_where_it_stands(cli, units, kim, tmp_path):
    first = [HEADER, ["r3", "W2", "", "energy", "Lights", "40", "kWh", "accepted", "", "", ""]]
    assert cli("import_reserves", str(write_csv(tmp_path / "a.csv", first))).code == 0
    later = [HEADER, ["r3", "W2", "", "energy", "Lights", "40", "kWh", "verified", "35", "", ""]]
    assert cli("import_reserves", str(write_xlsx(tmp_path / "b.xlsx", later))).code == 0
    reserve = Reserve.objects.get()
    assert (reserve.status, reserve.verified) == (Status.VERIFIED, Decimal("35"))
    back = [HEADER, ["r3", "W2", "", "energy", "Lights", "40", "kWh", "accepted", "", "", ""]]
    refused = cli("import_reserves", str(write_csv(tmp_path / "c.csv", back)))
    assert refused.code != 0 and "verified already" in refused.out


def test_every_bad_row_is_named_and_nothing_is_recorded(cli, units, kim, tmp_path):
    bad = [
        HEADER,
        ROWS[0],
        ["b1", "NOPE", "", "material", "x", "1", "t", "", "", "", ""],
        ["b2", "W1", "", "steel", "x", "1", "t", "", "", "", ""],
        ["b3", "W1", "", "money", "x", "1.234", "won", "", "", "", ""],
        ["b4", "W1", "", "time", "x", "1", "hours", "verified", "", "", ""],
        ["b5", "W1", "", "time", "x", "1", "hours", "declined", "", "", ""],
        ["b6", "W2", "M-1", "time", "x", "1", "hours", "done", "", "", ""],
        ["r1", "W1", "", "time", "again", "1", "hours", "", "", "", ""],
    ]
    done = cli("import_reserves", str(write_csv(tmp_path / "bad.csv", bad)))
    assert done.code != 0
    for fragment in (
        "no unit 'NOPE'",
        "one of material",
        "currency code",
        "at most 2 decimal places",
        "the verified saving is required",
        "a reason is required",
        "not a member of this unit",
        "one of proposed",
        "the same reserve as row 2",
        "7 of 8 rows are not valid",  # row 2 is good: rolled back all the same
    ):
        assert fragment in done.out + done.err, fragment
    assert not Reserve.objects.exists() and not ReserveTotal.objects.exists()


def test_a_refusal_by_an_action_names_the_row_and_rolls_everything_back(cli, units, kim, tmp_path):
    from pacesetter.accounts.models import Grant, Role
    from pacesetter.accounts.permissions import acting_as, actor_for
    from tests import factories

    head = factories.UserFactory(username="head")
    Grant.objects.create(user=head, role=Role.UNIT_HEAD, unit=units["W1"])
    rows = [HEADER, ROWS[2], ROWS[0]]  # r3 (W2: not the head's), r1 (verify: no right)
    with acting_as(actor_for(head)):
        done = cli("import_reserves", str(write_csv(tmp_path / "x.csv", rows)))
    assert done.code != 0
    assert "no unit 'W2'" in done.out  # the head of W1 does not see W2
    assert "You may not verify here" in done.out or "may not verify" in done.out
    assert "2 of 2 rows are not valid" in done.err
    assert not Reserve.objects.exists()


def test_a_known_key_with_other_content_is_refused(cli, units, kim, tmp_path):
    assert cli("import_reserves", str(write_csv(tmp_path / "a.csv", [HEADER, ROWS[4]]))).code == 0
    other = [HEADER, ["r5", "C1", "", "energy", "Shorter route", "1", "kWh", "", "", "", ""]]
    done = cli("import_reserves", str(write_csv(tmp_path / "b.csv", other)))
    assert done.code != 0 and "another unit, kind or measure" in done.out
    assert Reserve.objects.get().kind == "time"
