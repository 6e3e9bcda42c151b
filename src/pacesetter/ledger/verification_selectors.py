"""Reads of verification: the queue of a subtree, and a report's state and history.

The queue puts the flagged reports that no one has decided first (newest first), then a
sample of the unflagged, undecided, unverified originals drawn at the movement's rate
(`verification_state.in_sample`, the same in SQL), so honest units are audited too. Each
read is a fixed number of queries, whatever the size of the ledger: the sample is read by
the (movement, id) index from the newest report down, and stops at the page's size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from pacesetter.accounts.permissions import (
    Capability,
    can_see_movement,
    require,
    unit_filter,
)
from pacesetter.core.errors import NotAllowed
from pacesetter.movements.models import Indicator, Movement

from .models import Report, ReportFlag, VerificationDecision
from .verification_state import SAMPLE_BUCKET_SQL, VERIFIED_DECISIONS, sample_threshold

QUEUE_PAGE = 50


@dataclass(slots=True)
class QueueItem:
    report: Report  # the original, with unit, indicator and entered_by
    effective_minor: int
    corrections: int
    flags: list[ReportFlag] = field(default_factory=list)
    sampled: bool = False

    @property
    def indicator(self) -> Indicator:
        return self.report.indicator

    def value(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.report.indicator.decimal_places)

    @property
    def quantity(self) -> Decimal:
        return self.value(self.report.quantity_minor)

    @property
    def effective(self) -> Decimal:
        return self.value(self.effective_minor)


@dataclass(slots=True)
class Queue:
    items: list[QueueItem]
    flagged_waiting: int


def _undecided(column: str) -> Exists:
    return Exists(VerificationDecision.objects.filter(report_id=OuterRef(column)))


def verification_queue(
    *,
    movement: Movement,
    where: Q,
    indicator: Indicator | None = None,
    limit: int = QUEUE_PAGE,
) -> Queue:
    """What the verifier should look at next in the units `where` selects (a filter on a
    `unit` foreign key: the actor's VERIFY subtrees, narrowed to a unit's): up to `limit`
    reports, flagged first. Six queries."""
    flags = ReportFlag.objects.filter(where, movement=movement).filter(~_undecided("report_id"))
    if indicator is not None:
        flags = flags.filter(indicator=indicator)
    flagged_waiting = flags.values("report_id").distinct().count()
    flagged_ids = list(
        flags.order_by("-report_id").values_list("report_id", flat=True).distinct()[:limit]
    )
    sampled_ids: list[int] = []
    threshold = sample_threshold(movement.verification_sample_percent)
    if len(flagged_ids) < limit and threshold:
        sample = (
            Report.objects.filter(
                where,
                movement=movement,
                corrects__isnull=True,
                verification=Report.Verification.UNVERIFIED,
            )
            .annotate(
                bucket=RawSQL(SAMPLE_BUCKET_SQL.format(column=f"{Report._meta.db_table}.id"), [])
            )
            .filter(bucket__lt=threshold)
            .filter(~_undecided("id"))
            .filter(~Exists(ReportFlag.objects.filter(report_id=OuterRef("id"))))
        )
        if indicator is not None:
            sample = sample.filter(indicator=indicator)
        sampled_ids = list(
            sample.order_by("-id").values_list("id", flat=True)[: limit - len(flagged_ids)]
        )
    return Queue(_items(flagged_ids, sampled_ids), flagged_waiting)


def _items(flagged_ids: list[int], sampled_ids: list[int]) -> list[QueueItem]:
    ids = [*flagged_ids, *sampled_ids]
    if not ids:
        return []
    reports = {
        report.pk: report
        for report in Report.objects.filter(pk__in=ids).select_related(
            "unit", "indicator", "entered_by", "member"
        )
    }
    changes = {
        pk: (int(total), count)
        for pk, total, count in Report.objects.filter(corrects_id__in=ids)
        .values("corrects_id")
        .annotate(total=Sum("quantity_minor"), count=Count("id"))
        .values_list("corrects_id", "total", "count")
    }
    flags: dict[int, list[ReportFlag]] = defaultdict(list)
    for flag in ReportFlag.objects.filter(report_id__in=flagged_ids).order_by("kind"):
        flags[flag.report_id].append(flag)
    items = []
    for pk in ids:
        report = reports.get(pk)
        if report is None or report.corrects_id is not None:
            # A flag on a correction is decided on its original, where it is listed.
            continue
        total, count = changes.get(pk, (0, 0))
        items.append(
            QueueItem(
                report=report,
                effective_minor=report.quantity_minor + total,
                corrections=count,
                flags=flags.get(pk, []),
                sampled=pk in sampled_ids,
            )
        )
    return items


# --- a report's state and history ----------------------------------------------------------


@dataclass(slots=True)
class Verification:
    """A root report's verification: its state and every decision on it, oldest first."""

    report_id: int
    state: str
    decisions: list[VerificationDecision]

    @property
    def verified(self) -> bool:
        return self.state in VERIFIED_DECISIONS or self.state == Report.Verification.VERIFIED

    @property
    def label(self) -> str:
        return _LABELS.get(self.state, self.state)


_LABELS = {
    "unverified": _("Not verified"),
    "verified": _("Verified at entry"),
    "confirmed": _("Confirmed"),
    "corrected": _("Corrected by a verifier"),
    "rejected": _("Rejected"),
}


def verifications_of(reports: list[Report] | list[tuple[int, str]]) -> dict[int, Verification]:
    """Root report → its verification, for originals given as reports or (id, stored
    verification) pairs: one query whatever their number."""
    pairs = [(r.pk, r.verification) if isinstance(r, Report) else (r[0], r[1]) for r in reports]
    history: dict[int, list[VerificationDecision]] = defaultdict(list)
    if pairs:
        for decision in (
            VerificationDecision.objects.filter(report_id__in=[pk for pk, _ in pairs])
            .select_related("decided_by")
            .order_by("id")
        ):
            history[decision.report_id].append(decision)
    return {
        pk: Verification(
            pk, history[pk][-1].decision if history.get(pk) else stored, history.get(pk, [])
        )
        for pk, stored in pairs
    }


def recent_decisions(
    *, movement: Movement, where: Q, limit: int = 10
) -> list[VerificationDecision]:
    """The latest decisions in the units `where` selects: one query."""
    return list(
        VerificationDecision.objects.filter(where, movement=movement)
        .select_related("unit", "indicator", "decided_by")
        .order_by("-id")[:limit]
    )


def queue_filter(actor, movement: Movement, unit=None) -> Q:
    """The units of `movement` whose reports `actor` verifies (narrowed to `unit`'s subtree),
    as a filter on a `unit` foreign key. 404 when they may not see the movement (or the
    unit); 403 when they see it but verify nowhere in its scope (or not on that unit)."""
    scope_paths = list(movement.scope.values_list("path", flat=True)) or [movement.organiser.path]
    paths = actor.paths(Capability.VERIFY, movement)
    if not any(_overlaps(scope, path) for scope in scope_paths for path in paths):
        if can_see_movement(actor, movement, scope_paths):
            raise NotAllowed(_("You may not verify reports in this movement."))
        raise Http404("No such movement.")
    where = unit_filter(actor, Capability.VERIFY, movement)
    if unit is not None:
        require(actor, Capability.VERIFY, unit, movement)
        where &= Q(unit__path__startswith=unit.path)
    return where


def _overlaps(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)
