"""Reads of the ledger itself: the API's filtered pages by id and streamed export; a unit's
reports of a day; and the reports behind a figure (`behind_figure`, the drill-down).

These are the only reads that touch `Report` row by row; the API's pages go by the primary key
(keyset), so page 1,000 costs what page 1 costs, and each page is 2 queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from pacesetter.core.rows import rows_in
from pacesetter.movements.models import Indicator, Movement
from pacesetter.units.models import Unit

from . import domain
from .models import Report, ReportFlag, VerificationDecision
from .verification_state import latest_decisions


@dataclass(frozen=True, slots=True)
class ReportFilters:
    unit: Unit | None = None
    include_subtree: bool = False
    indicator: Indicator | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None
    source: str | None = None
    # Only reports of units matching this (a permissions.unit_filter); None: no restriction.
    visible: Q | None = None


@dataclass(slots=True)
class LedgerEntry:
    """One report as the API shows it: codes instead of ids, the quantity in the indicator's
    unit, and the ids of the corrections filed against it."""

    id: int
    unit: str
    indicator: str
    member: str | None
    day: dt.date
    quantity: Decimal
    source: str
    entered_by: str | None
    entered_at: dt.datetime
    idempotency_key: str
    verification: str
    corrects: int | None
    reason: str
    corrections: list[int] = field(default_factory=list)


def reports_of(*, movement: Movement, filters: ReportFilters) -> QuerySet[Report]:
    reports = Report.objects.filter(movement=movement)
    if filters.unit is not None:
        if filters.include_subtree:
            reports = reports.filter(unit__path__startswith=filters.unit.path)
        else:
            reports = reports.filter(unit=filters.unit)
    if filters.indicator is not None:
        reports = reports.filter(indicator=filters.indicator)
    if filters.day_from is not None:
        reports = reports.filter(day__gte=filters.day_from)
    if filters.day_to is not None:
        reports = reports.filter(day__lte=filters.day_to)
    if filters.source:
        reports = reports.filter(source=filters.source)
    if filters.visible is not None:
        reports = reports.filter(filters.visible)
    return reports


def _columns() -> tuple[str, ...]:
    username = f"entered_by__{get_user_model().USERNAME_FIELD}"
    return (
        "pk",
        "unit__code",
        "indicator_id",
        "member__external_id",
        "day",
        "quantity_minor",
        "source",
        username,
        "entered_at",
        "idempotency_key",
        "verification",
        "corrects_id",
        "reason",
    )


def _entries(rows: list[tuple], indicators: dict[int, Indicator]) -> list[LedgerEntry]:
    """Rows of `_columns()` → entries, with their corrections' ids (one query) and, for an
    original, its verification state: the latest decision on it (one query), else what was
    stored at entry (`verification_state`)."""
    corrections: dict[int, list[int]] = defaultdict(list)
    decided: dict[int, str] = {}
    if rows:
        decided = latest_decisions(row[0] for row in rows if row[11] is None)
        for corrects_id, pk in (
            Report.objects.filter(corrects_id__in=[row[0] for row in rows])
            .order_by("pk")
            .values_list("corrects_id", "pk")
        ):
            corrections[corrects_id].append(pk)
    entries = []
    for (
        pk,
        unit,
        indicator_id,
        member,
        day,
        minor,
        source,
        by,
        at,
        key,
        verification,
        corrects,
        reason,
    ) in rows:
        indicator = indicators[indicator_id]
        entries.append(
            LedgerEntry(
                id=pk,
                unit=unit,
                indicator=indicator.code,
                member=member,
                day=day,
                # Not `from_minor(...) or 0`: that would turn 0.0 into 0 and lose the scale.
                quantity=Decimal(minor).scaleb(-indicator.decimal_places),
                source=source,
                entered_by=by,
                entered_at=at,
                idempotency_key=domain.client_key(key),
                verification=decided.get(pk, verification),
                corrects=corrects,
                reason=reason,
                corrections=corrections.get(pk, []),
            )
        )
    return entries


def _indicators(movement: Movement) -> dict[int, Indicator]:
    return {i.pk: i for i in Indicator.objects.filter(movement=movement)}


def report_page(
    *, movement: Movement, filters: ReportFilters, after_id: int | None, limit: int
) -> tuple[list[LedgerEntry], bool]:
    """Up to `limit` reports with id > `after_id`, by id; and whether more follow. 4 queries."""
    reports = reports_of(movement=movement, filters=filters)
    if after_id is not None:
        reports = reports.filter(pk__gt=after_id)
    rows = list(reports.order_by("pk").values_list(*_columns())[: limit + 1])
    return _entries(rows[:limit], _indicators(movement)), len(rows) > limit


def report_entries(*, movement: Movement, ids: list[int]) -> list[LedgerEntry]:
    """Given reports of the movement, by id, with their corrections."""
    rows = list(
        Report.objects.filter(movement=movement, pk__in=ids).order_by("pk").values_list(*_columns())
    )
    return _entries(rows, _indicators(movement))


def iter_reports(
    *, movement: Movement, filters: ReportFilters, chunk: int = 2000
) -> Iterator[LedgerEntry]:
    """Every matching report, by id, fetched `chunk` at a time: memory stays flat whatever the
    size of the ledger, and no long-lived server-side cursor is held while a client reads."""
    indicators = _indicators(movement)
    reports = reports_of(movement=movement, filters=filters).order_by("pk")
    after = 0
    while True:
        rows = list(reports.filter(pk__gt=after).values_list(*_columns())[:chunk])
        yield from _entries(rows, indicators)
        if len(rows) < chunk:
            return
        after = rows[-1][0]


@dataclass(slots=True)
class DayEntry:
    """One of a unit's reports of a day, with the corrections filed against it."""

    report: Report
    corrections: list[Report]
    effective_minor: int


