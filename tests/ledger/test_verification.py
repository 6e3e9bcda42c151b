"""Verification decisions: confirm, correct, reject; their refusals; the verified totals they
keep; and the rebuild's agreement with them."""

import datetime as dt

import pytest
from django.http import Http404

from pacesetter.accounts import actions as account_actions
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import NotAllowed, StateError, ValidationFailed
from pacesetter.ledger import aggregates
from pacesetter.ledger.actions import ReportRow, correct_report, record_reports
from pacesetter.ledger.models import (
    DailyTotal,
    Report,
    SubtreePeriodTotal,
    VerificationDecision,
)
from pacesetter.ledger.verification import decide
from pacesetter.ledger.verification_state import in_sample, sample_threshold
from pacesetter.movements import actions as movement_actions
from tests import factories

DAY = dt.date(2025, 3, 10)


def report(movement, unit="W1", quantity="10", indicator="steel", verified=False):
    result = record_reports(
        movement=movement,
        rows=[ReportRow(unit=unit, indicator=indicator, day=DAY, quantity=quantity)],
        source="api",
        verified=verified,
    )
    return Report.objects.select_related("movement", "unit").get(pk=result.report_ids[0])


def totals(movement, code="KP", indicator="steel"):
    whole = movement.periods.get(is_whole=True)
    row = SubtreePeriodTotal.objects.filter(
        unit__code=code, indicator__code=indicator, period=whole
    ).first()
    return (row.quantity_minor, row.verified_minor, row.entries, row.verified_entries)


def test_confirm_counts_the_report_as_verified(movement, user):
    original = report(movement)
    made = decide(report=original, decision="confirm", decided_by=user)
    assert (made.decision, made.correction_id, made.reason) == ("confirmed", None, "")
    assert totals(movement) == (100, 100, 1, 1)
    assert totals(movement, "W1") == (100, 100, 1, 1)
    assert aggregates.rebuild() == []
    event = AuditEvent.objects.filter(action="ledger.decide_verification").get()
    assert event.before == {"state": "unverified"} and event.after["state"] == "confirmed"


def test_correct_files_a_correction_and_counts_its_value_verified(movement, user):
    original = report(movement)
    made = decide(
        report=original, decision="correct", quantity="7.5", reason="recount", decided_by=user
    )
    correction = Report.objects.get(pk=made.correction_id)
    assert (correction.corrects_id, correction.quantity_minor, correction.reason) == (
        original.pk,
        -25,
        "recount",
    )
    assert made.decision == "corrected"
    assert totals(movement) == (75, 75, 1, 1)
    assert aggregates.rebuild() == []


def test_reject_is_a_correction_to_zero(movement, user):
    original = report(movement, verified=True)
    assert totals(movement) == (100, 100, 1, 1)
    made = decide(report=original, decision="reject", reason="never happened", decided_by=user)
    assert Report.objects.get(pk=made.correction_id).quantity_minor == -100
    assert totals(movement) == (0, 0, 0, 0)
    assert aggregates.rebuild() == []
    # Confirmed again after all: verified, at the value it has now (0, no entry).
    decide(report=original, decision="confirm", decided_by=user)
    assert totals(movement) == (0, 0, 0, 0)
    decide(report=original, decision="correct", quantity="4", reason="found", decided_by=user)
    assert totals(movement) == (40, 40, 1, 1)
    assert aggregates.rebuild() == []


def test_a_later_correction_of_a_verified_report_moves_the_verified_total(movement, user):
    original = report(movement)
    decide(report=original, decision="confirm", decided_by=user)
    correct_report(report=original, quantity="12", reason="late sheet", source="web")
    assert totals(movement) == (120, 120, 1, 1)
    assert aggregates.rebuild() == []
    decide(report=original, decision="reject", reason="inflated", decided_by=user)
    assert totals(movement) == (0, 0, 0, 0)
    # A correction after a rejection counts, but not as verified.
    correct_report(report=original, quantity="3", reason="the true figure", source="web")
    assert totals(movement) == (30, 0, 1, 0)
    assert aggregates.rebuild() == []


def test_latest_level_indicators_follow_too(movement, user):
    original = report(movement, indicator="stock", quantity="50")
    decide(report=original, decision="correct", quantity="40", reason="stocktake", decided_by=user)
    assert totals(movement, indicator="stock") == (40, 40, 1, 1)
    assert aggregates.rebuild() == []


def test_refusals(movement, units, user):
    original = report(movement)
    correction = correct_report(report=original, quantity="9", reason="typo", source="web")
    correction = Report.objects.select_related("movement", "unit").get(pk=correction.pk)
    with pytest.raises(ValidationFailed) as caught:
        decide(report=correction, decision="confirm", decided_by=user)
    assert caught.value.errors[0].code == "not_original"
    with pytest.raises(ValidationFailed) as caught:
        decide(report=original, decision="reject", decided_by=user)
    assert caught.value.errors[0].field == "reason"
    with pytest.raises(ValidationFailed) as caught:
        decide(report=original, decision="correct", reason="x", decided_by=user)
    assert caught.value.errors[0].field == "quantity"
    with pytest.raises(ValidationFailed) as caught:
        decide(report=original, decision="correct", quantity="9", reason="x", decided_by=user)
    assert caught.value.errors[0].code == "no_change"
    with pytest.raises(ValidationFailed):
        decide(report=original, decision="maybe", decided_by=user)
    assert not VerificationDecision.objects.exists()


def test_only_a_verifier_of_the_subtree_decides(movement, units, user):
    original = report(movement, unit="W1")
    elsewhere = report(movement, unit="W4")
    verifier = factories.UserFactory(username="vera")
    account_actions.grant_role(user=verifier, role="verifier", unit=units["C1"], movement=movement)
    reporter = factories.UserFactory(username="rita")
    account_actions.grant_role(user=reporter, role="reporter", unit=units["KP"], movement=movement)
    with acting_as(actor_for(verifier)):
        made = decide(report=original, decision="confirm")
        assert made.decided_by == verifier
        with pytest.raises(Http404):
            decide(report=elsewhere, decision="confirm")
    with acting_as(actor_for(reporter)), pytest.raises(NotAllowed):
        decide(report=elsewhere, decision="confirm")


def test_closed_movement_is_not_verified(movement, user):
    original = report(movement)
    movement_actions.close_movement(movement=movement)
    original.movement.refresh_from_db()
    with pytest.raises(StateError):
        decide(report=original, decision="confirm", decided_by=user)


def test_the_sample_is_stable_and_near_its_rate():
    from decimal import Decimal

    drawn = [pk for pk in range(1, 20001) if in_sample(pk, Decimal("2.00"))]
    assert 350 <= len(drawn) <= 450
    assert drawn == [pk for pk in range(1, 20001) if in_sample(pk, Decimal("2"))]
    assert sample_threshold(Decimal(0)) == 0
    assert all(in_sample(pk, Decimal(100)) for pk in range(1, 100))


def test_daily_totals_of_the_unit_follow(movement, user):
    original = report(movement)
    decide(report=original, decision="confirm", decided_by=user)
    row = DailyTotal.objects.get(unit__code="W1", indicator__code="steel", day=DAY)
    assert (row.verified_minor, row.verified_entries) == (100, 1)
