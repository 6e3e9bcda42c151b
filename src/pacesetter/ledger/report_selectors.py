"""Reads of the ledger itself for the API: filtered pages by id, and a streamed export.

These are the only reads that touch `Report` row by row; they go by the primary key (keyset),
so page 1,000 costs what page 1 costs, and each page is 2 queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from pacesetter.core.rows import rows_in
from pacesetter.movements.models import Indicator, Movement
from pacesetter.units.models import Unit

from . import domain
from .models import Report
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
