"""Figures for pages and the API, read from the aggregates in a fixed number of queries.

Nothing here scans the ledger: actual figures come from `SubtreePeriodTotal` (one row per
unit × indicator × period) and pace from `SubtreeDailyTotal` (one row per day). The one
read of reports, `from_reserves`, reads only the few counted from verified reserves, through
their own partial index.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, FloatField, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce

from pacesetter.core.quantities import from_minor
from pacesetter.ledger import report_selectors
from pacesetter.ledger.models import Report, SubtreeDailyTotal, SubtreePeriodTotal
from pacesetter.movements.models import Indicator, Movement, Period, Plan, PlanTotal, Pledge
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Unit

from . import domain


@dataclass
class PlanFigures:
    planned: Decimal | None = None
    rated_capacity: Decimal | None = None
    daily_assignment: Decimal | None = None
    base: Decimal | None = None
    base_label: str = ""
    note: str = ""  # what the plan answers for, in words (a named place or asset)


@dataclass
class IndicatorFigures:
    indicator: Indicator
    period: Period
    as_of: dt.date
    actual: Decimal
    actual_verified: Decimal
    entries: int
    days_reported: int
    plan: PlanFigures | None
    # What fulfilment and pace are measured against: the unit's own plan, or (planned_below)
    # the effective plans of its children summed, however deep the plans were set.
    planned: Decimal | None
    planned_below: bool
    children_planned: Decimal | None
    fulfilment: Decimal | None
    fulfilment_verified: Decimal | None
    capacity_utilisation: Decimal | None
    daily_assignment_rate: Decimal | None
    growth: domain.Growth | None
    pace: domain.Pace | None
    pledged_extra: Decimal | None
    rank_among_siblings: int | None
    siblings: int
    daily: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    # Of `actual`, what verified reserves counted toward it (see `from_reserves`).
    from_reserves: Decimal | None = None
    # Honesty beside the figure: the share of it that is verified (a percentage, None
    # without a figure) and the flags on its reports no verifier has answered yet.
    verified_share: Decimal | None = None
    open_flags: int = 0
    # "Less is better" with a plan: whether the figure stayed at or below the plan every day
    # of the period so far (domain.held); None otherwise.
    held: bool | None = None


def from_reserves(
    *, unit: Unit, movement: Movement, period: Period, indicators: list[Indicator]
) -> dict[int, Decimal]:
    """Per indicator, how much of the subtree's figure over `period` the ledger holds from
    verified reserves: reports of source `reserve` with the corrections filed against them, a
    report stored as rejected counting for nothing, as in the figure itself. One statement of
    two branches joined by UNION ALL — the reserve reports on their partial index, their
    corrections through the `corrects` index — never a scan of the ledger."""
    places = {i.pk: i.decimal_places for i in indicators}
    roots = {
        "movement": movement,
        "source": Report.Source.RESERVE,
        "indicator_id__in": list(places),
        "day__range": (period.starts_on, period.ends_on),
        "unit__path__startswith": unit.path,
    }
    counted = Report.objects.exclude(verification=Report.Verification.REJECTED)
    reserve = counted.filter(**roots).values_list("indicator_id", "quantity_minor")
    corrections = counted.filter(
        **{f"corrects__{name}": value for name, value in roots.items()}
    ).values_list("corrects__indicator_id", "quantity_minor")
    totals: dict[int, int] = {}
    for indicator_id, quantity in reserve.union(corrections, all=True):
        totals[indicator_id] = totals.get(indicator_id, 0) + quantity
    return {
        indicator_id: from_minor(total, places[indicator_id])
        for indicator_id, total in totals.items()
        if total
    }


def as_of_for(movement: Movement, period: Period, today: dt.date | None = None) -> dt.date:
    """The day figures are "as of": today in the movement's time zone, within the period."""
    today = today or movement_today(movement)
    return min(max(today, period.starts_on), period.ends_on)


def _whole_or(movement: Movement, period: Period | None) -> Period:
    if period is not None:
        return period
    return next(p for p in movement.periods.all() if p.is_whole)


