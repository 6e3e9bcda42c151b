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
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pacesetter.accounts.permissions import Capability, can, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import (
    ActionError,
    RowError,
    StateError,
    ValidationFailed,
    raise_for_rows,
)
from pacesetter.core.locks import pair_locks, tree_lock
from pacesetter.core.quantities import QuantityError, parse_quantity, to_minor
from pacesetter.movements.models import Movement

from . import aggregates, signals
from .actions import ReportRow, record_reports
from .domain import scoped_key
from .frame import frame_of
from .models import Report, ReportFlag, VerificationDecision
from .report_selectors import ids_by_key
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
    missing = []
    if decision == Decision.CORRECTED and (quantity is None or str(quantity).strip() == ""):
        missing.append(RowError(1, "quantity", _("the corrected value is required"), "required"))
    if decision != Decision.CONFIRMED and not reason:
        missing.append(RowError(1, "reason", _("a reason is required"), "required"))
    if missing:
        raise ValidationFailed(
            _("Say why, and for a correction the value the report should have."), errors=missing
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


# --- decisions from a file ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerificationRow:
    """One decision as a file gives it: the report by id or by the idempotency key it was
    recorded with, the decision, the value for a correction, the reason."""

    report: str
    decision: str
    quantity: str = ""
    reason: str = ""


@dataclass
class VerificationChanges:
    rows: int = 0
    decided: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0


def _reports_named(movement: Movement, names: list[str]) -> dict[str, Report]:
    """Report by the name a file gives it: its id, or the key it was recorded with by the
    person importing or by the system (two queries)."""
    ids = {name: int(name) for name in names if name.isdigit()}
    keys = [name for name in names if not name.isdigit()]
    actor = current_actor()
    owners = {None, actor.user.pk if actor.user is not None else None}
    scoped = {scoped_key(movement.pk, owner, key): key for key in keys for owner in owners}
    for stored, pk in ids_by_key(list(scoped)).items():
        ids.setdefault(scoped[stored], pk)
    found = {
        report.pk: report
        for report in Report.objects.filter(
            movement=movement, pk__in=set(ids.values())
        ).select_related("movement", "unit", "indicator")
    }
    return {name: found[pk] for name, pk in ids.items() if pk in found}


@audited("ledger.import_verifications")
def apply_verifications(
    *, movement: Movement, rows: list[VerificationRow], source: str = Report.Source.IMPORT
) -> VerificationChanges:
    """Decide on every row's report, all rows or none: every row is checked first (the
    report exists in the movement and is an original, the actor may verify it, the decision,
    its reason and value) and every bad row is listed. A row whose report's latest decision
    already says the same (the same decision, and for a correction the same value) changes
    nothing, so rerunning a file decides nothing twice. Each decision is `decide`'s."""
    note(movement=movement)
    actor = current_actor()
    reports = _reports_named(movement, [row.report.strip() for row in rows])
    latest = latest_decisions(report.pk for report in reports.values())
    effective = _effective_values([report.pk for report in reports.values()])
    errors: list[RowError] = []
    todo: list[tuple[int, Report, VerificationRow]] = []
    seen: dict[int, int] = {}
    changes = VerificationChanges(rows=len(rows))
    for number, row in enumerate(rows, start=1):
        report = reports.get(row.report.strip())
        if report is not None and not can(actor, Capability.VERIFY, report.unit, movement):
            visible = can(actor, Capability.VIEW, report.unit, movement)
            if visible:
                errors.append(
                    RowError(
                        number,
                        "report",
                        _("you may not verify reports of %(unit)s") % {"unit": report.unit.code},
                        "not_permitted",
                    )
                )
                continue
            report = None
        if report is None:
            errors.append(
                RowError(
                    number,
                    "report",
                    _("no report %(name)r in this movement") % {"name": row.report},
                    "not_found",
                )
            )
            continue
        if report.corrects_id is not None:
            errors.append(
                RowError(
                    number,
                    "report",
                    _("report %(id)s is a correction: decide on report %(root)s")
                    % {"id": report.pk, "root": report.corrects_id},
                    "not_original",
                )
            )
            continue
        if report.pk in seen:
            errors.append(
                RowError(
                    number,
                    "report",
                    _("row %(row)s already decides this report") % {"row": seen[report.pk]},
                    "duplicate",
                )
            )
            continue
        seen[report.pk] = number
        decision = DECISION_WORDS.get(row.decision.strip().lower())
        if decision is None:
            errors.append(RowError(number, "decision", _("confirm, correct or reject"), "invalid"))
            continue
        if decision != Decision.CONFIRMED and not row.reason.strip():
            errors.append(RowError(number, "reason", _("a reason is required"), "required"))
            continue
        target = None
        if decision == Decision.CORRECTED:
            try:
                value = parse_quantity(row.quantity, report.indicator.decimal_places)
                if value < 0 and not report.indicator.allow_negative:
                    raise QuantityError(_("a negative value is not allowed here"))
            except QuantityError as exc:
                errors.append(RowError(number, "quantity", str(exc), "invalid"))
                continue
            target = to_minor(value, report.indicator.decimal_places)
        elif decision == Decision.REJECTED:
            target = 0
        if latest.get(report.pk) == decision and (
            target is None or effective.get(report.pk, report.quantity_minor) == target
        ):
            changes.unchanged += 1
            continue
        todo.append((number, report, row))
    raise_for_rows(errors, what="decision", total=len(rows))
    for number, report, row in todo:
        try:
            made = decide(
                report=report,
                decision=row.decision,
                quantity=row.quantity,
                reason=row.reason,
                source=source,
            )
        except ActionError as exc:
            errors.extend(
                RowError(number, error.field, error.message, error.code) for error in exc.errors
            )
            if not exc.errors:
                errors.append(RowError(number, "report", exc.detail, "refused"))
            continue
        changes.decided[made.decision] = changes.decided.get(made.decision, 0) + 1
    raise_for_rows(errors, what="decision", total=len(rows))
    return changes


def _effective_values(ids: list[int]) -> dict[int, int]:
    """Report id → its effective value, for those corrected (the others' is their own)."""
    found = dict(Report.objects.filter(pk__in=ids).values_list("pk", "quantity_minor"))
    for pk, total in (
        Report.objects.filter(corrects_id__in=ids)
        .values("corrects_id")
        .annotate(total=Sum("quantity_minor"))
        .values_list("corrects_id", "total")
    ):
        found[pk] += int(total)
    return found
