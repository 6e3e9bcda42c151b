"""The drive imports (`import-donations`, `import-signups`, `import-placements`,
`import-enlistment`) and `import-members`: every row checked first, all or nothing, errors by
file row, a duplicate row naming both rows, reruns counting nothing twice, --dry-run."""

import datetime as dt
import gzip
import re

from pacesetter.drives.models import DonationEntry, EnlistmentReturn, SignUp
from pacesetter.ledger.models import Report
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Member
from tests.cli.conftest import run, write_csv, write_xlsx

GIFTS = [
    ["item", "stage", "unit", "quantity", "day", "donor_unit"],
    ["rice", "received", "W1", "30", "today", ""],
    ["rice", "received", "W2", "12", "today-1", "C2"],
]


def test_donations_are_recorded_once(donation_drive, tmp_path):
    path = write_csv(tmp_path / "gifts.csv", GIFTS)
    first = run("import_donations", str(path), "--movement", "rice")
    assert first.code == 0, first.err
    entries = DonationEntry.objects.filter(drive=donation_drive)
    today = movement_today(donation_drive.movement)
    assert sorted((e.unit.code, e.quantity_minor, e.day) for e in entries) == [
        ("W1", 30, today),
        ("W2", 12, today.fromordinal(today.toordinal() - 1)),
    ]
    again = run("import_donations", str(path), "--movement", "rice")
    assert again.code == 0 and "replayed" in again.out
    assert entries.count() == 2


def test_a_compressed_file_reads_like_the_plain_one(donation_drive, tmp_path):
    plain = write_csv(tmp_path / "gifts.csv", GIFTS)
    packed = tmp_path / "gifts.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert run("import_donations", str(packed), "--movement", "rice").code == 0
    assert DonationEntry.objects.filter(drive=donation_drive).count() == 2
    # The same rows from the other file are the same gifts.
    assert run("import_donations", str(plain), "--movement", "rice").code == 0
    assert DonationEntry.objects.filter(drive=donation_drive).count() == 2


def test_a_workbook_reads_like_the_csv(donation_drive, tmp_path):
    path = write_xlsx(tmp_path / "gifts.xlsx", GIFTS)
    assert run("import_donations", str(path), "--movement", "rice").code == 0
    assert DonationEntry.objects.filter(drive=donation_drive).count() == 2


def test_donation_row_errors_record_nothing(donation_drive, tmp_path):
    path = write_csv(
        tmp_path / "gifts.csv",
        [
            *GIFTS,
            ["beans", "received", "W1", "3", "", ""],
            ["rice", "received", "W1", "-1", "", ""],
        ],
    )
    result = run("import_donations", str(path), "--movement", "rice")
    assert result.code == 1
    assert "2 of 4 rows are not valid; nothing was recorded" in result.err
    assert "│   4 │ item" in result.out and "│   5 │ quantity" in result.out
    assert not DonationEntry.objects.filter(drive=donation_drive).exists()


def test_a_duplicate_gift_names_both_rows(donation_drive, tmp_path):
    path = write_csv(tmp_path / "gifts.csv", [*GIFTS, GIFTS[1]])
    result = run("import_donations", str(path), "--movement", "rice")
    assert result.code == 1 and "the same gift as row 2" in result.out
    assert "│   4 │" in result.out
    assert not DonationEntry.objects.exists()


def test_dry_run_records_nothing(donation_drive, tmp_path):
    path = write_csv(tmp_path / "gifts.csv", GIFTS)
    result = run("import_donations", str(path), "--movement", "rice", "--dry-run")
    assert result.code == 0 and "Dry run" in result.out and re.search(r"created\s+2", result.out)
    assert not DonationEntry.objects.exists()


SIGNUPS = [
    ["unit", "full_name", "contact", "role", "gender", "signed_up_at", "tally", "idempotency_key"],
    ["W1", "Ri Su Ok", "+850 2 000 0001", "medic", "female", "", "", "form-1"],
    ["W2", "Pak Chol", "pak@example.org", "builder", "male", "today", "", "form-2"],
    ["C3", "", "", "builder", "male", "today", "3", "station-3"],
]


def test_signups_named_and_tallied(call, tmp_path):
    path = write_csv(tmp_path / "signups.csv", SIGNUPS)
    result = run("import_signups", str(path), "--movement", "volunteers")
    assert result.code == 0, result.out + result.err
    signups = SignUp.objects.filter(call=call)
    assert signups.count() == 5
    tallied = signups.filter(unit__code="C3")
    assert tallied.count() == 3 and {s.full_name for s in tallied} == {""}
    assert sorted(tallied.values_list("idempotency_key", flat=True)) == [
        f"station-3:{n}" for n in range(1, 4)
    ]
    # The ledger has them at once (one post after the last batch).
    assert Report.objects.filter(movement=call.movement).exists()
    again = run("import_signups", str(path), "--movement", "volunteers")
    assert again.code == 0 and signups.count() == 5


def test_signup_rows_are_checked_first(call, tmp_path):
    path = write_csv(
        tmp_path / "signups.csv",
        [*SIGNUPS, ["W1", "Kim", "+850 2 000 0009", "medic", "unknown", "", "", "form-9"]],
    )
    result = run("import_signups", str(path), "--movement", "volunteers")
    assert result.code == 1 and "│   5 │ gender" in result.out
    assert not SignUp.objects.exists()


