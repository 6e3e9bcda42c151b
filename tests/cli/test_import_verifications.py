"""`pacesetter import-verifications`: all rows or none, errors by file row, an idempotent
rerun, reports named by id or by key."""

from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.ledger import aggregates
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import SubtreePeriodTotal, VerificationDecision
from tests import factories
from tests.cli.conftest import write_csv

HEADER = ["report", "decision", "quantity", "reason"]


def _kp():
    row = SubtreePeriodTotal.objects.get(
        unit__code="KP", indicator__code="steel", period__is_whole=True
    )
    return row.quantity_minor, row.verified_minor


def _reports(movement):
    return record_reports(
        movement=movement,
        rows=[
            ReportRow(
                unit="W1",
                indicator="steel",
                day="2025-03-10",
                quantity="10",
                idempotency_key="w1-a",
            ),
            ReportRow(
                unit="W2",
                indicator="steel",
                day="2025-03-10",
                quantity="20",
                idempotency_key="w2-a",
            ),
            ReportRow(
                unit="W4",
                indicator="steel",
                day="2025-03-10",
                quantity="30",
                idempotency_key="w4-a",
            ),
        ],
        source="import",
    ).report_ids


def test_decisions_are_recorded_and_a_rerun_changes_nothing(cli, movement, tmp_path):
    ids = _reports(movement)
    path = write_csv(
        tmp_path / "decisions.csv",
        [
            HEADER,
            ["w1-a", "confirm", "", ""],
            [str(ids[1]), "correct", "15", "recounted the sheets"],
            ["w4-a", "reject", "", "no such shift"],
        ],
    )
    user = factories.UserFactory(username="vera", is_superuser=True)
    with acting_as(actor_for(user)):
        first = cli("import_verifications", str(path), "--movement", movement.slug)
        assert first.code == 0, first.err
        assert _kp() == (250, 250)
        assert VerificationDecision.objects.count() == 3
        again = cli("import_verifications", str(path), "--movement", movement.slug)
        assert again.code == 0, again.err
        assert "unchanged" in again.out and VerificationDecision.objects.count() == 3
    assert aggregates.rebuild() == []


def test_any_bad_row_records_nothing(cli, movement, tmp_path):
    ids = _reports(movement)
    path = write_csv(
        tmp_path / "decisions.csv",
        [
            HEADER,
            ["w1-a", "confirm", "", ""],
            ["nope", "confirm", "", ""],
            [str(ids[1]), "reject", "", ""],
            [str(ids[2]), "maybe", "", ""],
            ["w1-a", "confirm", "", ""],
        ],
    )
    user = factories.UserFactory(username="vera", is_superuser=True)
    with acting_as(actor_for(user)):
        outcome = cli("import_verifications", str(path), "--movement", movement.slug)
    assert outcome.code == 1
    assert "4 of 5 rows are not valid" in outcome.err
    for row in ("3", "4", "5", "6"):
        assert f"\n│ {row.rjust(3)} │" in outcome.out or f" {row} " in outcome.out
    assert not VerificationDecision.objects.exists() and _kp() == (600, 0)


def test_a_decision_needs_a_person(cli, movement, tmp_path):
    _reports(movement)
    path = write_csv(tmp_path / "d.csv", [HEADER, ["w1-a", "confirm", "", ""]])
    outcome = cli("import_verifications", str(path), "--movement", movement.slug)
    assert outcome.code == 1 and "person" in outcome.out + outcome.err