def unit_figures(
    *,
    unit: Unit,
    movement: Movement,
    period: Period | None = None,
    indicators: list[Indicator] | None = None,
    with_daily: bool = True,
    with_flags: bool = True,
) -> list[IndicatorFigures]:
    """Every figure of `unit` (over its whole subtree) for each indicator, in 10 queries (8
    when the period and indicators are given; one fewer without `with_flags`, the count of
    open flags beside each figure)."""
    period = _whole_or(movement, period)
    indicators = indicators if indicators is not None else list(movement.indicators.all())
    by_id = {i.pk: i for i in indicators}
    today = movement_today(movement)
    as_of = as_of_for(movement, period, today)

    totals = {
        row[0]: row[1:]
        for row in SubtreePeriodTotal.objects.filter(
            unit=unit, period=period, indicator_id__in=by_id
        ).values_list("indicator_id", "quantity_minor", "verified_minor", "entries")
    }
    plans = {
        p.indicator_id: p
        for p in Plan.objects.filter(unit=unit, period=period, indicator_id__in=by_id)
    }
    # The plans rolled up (movements.domain): the effective plan and the children's, summed.
    rolled_up = {
        indicator_id: (planned, below if children else None)
        for indicator_id, planned, below, children in PlanTotal.objects.filter(
            unit=unit, period=period, indicator_id__in=by_id
        ).values_list("indicator_id", "planned_minor", "below_minor", "children_planned")
    }
    daily: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    days_reported: dict[int, int] = defaultdict(int)
    for indicator_id, day, quantity, day_entries in (
        SubtreeDailyTotal.objects.filter(
            unit=unit, indicator_id__in=by_id, day__gte=period.starts_on, day__lte=period.ends_on
        )
        .order_by("indicator_id", "day")
        .values_list("indicator_id", "day", "quantity_minor", "entries")
    ):
        daily[indicator_id].append((day, quantity))
        days_reported[indicator_id] += day_entries > 0
    pledges: dict[int, list[Pledge]] = defaultdict(list)
    for pledge in Pledge.objects.filter(unit=unit, period=period, indicator_id__in=by_id):
        pledges[pledge.indicator_id].append(pledge)
    sibling_totals: dict[int, dict[int, int]] = defaultdict(dict)
    siblings = 1
    if unit.parent_id is not None:
        sibling_rows = SubtreePeriodTotal.objects.filter(
            # Siblings that never reported are not ranked: no report is not a figure of 0
            # (with "less is better" it would put them first).
            # By the siblings' ids, not a join: the planner would otherwise walk every unit's
            # row of the indicator and period (200 ms at 100,000 units) instead of seeking
            # each sibling's row in the unique (unit, indicator, period) index.
            unit_id__in=Unit.objects.filter(parent_id=unit.parent_id, archived=False).values("pk"),
            period=period,
            indicator_id__in=by_id,
            # A movement ranking on verified figures ranks siblings on them too.
            **{"verified_entries__gt" if movement.rank_on_verified else "entries__gt": 0},
        ).values_list(
            "indicator_id",
            "unit_id",
            "verified_minor" if movement.rank_on_verified else "quantity_minor",
        )
        for indicator_id, unit_id, quantity in sibling_rows:
            sibling_totals[indicator_id][unit_id] = quantity
        siblings = Unit.objects.filter(parent_id=unit.parent_id, archived=False).count()

    flags = (
        report_selectors.open_flags(
            unit=unit, indicator_ids=list(by_id), day_from=period.starts_on, day_to=period.ends_on
        )
        if with_flags
        else {}
    )

    figures = []
    for indicator in indicators:
        quantity, verified, entries = totals.get(indicator.pk, (0, 0, 0))
        actual = indicator.quantity(quantity)
        actual_verified = indicator.quantity(verified)
        less = indicator.direction == Indicator.Direction.LESS
        plan = plans.get(indicator.pk)
        plan_figures = (
            PlanFigures(
                planned=indicator.from_minor(plan.planned_minor),
                rated_capacity=indicator.from_minor(plan.rated_capacity_minor),
                daily_assignment=indicator.from_minor(plan.daily_assignment_minor),
                base=indicator.from_minor(plan.base_minor),
                base_label=plan.base_label,
                note=plan.note,
            )
            if plan
            else None
        )
        effective_minor, below_minor = rolled_up.get(indicator.pk, (None, None))
        # The unit's own plan when it has one, else the plans below it, summed.
        planned = indicator.from_minor(effective_minor)
        day_series = [(day, indicator.quantity(q)) for day, q in daily[indicator.pk]]
        pledged = None
        for pledge in pledges[indicator.pk]:
            extra = (
                indicator.from_minor(pledge.extra_minor)
                if pledge.extra_minor is not None
                else (
                    planned * pledge.extra_percent / 100
                    if planned is not None and pledge.extra_percent
                    else None
                )
            )
            if extra is not None:
                pledged = (pledged or Decimal(0)) + extra
        rank = None
        if unit.parent_id is not None:
            values = {k: Decimal(v) for k, v in sibling_totals[indicator.pk].items()}
            rank = domain.rank(values, less_is_better=less).get(unit.pk)
        figures.append(
            IndicatorFigures(
                indicator=indicator,
                period=period,
                as_of=as_of,
                actual=actual,
                actual_verified=actual_verified,
                entries=entries,
                days_reported=days_reported.get(indicator.pk, 0),
                plan=plan_figures,
                planned=planned,
                planned_below=planned is not None
                and (plan_figures is None or plan_figures.planned is None),
                children_planned=indicator.from_minor(below_minor),
                fulfilment=domain.fulfilment(actual, planned, less_is_better=less),
                fulfilment_verified=domain.fulfilment(
                    actual_verified, planned, less_is_better=less
                ),
                capacity_utilisation=domain.capacity_utilisation(
                    actual, plan_figures.rated_capacity if plan_figures else None
                ),
                daily_assignment_rate=domain.daily_assignment_rate(
                    actual,
                    plan_figures.daily_assignment if plan_figures else None,
                    days_reported.get(indicator.pk, 0),
                ),
                growth=domain.growth(actual, plan_figures.base if plan_figures else None),
                pace=None
                if less
                else domain.pace(
                    planned=planned,
                    daily=day_series,
                    start=period.starts_on,
                    end=period.ends_on,
                    # The real today: before the period starts nothing has elapsed yet.
                    as_of=today,
                ),
                pledged_extra=pledged,
                rank_among_siblings=rank,
                siblings=siblings,
                daily=day_series if with_daily else [],
                verified_share=domain.verified_share(actual_verified, actual),
                open_flags=flags.get(indicator.pk, 0),
                held=domain.held(
                    target=planned,
                    daily=day_series,
                    start=period.starts_on,
                    end=period.ends_on,
                    as_of=today,
                )
                if less
                else None,
            )
        )
    return figures