def test_the_same_person_twice_in_a_file_names_both_rows(call, tmp_path):
    path = write_csv(
        tmp_path / "signups.csv",
        [*SIGNUPS, ["W1", "Ri Su Ok", "+85020000001", "medic", "female", "", "", "form-7"]],
    )
    result = run("import_signups", str(path), "--movement", "volunteers")
    assert result.code == 1 and "the same person as row 2" in result.out
    assert not SignUp.objects.exists()


def test_placements_accept_and_place_once(call, tmp_path):
    assert (
        run(
            "import_signups",
            str(write_csv(tmp_path / "s.csv", SIGNUPS)),
            "--movement",
            "volunteers",
        ).code
        == 0
    )
    placements = write_csv(
        tmp_path / "placements.csv",
        [
            ["signup", "place", "role", "day"],
            ["form-2", "C1", "builder", "today"],
            ["station-3:1", "C3", "", ""],
        ],
    )
    result = run("import_placements", str(placements), "--movement", "volunteers")
    assert result.code == 0, result.out + result.err
    call.refresh_from_db()
    assert call.placed_count == 2
    assert SignUp.objects.get(idempotency_key="form-2").place.unit.code == "C1"
    again = run("import_placements", str(placements), "--movement", "volunteers")
    assert again.code == 0 and re.search(r"replayed\s+2", again.out)
    call.refresh_from_db()
    assert call.placed_count == 2


def test_placement_errors_name_the_rows(call, tmp_path):
    run("import_signups", str(write_csv(tmp_path / "s.csv", SIGNUPS)), "--movement", "volunteers")
    placements = write_csv(
        tmp_path / "placements.csv",
        [
            ["signup", "place"],
            ["form-2", "C1"],
            ["nobody", "C1"],
            ["form-2", "C1"],
            ["form-1", "C1"],
        ],
    )
    result = run("import_placements", str(placements), "--movement", "volunteers")
    assert result.code == 1
    assert "no sign-up 'nobody'" in result.out and "the same volunteer as row 2" in result.out
    # Row 5: a medic for a builders' place — the action's refusal, told by the file's row.
    assert not SignUp.objects.filter(status="placed").exists()


def test_enlistment_returns(enlistment, tmp_path):
    path = write_csv(
        tmp_path / "returns.csv",
        [
            ["unit", "day", "medical", "hygiene"],
            ["C1", "today", "4", "10"],
            ["C2", "today-1", "0", "3"],
        ],
    )
    result = run("import_enlistment", str(path), "--movement", "epidemic", "--verified")
    assert result.code == 0, result.out + result.err
    reports = Report.objects.filter(movement=enlistment.movement)
    assert reports.count() == 4 and {r.verification for r in reports} == {"verified"}
    assert EnlistmentReturn.objects.filter(drive=enlistment).count() == 2
    assert run("import_enlistment", str(path), "--movement", "epidemic").code == 0
    assert reports.count() == 4


def test_enlistment_duplicate_day_and_missing_role(enlistment, tmp_path):
    path = write_csv(
        tmp_path / "returns.csv",
        [
            ["unit", "day", "medical", "hygiene"],
            ["C1", "today", "4", "10"],
            ["C1", "today", "5", "10"],
            ["C2", "today", "", "1"],
        ],
    )
    result = run("import_enlistment", str(path), "--movement", "epidemic")
    assert result.code == 1
    assert "row 2 already gives this unit's return for this day" in result.out
    assert "│   4 │ counts" in result.out
    assert not Report.objects.filter(movement=enlistment.movement).exists()


def test_members_import(units, tmp_path):
    path = write_csv(
        tmp_path / "members.csv",
        [["unit", "external_id", "full_name"], ["W1", "M-1", "Kim"], ["W2", "M-2", "Ri"]],
    )
    assert run("import_members", str(path)).code == 0
    assert run("import_members", str(path)).code == 0
    assert Member.objects.count() == 2
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            ["unit", "external_id", "full_name"],
            ["W1", "M-3", "Pak"],
            ["W1", "M-3", "Pak"],
            ["W9", "M-4", "Jo"],
        ],
    )
    result = run("import_members", str(bad))
    assert (
        result.code == 1 and "the same id as row 2" in result.out and "│   4 │ unit" in result.out
    )
    assert Member.objects.count() == 2


def test_setup_file_dates_relative_to_the_day_of_loading(units, tmp_path):
    from django.utils import timezone

    from pacesetter.movements.models import Movement

    path = tmp_path / "live.yaml"
    path.write_text(
        "movements:\n"
        "- {slug: live, title: Live, organiser: KP, starts_on: today-6, ends_on: today+60,\n"
        "   volunteer_call: {quota: 10, opens_at: today-6, closes_at: today+30}}\n"
    )
    result = run("apply", str(path))
    assert result.code == 0, result.out + result.err
    movement = Movement.objects.get(slug="live")
    today = timezone.localdate()
    assert (movement.ends_on - movement.starts_on).days == 66
    assert movement.starts_on == today - dt.timedelta(days=6)
    assert movement.volunteer_call.opens_at.date() <= today


def test_a_visitor_cannot_enter_a_tally(units):
    import pytest

    from pacesetter.accounts.permissions import ANONYMOUS, acting_as
    from pacesetter.core.errors import ValidationFailed
    from pacesetter.drives import actions
    from tests.drives.conftest import make_call

    call = make_call(units, "public-call", quota=100)
    row = actions.SignUpRow(unit="W1", tally=40, idempotency_key="stuffed")
    with acting_as(ANONYMOUS), pytest.raises(ValidationFailed) as refused:
        actions.sign_up(call=call, rows=[row])
    assert [(e.field, e.code) for e in refused.value.errors] == [("tally", "not_permitted")]
    assert not SignUp.objects.exists()
