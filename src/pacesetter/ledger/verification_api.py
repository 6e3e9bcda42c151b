"""The verification API: a verifier's queue, decisions on reports, and a report's
verification state with its history. Decisions go through `ledger.verification.decide`,
as from the queue page and `pacesetter import-verifications`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from pacesetter.accounts.permissions import Capability, current_actor
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.api import indicator_for_field, movement_or_404
from pacesetter.units.api import unit_for_field

from .api import _report_or_404
from .models import Report, VerificationDecision
from .schemas import DecisionIn, DecisionOut, QueueFiltersIn, QueueOut, VerificationOut
from .verification import decide
from .verification_selectors import (
    QUEUE_PAGE,
    QueueItem,
    queue_filter,
    verification_queue,
    verifications_of,
)

router = Router(tags=["verification"])


def _decision_out(decision: VerificationDecision) -> dict:
    return {
        "id": decision.pk,
        "report": decision.report_id,
        "decision": decision.decision,
        "reason": decision.reason,
        "correction": decision.correction_id,
        "sampled": decision.sampled,
        "decided_by": decision.decided_by.get_username(),
        "decided_at": decision.decided_at,
    }


def _item_out(item: QueueItem) -> dict:
    report = item.report
    return {
        "report": report.pk,
        "unit": report.unit.code,
        "indicator": report.indicator.code,
        "day": report.day,
        "quantity": item.quantity,
        "effective": item.effective,
        "corrections": item.corrections,
        "flags": [{"kind": flag.kind, "reason": flag.reason} for flag in item.flags],
        "sampled": item.sampled,
    }


@router.get("/movements/{slug}/verification/queue", response={200: QueueOut, **READ_REFUSALS})
def get_queue(
    request: HttpRequest,
    slug: str,
    filters: Query[QueueFiltersIn],
    limit: int = Query(QUEUE_PAGE, ge=1, le=200),
):
    """The reports to verify in the caller's subtrees (or one unit's): flagged ones no one has
    decided first, newest first, then a sample of the others at the movement's rate. 403
    for a caller who may verify nowhere in the movement."""
    movement = movement_or_404(slug)
    actor = current_actor()
    unit = (
        unit_for_field(filters.unit, field="unit", capability=Capability.VERIFY)
        if filters.unit
        else None
    )
    where = queue_filter(actor, movement, unit)
    indicator = indicator_for_field(movement, filters.indicator) if filters.indicator else None
    queue = verification_queue(movement=movement, where=where, indicator=indicator, limit=limit)
    return {
        "flagged_waiting": queue.flagged_waiting,
        "results": [_item_out(item) for item in queue.items],
    }


@router.post("/reports/{report_id}/verification", response={201: DecisionOut, **WRITE_REFUSALS})
def post_decision(request: HttpRequest, report_id: int, payload: DecisionIn):
    """Confirm, correct (to `quantity`, with a reason) or reject (a correction to 0, with a
    reason) an original report. 201 with the decision; 422 for a correction's id (decide on
    its original), a missing reason or value; 403 without VERIFY on the report's unit."""
    report = _report_or_404(report_id, Capability.VERIFY)
    made = decide(
        report=report,
        decision=payload.decision,
        quantity=payload.quantity,
        reason=payload.reason,
        source=Report.Source.API,
    )
    return Status(201, _decision_out(made))


@router.get("/reports/{report_id}/verification", response={200: VerificationOut, **READ_REFUSALS})
def get_verification(request: HttpRequest, report_id: int):
    """A report's verification state and every decision on it. For a correction: its
    original's (a decision is always on the original)."""
    report = _report_or_404(report_id, Capability.VIEW)
    root_id = report.corrects_id or report.pk
    stored = (
        report.verification
        if report.corrects_id is None
        else Report.objects.filter(pk=root_id).values_list("verification", flat=True).get()
    )
    verification = verifications_of([(root_id, stored)])[root_id]
    return {
        "report": root_id,
        "state": verification.state,
        "verified": verification.verified,
        "decisions": [_decision_out(d) for d in verification.decisions],
    }