def entries_on(*, movement: Movement, unit: Unit, day: dt.date, limit: int = 100) -> list[DayEntry]:
    """The unit's own reports of `day` (newest first), each with its corrections: 2 queries."""
    # By the movement's indicators rather than the movement, so that SQLite seeks the
    # (unit, indicator, day) index instead of walking every report of the movement.
    originals = list(
        Report.objects.filter(
            unit=unit,
            indicator_id__in=Indicator.objects.filter(movement=movement).values("pk"),
            day=day,
            corrects__isnull=True,
        )
        .select_related("indicator")
        .order_by("-id")[:limit]
    )
    corrections: dict[int, list[Report]] = defaultdict(list)
    if originals:
        for correction in Report.objects.filter(
            corrects_id__in=[report.pk for report in originals]
        ).order_by("id"):
            corrections[correction.corrects_id].append(correction)
    return [
        DayEntry(
            report,
            corrections[report.pk],
            report.quantity_minor + sum(c.quantity_minor for c in corrections[report.pk]),
        )
        for report in originals
    ]


def ids_by_key(keys: Sequence[str]) -> dict[str, int]:
    """Report id by idempotency key, for the keys that are in the ledger."""
    return dict(
        rows_in(
            f"SELECT idempotency_key, id FROM {Report._meta.db_table}"
            " WHERE idempotency_key IN ({})",
            keys,
        )
    )


# --- the reports behind a figure (the drill-down) -------------------------------------------
#
# A figure of a unit (over its subtree) on an indicator and a span of days is the sum of its
# reports: every original of the subtree on those days with its corrections beside it, a
# report stored as rejected counting for nothing (as in `aggregates`). A report's verification
# state is the latest `VerificationDecision` on it, else the `verification` stored on it.

# The states a filter may ask for, and the stored or decided values each stands for.
STATES = {
    "verified": ("verified", "confirmed", "corrected"),
    "unverified": ("unverified",),
    "rejected": ("rejected",),
}
VERIFIED_STATES = STATES["verified"]


@dataclass(frozen=True, slots=True)
class TraceFilters:
    """What the drill-down lists: the originals of `unit`'s subtree on `indicator` between the
    two days, narrowed to a unit below it, to flagged reports, or to a verification state."""

    unit: Unit
    indicator: Indicator
    day_from: dt.date
    day_to: dt.date
    within: Unit | None = None
    flagged: bool | None = None
    state: str | None = None


@dataclass(slots=True)
class TracedReport:
    report: Report
    corrections: list[Report]
    flags: list[ReportFlag]
    state: str
    decision: VerificationDecision | None
    # What it adds to the figure: itself and its corrections, rows stored as rejected left out.
    counted_minor: int

    @property
    def counted(self) -> Decimal:
        return Decimal(self.counted_minor).scaleb(-self.report.indicator.decimal_places)

    @property
    def verified(self) -> bool:
        return self.state in VERIFIED_STATES


def _latest_decision() -> Subquery:
    return Subquery(
        VerificationDecision.objects.filter(report_id=OuterRef("pk"))
        .order_by("-decided_at", "-pk")
        .values("decision")[:1]
    )


def traced_originals(filters: TraceFilters) -> QuerySet[Report]:
    """The originals behind the figure, each annotated with its `state`; filtered."""
    root = filters.within or filters.unit
    reports = (
        Report.objects.filter(
            unit__path__startswith=root.path,
            indicator=filters.indicator,
            day__gte=filters.day_from,
            day__lte=filters.day_to,
            corrects__isnull=True,
        )
        # By the movement's index-friendly columns only: the subtree's path, the indicator and
        # the days bound the read to the figure's own slice of the ledger.
        .annotate(state=Coalesce(_latest_decision(), F("verification")))
    )
    if filters.state in STATES:
        reports = reports.filter(state__in=STATES[filters.state])
    if filters.flagged is not None:
        flagged = Exists(ReportFlag.objects.filter(report_id=OuterRef("pk"))) | Exists(
            ReportFlag.objects.filter(
                report_id__in=Report.objects.filter(corrects_id=OuterRef(OuterRef("pk"))).values(
                    "pk"
                )
            )
        )
        reports = reports.filter(flagged if filters.flagged else ~flagged)
    return reports