@dataclass
class PeriodFigures:
    """One sub-period of the movement (a week, a month...) for one unit and indicator."""

    period: Period
    planned: Decimal | None
    actual: Decimal
    entries: int
    fulfilment: Decimal | None
    pace: domain.Pace | None
    started: bool  # False: the period lies ahead (in the movement's time zone)
    # The unit's own daily assignment for this period (a speed campaign's pace a day) and the
    # rate against it over the days it reported in the period.
    daily_assignment: Decimal | None = None
    daily_assignment_rate: Decimal | None = None

    @property
    def whole_days_off(self) -> int | None:
        """Days ahead of (or behind) a linear schedule, whole, without sign: for display."""
        return None if self.pace is None else self.pace.whole_days_off


def period_figures(
    *, unit: Unit, movement: Movement, periods: list[Period], figures: list[IndicatorFigures]
) -> dict[int, list[PeriodFigures]]:
    """Each indicator's figures for `unit` in each of the movement's own sub-periods
    (`periods`: the movement's, the whole one left out here), whatever their length, by
    indicator id, in 2 queries (their totals and their plans, with the unit's own daily
    assignment beside each). Pace and the days worked in a period are read from the whole
    movement's day series `figures` carry (unit_figures with its daily series), so no day is
    read twice. A short period with its own plan and daily assignment — a speed campaign of
    70 days inside a year — is shown so beside the whole period."""
    periods = [p for p in periods if not p.is_whole]
    if not periods or not figures:
        return {}
    ids = [f.indicator.pk for f in figures]
    totals = {
        (indicator_id, period_id): (quantity, entries)
        for indicator_id, period_id, quantity, entries in SubtreePeriodTotal.objects.filter(
            unit=unit, period__in=periods, indicator_id__in=ids
        ).values_list("indicator_id", "period_id", "quantity_minor", "entries")
    }
    own_daily = Plan.objects.filter(
        unit=unit, indicator=OuterRef("indicator_id"), period=OuterRef("period_id")
    ).values("daily_assignment_minor")[:1]
    plans = {
        (indicator_id, period_id): (planned, daily)
        for indicator_id, period_id, planned, daily in PlanTotal.objects.filter(
            unit=unit, period__in=periods, indicator_id__in=ids
        )
        .annotate(daily=Subquery(own_daily))
        .values_list("indicator_id", "period_id", "planned_minor", "daily")
    }
    today = movement_today(movement)
    rows: dict[int, list[PeriodFigures]] = {}
    for figure in figures:
        indicator = figure.indicator
        less = indicator.direction == Indicator.Direction.LESS
        # A level's pace would need its level on the period's first day; a sum's does not.
        paced = not less and indicator.aggregation == Indicator.Aggregation.SUM
        rows[indicator.pk] = []
        for period in periods:
            quantity, entries = totals.get((indicator.pk, period.pk), (0, 0))
            actual = indicator.quantity(quantity)
            planned_minor, daily_minor = plans.get((indicator.pk, period.pk), (None, None))
            planned = indicator.from_minor(planned_minor)
            daily_assignment = indicator.from_minor(daily_minor)
            days_worked = sum(
                1
                for day, _ in figure.daily
                if period.starts_on <= day <= min(period.ends_on, today)
            )
            rows[indicator.pk].append(
                PeriodFigures(
                    period=period,
                    planned=planned,
                    actual=actual,
                    entries=entries,
                    fulfilment=domain.fulfilment(actual, planned, less_is_better=less),
                    pace=domain.pace(
                        planned=planned,
                        daily=figure.daily,
                        start=period.starts_on,
                        end=period.ends_on,
                        as_of=today,
                    )
                    if paced and period.starts_on <= today
                    else None,
                    started=period.starts_on <= today,
                    daily_assignment=daily_assignment,
                    daily_assignment_rate=domain.daily_assignment_rate(
                        actual, daily_assignment, days_worked
                    ),
                )
            )
    return rows


