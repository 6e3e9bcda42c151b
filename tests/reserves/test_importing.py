"""`pacesetter import-reserves FILE`: every row checked first, then each reserve taken to its
status through the lifecycle actions, all rows or none; a second run changes nothing."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from pacesetter.audit.models import AuditEvent
from pacesetter.core import facts as core_facts
from pacesetter.ledger.models import Report
from pacesetter.movements.selectors import movement_today
from pacesetter.reserves import domain, importing
from pacesetter.reserves.models import Reserve, ReserveCount, ReserveEvent, ReserveTotal, Status
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


# Dated rows: paper records imported long after their days.
DAYS = ["proposed_on", "reviewed_on", "accepted_on", "implemented_on", "verified_on"]
DAYS += ["declined_on"]
DATED = [*HEADER, "movement", *DAYS]
NOON = dt.time(12)


@pytest.fixture
def housing(units):
    """A movement in Pyongyang's time zone (UTC+9) since 2020, counting the verified steel
    saved toward its flats (1 t = 0.05 flats)."""
    from pacesetter.movements import actions as movement_actions
    from pacesetter.reserves import actions

    created = movement_actions.create_movement(
        title="Housing",
        slug="housing",
        organiser=units["KP"],
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date.today() + dt.timedelta(days=300),
        time_zone="Asia/Pyongyang",
    )
    flats = movement_actions.add_indicator(
        movement=created, code="flats", name="Flats", unit_of_measure="flats"
    )
    movement = movement_actions.launch_movement(movement=created)
    actions.link_reserves(
        movement=movement, kind="material", measure="t of steel", indicator=flats, factor="0.05"
    )
    return movement


def dated(
    key,
    status,
    *,
    unit="W1",
    member="M-1",
    kind="material",
    measure="t of steel",
    verified="",
    reason="",
    movement="housing",
    **days,
):
    cells = [key, unit, member, kind, f"Row {key}", "100", measure, status, verified, "", reason]
    return [*cells, movement, *(days.get(column, "") for column in DAYS)]


def noon(day: str, zone="Asia/Pyongyang") -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), NOON, tzinfo=ZoneInfo(zone))


def test_each_step_of_a_dated_row_is_recorded_on_its_day(cli, units, kim, housing, tmp_path):
    rows = [
        DATED,
        # accepted_on left out: the acceptance takes the day of the next dated step.
        dated(
            "d1",
            "verified",
            verified="120",
            proposed_on="2020-03-01",
            implemented_on="2020-03-10",
            verified_on="2020-04-01",
        ),
        dated(
            "d2", "declined", reason="no rails", proposed_on="2020-05-14", declined_on="2020-06-02"
        ),
        # Not linked: a day before the movement began is the body's own affair.
        dated("d3", "proposed", kind="time", measure="hours", proposed_on="2019-12-30"),
        # No movement: noon in the site's time zone (UTC).
        dated("d4", "accepted", movement="", accepted_on="2021-02-03"),
        dated("d5", "verified", verified="20"),  # no dates: the time of the import
    ]
    before = timezone.now()
    done = cli("import_reserves", str(write_csv(tmp_path / "paper.csv", rows)))
    assert done.code == 0, done.out + done.err
    by_key = {r.import_key: r for r in Reserve.objects.all()}
    steps = {k: [(e.to_status, e.at) for e in r.events.all()] for k, r in by_key.items()}
    assert steps["d1"] == [
        ("proposed", noon("2020-03-01")),
        ("accepted", noon("2020-03-10")),
        ("implemented", noon("2020-03-10")),
        ("verified", noon("2020-04-01")),
    ]
    assert steps["d2"] == [("proposed", noon("2020-05-14")), ("declined", noon("2020-06-02"))]
    assert steps["d3"] == [("proposed", noon("2019-12-30"))]
    assert steps["d4"] == [
        ("proposed", noon("2021-02-03", "UTC")),
        ("accepted", noon("2021-02-03", "UTC")),
    ]
    assert all(before <= at <= timezone.now() for _, at in steps["d5"])
    d1 = by_key["d1"]
    assert (d1.proposed_at, d1.verified_at) == (noon("2020-03-01"), noon("2020-04-01"))
    # The linked report lands on the verified day (in Pyongyang); d5's on today.
    reports = {
        r.idempotency_key.rsplit(":", 1)[1]: r
        for r in Report.objects.filter(source=Report.Source.RESERVE)
    }
    assert reports[str(d1.pk)].day == dt.date(2020, 4, 1)
    assert reports[str(d1.pk)].quantity_minor == 6
    assert reports[str(by_key["d5"].pk)].day == movement_today(housing)
    assert ReserveCount.objects.get(reserve=d1).day == dt.date(2020, 4, 1)
    # The title fact is an initiative of 2020, not of the year of the import.
    found = core_facts.recognised_initiatives(
        member_ids=[kim.pk],
        unit_ids=[],
        scope_path=None,
        first=dt.date(2020, 1, 1),
        last=dt.date(2020, 12, 31),
    )
    assert [(f.label.split()[2], f.recognised_on) for f in found] == [
        (str(d1.pk), dt.date(2020, 4, 1))
    ]
    events = ReserveEvent.objects.count()
    again = cli("import_reserves", str(write_csv(tmp_path / "paper.csv", rows)))
    assert again.code == 0, again.out + again.err
    assert ReserveEvent.objects.count() == events and Reserve.objects.count() == 5
    assert Report.objects.filter(source=Report.Source.RESERVE).count() == 2
    assert "unchanged" in again.out


def test_every_bad_day_is_named_by_row_and_column_and_nothing_is_recorded(
    cli, units, kim, housing, tmp_path
):
    tomorrow = str(movement_today(housing) + dt.timedelta(days=1))
    rows = [
        DATED,
        dated("ok", "verified", verified="20", proposed_on="2020-03-01", verified_on="2020-04-01"),
        dated("b1", "proposed", proposed_on="1958-13-01"),
        dated("b2", "verified", verified="10", proposed_on="2020-03-01", verified_on=tomorrow),
        dated(
            "b3",
            "verified",
            verified="10",
            proposed_on="2020-05-01",
            implemented_on="2020-04-01",
            verified_on="2020-06-01",
        ),
        dated("b4", "accepted", proposed_on="2020-03-01", verified_on="2020-04-01"),
        dated("b5", "verified", verified="10", proposed_on="2020-03-01"),
        dated("b6", "verified", verified="10", proposed_on="2019-11-01", verified_on="2019-12-31"),
        dated(
            "b7",
            "declined",
            reason="no",
            proposed_on="2020-03-01",
            accepted_on="2020-03-02",
            declined_on="2020-03-03",
        ),
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    said = importing.read(path).errors
    errors = {(e.row, e.field): e.message for e in said}
    assert len(errors) == len(said)  # one message a field
    expected = {
        (3, "proposed_on"): "'1958-13-01' is not a date",
        (4, "verified_on"): f"{tomorrow} is in the future (today is",
        (5, "implemented_on"): "2020-04-01 is before proposed_on 2020-05-01",
        (6, "verified_on"): "a reserve taken to accepted is never verified",
        (6, "accepted_on"): "required when the row gives the day of another step",
        (7, "verified_on"): "required when the row gives the day of another step",
        (8, "verified_on"): "2019-12-31 is outside housing (2020-01-01 to",
        (9, "accepted_on"): "a reserve taken to declined is never accepted",
    }
    assert set(errors) == set(expected)
    for where, fragment in expected.items():
        assert fragment in errors[where], (where, errors[where])
    assert "Flats" in errors[(8, "verified_on")]
    done = cli("import_reserves", str(path))
    assert done.code != 0 and "7 of 8 rows are not valid" in done.err
    assert not Reserve.objects.exists() and not Report.objects.exists()


def test_a_later_file_dates_the_steps_it_takes_on_never_before_the_last(
    cli, units, kim, housing, tmp_path
):
    first = [DATED, dated("r", "accepted", proposed_on="2020-03-01", accepted_on="2020-03-05")]
    assert cli("import_reserves", str(write_csv(tmp_path / "a.csv", first))).code == 0
    later = [
        DATED,
        dated(
            "r",
            "verified",
            verified="40",
            proposed_on="2020-03-01",
            accepted_on="2020-03-05",
            verified_on="2020-07-01",
        ),
    ]
    assert cli("import_reserves", str(write_csv(tmp_path / "b.csv", later))).code == 0
    reserve = Reserve.objects.get()
    assert [(e.to_status, e.at) for e in reserve.events.all()] == [
        ("proposed", noon("2020-03-01")),
        ("accepted", noon("2020-03-05")),
        ("implemented", noon("2020-07-01")),
        ("verified", noon("2020-07-01")),
    ]
    assert Report.objects.get(source=Report.Source.RESERVE).day == dt.date(2020, 7, 1)
    # A reserve proposed now (undated) cannot be accepted on a day before that.
    undated = [DATED, dated("s", "proposed")]
    assert cli("import_reserves", str(write_csv(tmp_path / "c.csv", undated))).code == 0
    back = [DATED, dated("s", "accepted", proposed_on="2020-03-01", accepted_on="2020-03-05")]
    path = write_csv(tmp_path / "d.csv", back)
    outcome = importing.read(path)
    with transaction.atomic():
        importing.record(outcome)
    assert [(e.row, e.field) for e in outcome.errors] == [(2, "accepted_on")]
    assert "before the reserve's last step" in outcome.errors[0].message
    assert Reserve.objects.get(import_key="s").status == Status.PROPOSED


def test_dating_a_step_needs_the_right_to_take_it(cli, units, kim, housing, tmp_path):
    """A member dates the proposal they may make; the head of W1 plans but does not verify,
    with or without a date."""
    from pacesetter.accounts.models import Grant, Role
    from pacesetter.accounts.permissions import acting_as, actor_for
    from tests import factories

    member = factories.UserFactory(username="member")
    Grant.objects.create(user=member, role=Role.MEMBER, unit=units["W1"])
    head = factories.UserFactory(username="head")
    Grant.objects.create(user=head, role=Role.UNIT_HEAD, unit=units["W1"])
    proposal = [DATED, dated("p", "proposed", proposed_on="2020-03-01")]
    implementation = [
        DATED,
        dated("v", "implemented", proposed_on="2020-03-01", implemented_on="2020-03-20"),
    ]
    verification = [
        DATED,
        dated("v", "verified", verified="20", proposed_on="2020-03-01", verified_on="2020-04-01"),
    ]
    with acting_as(actor_for(member)):
        proposed = cli("import_reserves", str(write_csv(tmp_path / "p.csv", proposal)))
        not_planned = cli("import_reserves", str(write_csv(tmp_path / "i.csv", implementation)))
    with acting_as(actor_for(head)):
        implemented = cli("import_reserves", str(write_csv(tmp_path / "j.csv", implementation)))
        not_verified = cli("import_reserves", str(write_csv(tmp_path / "v.csv", verification)))
    assert proposed.code == 0, proposed.out + proposed.err
    assert Reserve.objects.get(import_key="p").proposed_at == noon("2020-03-01")
    assert not_planned.code != 0 and "may not plan" in not_planned.out
    assert implemented.code == 0, implemented.out + implemented.err
    assert not_verified.code != 0 and "may not verify" in not_verified.out
    reserve = Reserve.objects.get(import_key="v")
    assert reserve.status == Status.IMPLEMENTED and reserve.verified_at is None


def test_the_days_of_the_steps_from_the_days_a_row_gives():
    path = ("propose", "accept", "implement", "verify")
    days, problems = domain.step_days(
        "verified", path, {"propose": dt.date(1958, 1, 2), "verify": dt.date(1958, 6, 30)}
    )
    assert problems == []
    assert days == {
        "propose": dt.date(1958, 1, 2),
        "accept": dt.date(1958, 6, 30),
        "implement": dt.date(1958, 6, 30),
        "verify": dt.date(1958, 6, 30),
    }
    assert domain.step_days("verified", path, {}) == ({}, [])
    same = {verb: dt.date(1958, 1, 2) for verb in path}
    assert domain.step_days("verified", path, same) == (same, [])