def _counted(rows: QuerySet[Report]) -> QuerySet[Report]:
    return rows.exclude(verification=Report.Verification.REJECTED)


def trace_sum(filters: TraceFilters) -> tuple[int, int, int]:
    """(counted, verified counted, originals) over every report the filters list, in minor
    units, in 1 query: the originals and their corrections summed together."""
    originals = traced_originals(filters)
    verified = originals.filter(state__in=VERIFIED_STATES)
    total = _counted(
        Report.objects.filter(
            Q(pk__in=originals.values("pk")) | Q(corrects_id__in=originals.values("pk"))
        )
    ).aggregate(
        quantity=Coalesce(Sum("quantity_minor"), 0),
        verified=Coalesce(
            Sum(
                "quantity_minor",
                filter=Q(pk__in=verified.values("pk")) | Q(corrects_id__in=verified.values("pk")),
            ),
            0,
        ),
        originals=Count("pk", filter=Q(corrects__isnull=True)),
    )
    return int(total["quantity"]), int(total["verified"]), int(total["originals"])


def behind_figure(filters: TraceFilters, *, offset: int = 0, limit: int = 50) -> list[TracedReport]:
    """`limit` originals behind the figure from `offset`, latest day first, each with its
    corrections, flags and latest decision: 4 queries whatever the page's size."""
    originals = list(
        traced_originals(filters)
        .select_related("unit", "indicator", "entered_by")
        .order_by("-day", "-pk")[offset : offset + limit]
    )
    ids = [r.pk for r in originals]
    corrections: dict[int, list[Report]] = defaultdict(list)
    flags: dict[int, list[ReportFlag]] = defaultdict(list)
    decisions: dict[int, VerificationDecision] = {}
    if ids:
        for correction in Report.objects.filter(corrects_id__in=ids).order_by("pk"):
            corrections[correction.corrects_id].append(correction)
        root_of = {r.pk: r.pk for r in originals}
        root_of.update({c.pk: c.corrects_id for fixes in corrections.values() for c in fixes})
        for flag in ReportFlag.objects.filter(report_id__in=list(root_of)).order_by("pk"):
            flags[root_of[flag.report_id]].append(flag)
        for decision in VerificationDecision.objects.filter(report_id__in=ids).order_by(
            "decided_at", "pk"
        ):
            decisions[decision.report_id] = decision  # the latest wins
    rejected = Report.Verification.REJECTED
    return [
        TracedReport(
            report=report,
            corrections=corrections[report.pk],
            flags=flags[report.pk],
            state=report.state,
            decision=decisions.get(report.pk),
            counted_minor=sum(
                r.quantity_minor
                for r in [report, *corrections[report.pk]]
                if r.verification != rejected
            ),
        )
        for report in originals
    ]


def iter_behind_figure(filters: TraceFilters, *, chunk: int = 2000) -> Iterator[TracedReport]:
    """Every original behind the figure, `chunk` at a time (for the CSV): memory stays flat."""
    offset = 0
    while True:
        rows = behind_figure(filters, offset=offset, limit=chunk)
        yield from rows
        if len(rows) < chunk:
            return
        offset += chunk


def open_flags(
    *, unit: Unit, indicator_ids: Sequence[int], day_from: dt.date, day_to: dt.date
) -> dict[int, int]:
    """Per indicator, the flags on reports of `unit`'s subtree between the days that no
    verification decision has answered since (a decision on the flagged report, or on the
    original it corrects, taken at or after the flag): 1 query over the flags alone."""
    # The original a flagged correction corrects (NULL for a flagged original): a decision
    # on either answers the flag. Written inside the EXISTS, not as an annotation, so that
    # the count groups by indicator alone.
    original = Subquery(
        Report.objects.filter(pk=OuterRef(OuterRef("report_id"))).values("corrects_id")[:1]
    )
    answered = VerificationDecision.objects.filter(
        Q(report_id=OuterRef("report_id")) | Q(report_id=original),
        decided_at__gte=OuterRef("flagged_at"),
    )
    return dict(
        ReportFlag.objects.filter(
            unit__path__startswith=unit.path,
            indicator_id__in=list(indicator_ids),
            day__gte=day_from,
            day__lte=day_to,
        )
        .filter(~Exists(answered))
        .values_list("indicator_id")
        .annotate(count=Count("pk"))
        .values_list("indicator_id", "count")
    )