@dataclass
class ChildFigures:
    unit: Unit
    actual: Decimal
    planned: Decimal | None
    fulfilment: Decimal | None
    recent: list[Decimal] = field(
        default_factory=list
    )  # the last SPARKLINE_DAYS days, oldest first
    held: bool | None = None  # "less is better" with a plan: see IndicatorFigures.held


SPARKLINE_DAYS = 14
CHILD_SORTS = {"name", "actual", "planned", "fulfilment"}


def children_figures(
    *,
    unit: Unit,
    indicators: list[Indicator],
    period: Period,
    as_of: dt.date,
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> dict[int, list[ChildFigures]]:
    """The unit's children with their subtree figures, per indicator, in 4 queries whatever the
    number of children or indicators; with each child's last SPARKLINE_DAYS days for a sparkline.
    With `limit`, the rows `offset` to `offset + limit` of each sorted list: every child is
    ranked, but only those rows get their recent days (a unit with 1,000 children shows a page
    of them)."""
    children = Unit.objects.filter(parent=unit).order_by("name")
    if limit is None:
        units = {child.pk: child for child in children.select_related("kind")}
        names = [(pk, child.name) for pk, child in units.items()]
    else:
        # Rank on (id, name) alone; only the rows shown become Unit objects (1 more query).
        names = list(children.values_list("pk", "name"))
    by_id = {i.pk: i for i in indicators}
    # The children as a subquery, not a list of 1,000 ids: building a filter of 1,000
    # parameters costs Django more than SQLite spends seeking them.
    child_ids = children.values("pk")
    totals = {
        (unit_id, indicator_id): quantity
        for unit_id, indicator_id, quantity in SubtreePeriodTotal.objects.filter(
            unit_id__in=child_ids, indicator_id__in=by_id, period=period
        ).values_list("unit_id", "indicator_id", "quantity_minor")
    }
    planned = {
        (unit_id, indicator_id): quantity
        for unit_id, indicator_id, quantity in PlanTotal.objects.filter(
            unit_id__in=child_ids, indicator_id__in=by_id, period=period
        ).values_list("unit_id", "indicator_id", "planned_minor")
    }
    ranked: dict[int, list[tuple[int, str, Decimal, Decimal | None, Decimal | None]]] = {}
    for indicator in indicators:
        less = indicator.direction == Indicator.Direction.LESS
        rows = []
        for pk, name in names:
            key = (pk, indicator.pk)
            actual = indicator.quantity(totals.get(key, 0))
            plan = indicator.from_minor(planned.get(key))
            rows.append(
                (pk, name, actual, plan, domain.fulfilment(actual, plan, less_is_better=less))
            )
        rows = _sorted_children(rows, sort, descending)
        ranked[indicator.pk] = rows[offset : offset + limit] if limit is not None else rows
    shown = {row[0] for rows in ranked.values() for row in rows}
    if limit is not None:
        units = Unit.objects.select_related("kind").in_bulk(list(shown))
    first_day = max(period.starts_on, as_of - dt.timedelta(days=SPARKLINE_DAYS - 1))
    # "Less is better" indicators are read from the period's first day, in the same query:
    # whether a child held its plan the whole period needs every day (domain.held).
    less_ids = [i.pk for i in indicators if i.direction == Indicator.Direction.LESS]
    days_read = Q(day__gte=first_day)
    if less_ids:
        days_read |= Q(indicator_id__in=less_ids, day__gte=period.starts_on)
    recent: dict[tuple[int, int], dict[dt.date, int]] = defaultdict(dict)
    for unit_id, indicator_id, day, quantity in (
        SubtreeDailyTotal.objects.filter(
            unit_id__in=list(shown), indicator_id__in=by_id, day__lte=as_of
        )
        .filter(days_read)
        .order_by("day")
        .values_list("unit_id", "indicator_id", "day", "quantity_minor")
    ):
        recent[(unit_id, indicator_id)][day] = quantity
    days = [first_day + dt.timedelta(days=n) for n in range((as_of - first_day).days + 1)]
    result: dict[int, list[ChildFigures]] = {}
    for indicator_id, rows in ranked.items():
        indicator = by_id[indicator_id]
        result[indicator_id] = [
            ChildFigures(
                units[pk],
                actual,
                plan,
                fulfilment,
                [
                    indicator.quantity(recent.get((pk, indicator_id), {}).get(day, 0))
                    for day in days
                ],
                domain.held(
                    target=plan,
                    daily=[
                        (day, indicator.quantity(q))
                        for day, q in recent.get((pk, indicator_id), {}).items()
                    ],
                    start=period.starts_on,
                    end=period.ends_on,
                    as_of=as_of,
                )
                if indicator_id in less_ids
                else None,
            )
            for pk, _, actual, plan, fulfilment in rows
        ]
    return result


_SORT_FIELD = {"actual": 2, "planned": 3, "fulfilment": 4}


def _sorted_children(rows: list[tuple], sort: str, descending: bool) -> list[tuple]:
    """Rows of (id, name, actual, planned, fulfilment) in the asked order."""
    if sort not in _SORT_FIELD:
        return sorted(rows, key=lambda r: r[1].lower(), reverse=descending)
    index = _SORT_FIELD[sort]
    present = [r for r in rows if r[index] is not None]
    missing = [r for r in rows if r[index] is None]
    # Rows without the figure go last whichever the direction: they have nothing to compare.
    return sorted(present, key=lambda r: r[index], reverse=descending) + missing


@dataclass
class ReportLine:
    report: Report
    corrections: list[Report]
    effective: Decimal


def own_reports(
    *, unit: Unit, movement: Movement, offset: int = 0, limit: int = 50
) -> list[ReportLine]:
    """The unit's own reports (not its subtree's), latest day first, `limit` of them from
    `offset`, each with its corrections beside it, in 2 queries. This reads the ledger, but
    only one unit's slice of it."""
    # By the movement's indicators, not the movement: SQLite would otherwise walk the
    # (movement, id) index through every report of the movement (0.2 s at 200,000 reports);
    # this way it seeks (unit, indicator) in the unit's own index (2 ms).
    originals = list(
        Report.objects.filter(
            unit=unit,
            indicator_id__in=Indicator.objects.filter(movement=movement).values("pk"),
            corrects__isnull=True,
        )
        .select_related("indicator", "entered_by")
        .order_by("-day", "-id")[offset : offset + limit]
    )
    corrections: dict[int, list[Report]] = defaultdict(list)
    for correction in (
        Report.objects.filter(corrects_id__in=[r.pk for r in originals])
        .select_related("entered_by")
        .order_by("id")
    ):
        corrections[correction.corrects_id].append(correction)
    lines = []
    for report in originals:
        fixes = corrections.get(report.pk, [])
        effective = report.quantity_minor + sum(c.quantity_minor for c in fixes)
        lines.append(ReportLine(report, fixes, report.indicator.quantity(effective)))
    return lines


@dataclass
class LeadingUnit:
    unit: Unit
    actual: Decimal
    planned: Decimal | None
    fulfilment: Decimal | None


def leading_units(
    *, movement: Movement, indicator: Indicator, period: Period, limit: int = 10
) -> list[LeadingUnit]:
    """The best units on an indicator, best first, in 2 queries.

    On the verified totals when the movement ranks on verified figures. Units with a plan for
    the period are ranked by plan fulfilment (the database orders them;
    the figures shown are exact Decimals); without plans, the organiser's children are ranked
    by their subtree totals. "Less is better" ranks the other way.
    """
    less = indicator.direction == Indicator.Direction.LESS
    # A movement ranking on verified figures leads its board with the verified totals.
    quantity, entries = (
        ("verified_minor", "verified_entries")
        if movement.rank_on_verified
        else ("quantity_minor", "entries")
    )
    actual = period_total(quantity, indicator, period, unit_ref="unit_id")
    reported = period_total(entries, indicator, period, unit_ref="unit_id")
    plans = list(
        Plan.objects.filter(
            indicator=indicator, period=period, planned_minor__gt=0, unit__archived=False
        )
        # The organiser's own figure is the total, not a competitor; units that never
        # reported are not leaders, whichever the direction.
        .exclude(unit_id=movement.organiser_id)
        .annotate(
            actual_minor=actual,
            entries=reported,
            ratio=Cast(actual, FloatField()) / F("planned_minor"),
        )
        .filter(entries__gt=0)
        .order_by("ratio" if less else "-ratio", "unit_id")
        .select_related("unit")[:limit]
    )
    if plans:
        rows = [(plan.unit, plan.actual_minor, plan.planned_minor) for plan in plans]
    else:
        children = (
            Unit.objects.filter(parent_id=movement.organiser_id, archived=False)
            .annotate(actual_minor=period_total(quantity, indicator, period, unit_ref="pk"))
            .order_by("actual_minor" if less else "-actual_minor", "name")[:limit]
        )
        rows = [(child, child.actual_minor, None) for child in children]
    result = []
    for unit, quantity, planned_minor in rows:
        value = indicator.quantity(quantity)
        plan = indicator.from_minor(planned_minor)
        result.append(
            LeadingUnit(unit, value, plan, domain.fulfilment(value, plan, less_is_better=less))
        )
    return result


def period_total(column: str, indicator: Indicator, period: Period, *, unit_ref: str) -> Coalesce:
    """A subquery annotation: one column of a unit's subtree total for the indicator and
    period (0 if none); `unit_ref` names the outer query's unit id."""
    return Coalesce(
        Subquery(
            SubtreePeriodTotal.objects.filter(
                unit=OuterRef(unit_ref), indicator=indicator, period=period
            ).values(column)[:1]
        ),
        0,
    )
