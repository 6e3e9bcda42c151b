"""Verification decisions: a verifier confirms, corrects or rejects a report.

`decide` is the one write path for them — the queue page, the API and
`pacesetter import-verifications` all call it. A decision is an append-only row beside the
ledger (`VerificationDecision`), always on the original report (the root of its
corrections); a correction or a rejection also files a correction in the ledger through the
ingest (`record_reports`), so every figure stays traceable to reports. The verified totals
of the aggregates follow the report's new state in the same transaction (see
`verification_state` for what they mean).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, ValidationFailed
from pacesetter.core.locks import pair_locks, tree_lock
from pacesetter.movements.models import Movement

from . import aggregates, signals
from .actions import ReportRow, record_reports
from .frame import frame_of
from .models import Report, ReportFlag, VerificationDecision
from .verification_state import in_sample, is_verified_state, latest_decisions

Decision = VerificationDecision.Decision
# What a person or a file may write for each decision.
DECISION_WORDS = {
    "confirm": Decision.CONFIRMED,
    "confirmed": Decision.CONFIRMED,
    "correct": Decision.CORRECTED,
    "corrected": Decision.CORRECTED,
    "reject": Decision.REJECTED,
    "rejected": Decision.REJECTED,
}


def decision_of(word: str) -> str:
    found = DECISION_WORDS.get((word or "").strip().lower())
    if found is None:
        raise ValidationFailed(
            _("Unknown decision %(word)r.") % {"word": word},
            errors=[RowError(1, "decision", _("confirm, correct or reject"), "invalid")],
        )
    return found


def _current(root: Report) -> tuple[int, bool]:
    """The root's effective value and whether it counts as an entry (not once corrections
    brought it to 0): one query."""
    found = Report.objects.filter(corrects_id=root.pk).aggregate(
        total=Sum("quantity_minor"), count=Count("id")
    )
    effective = root.quantity_minor + int(found["total"] or 0)
    return effective, not found["count"] or effective != 0


@audited("ledger.decide_verification")
def decide(
    *,
    report: Report,
    decision: str,
    reason: str = "",
    quantity: Decimal | str | int | None = None,
    source: str = Report.Source.WEB,
    decided_by=None,
) -> VerificationDecision:
    """Record a verifier's decision on an original report.

    Guarantees: the actor may VERIFY on the report's unit (else 404 or 403); the report is
    an original, not a correction (decide on the original, which its corrections amend); a
    correction or rejection has a reason; a correction gives the value the report should
    have, which must differ from its present value (else confirm it). `corrected` files a
    correction to that value and `rejected` a correction to 0 (none when it already counts
    0), marked verified, through the ingest; the decision keeps the correction's id. The
    verified quantities and entries of the aggregates change, in the same transaction, by
    the report's effective value as its state turns verified (confirmed, corrected) or not
    (rejected). The movement must be launched.
    """
    movement: Movement = report.movement
    note(movement=movement, unit=report.unit)
    actor = current_actor()
    decided_by = decided_by or actor.user
    decision = decision_of(decision)
    reason = (reason or "").strip()
    if report.corrects_id is not None:
        raise ValidationFailed(
            _("Report %(report)s is a correction of report %(root)s: decide on report %(root)s.")
            % {"report": report.pk, "root": report.corrects_id},
            errors=[RowError(1, "report", _("decide on the original report"), "not_original")],
        )
    require(actor, Capability.VERIFY, report.unit, movement)
    if movement.status != Movement.Status.LAUNCHED:
        raise StateError(
            _("%(movement)s is %(status)s: its reports are verified only while it is launched.")
            % {"movement": movement.title, "status": movement.get_status_display().lower()}
        )
    if decided_by is None:
        raise ValidationFailed(_("A decision is made by a person: act as one (--as USER)."))
    if decision != Decision.CONFIRMED and not reason:
        raise ValidationFailed(
            _("Say why the report is corrected or rejected."),
            errors=[RowError(1, "reason", _("a reason is required"), "required")],
        )
    if decision == Decision.CORRECTED and (quantity is None or str(quantity).strip() == ""):
        raise ValidationFailed(
            _("Give the value the report should have."),
            errors=[RowError(1, "quantity", _("the corrected value is required"), "required")],
        )
    # The ingest's order of locks: the tree shared, then the pair; two decisions on one
    # report take turns, so each reads the state the other left.
    tree_lock(exclusive=False)
    pair_locks([(report.unit_id, report.indicator_id)])
    before = latest_decisions([report.pk]).get(report.pk, report.verification)
    was_verified = is_verified_state(before)
    note(before={"state": before})

    correction_id = None
    target = {Decision.CORRECTED: quantity, Decision.REJECTED: 0}.get(decision)
    effective, counted = _current(report)
    if target is not None and not (decision == Decision.REJECTED and effective == 0):
        try:
            result = record_reports(
                movement=movement,
                rows=[
                    ReportRow(
                        corrects=report.pk,
                        quantity=target,
                        reason=reason,
                        idempotency_key=f"verification:{uuid.uuid4().hex}",
                    )
                ],
                source=source,
                entered_by=decided_by,
                verified=True,
            )
        except ValidationFailed as exc:
            if any(error.code == "no_change" for error in exc.errors):
                raise ValidationFailed(
                    _("The report already has this value: confirm it instead."),
                    errors=[
                        RowError(1, "quantity", _("the report already has this value"), "no_change")
                    ],
                ) from None
            raise
        correction_id = result.report_ids[0]
        effective, counted = _current(report)

    now_verified = decision in (Decision.CONFIRMED, Decision.CORRECTED)
    if now_verified != was_verified:
        sign = 1 if now_verified else -1
        aggregates.apply_own_deltas(
            {
                (report.unit_id, report.indicator_id, report.day): [
                    0,
                    sign * effective,
                    0,
                    sign * int(counted),
                ]
            },
            unit_paths={report.unit_id: report.unit.path},
            shapes=frame_of(movement).shapes({report.indicator_id}),
        )
    flagged = ReportFlag.objects.filter(report_id=report.pk).exists()
    made = VerificationDecision.objects.create(
        movement=movement,
        report_id=report.pk,
        unit_id=report.unit_id,
        indicator_id=report.indicator_id,
        day=report.day,
        decision=decision,
        reason=reason,
        correction_id=correction_id,
        sampled=not flagged and in_sample(report.pk, movement.verification_sample_percent),
        decided_by=decided_by,
        decided_at=timezone.now(),
    )
    note(after={"state": decision, "effective_minor": effective, "correction": correction_id})
    signals.verification_decided.send(sender=VerificationDecision, movement=movement, decision=made)
    return made
