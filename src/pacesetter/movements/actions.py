"""The only write path for movements, indicators, periods, plans, pledges and secondments."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.text import slugify

from pacesetter.accounts.permissions import Capability, current_actor
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, ValidationFailed, raise_for_rows
from pacesetter.core.quantities import (
    MAX_DECIMAL_PLACES,
    QuantityError,
    parse_quantity,
    to_minor,
)
from pacesetter.units.models import Unit

from . import period_series, plan_totals
from .models import Indicator, Movement, Period, Plan, Pledge, Secondment
from .selectors import in_scope


def _refuse(field: str, message: str, code: str = "invalid") -> None:
    raise ValidationFailed(message, errors=[RowError(1, field, message, code)])


def _require_editable(movement: Movement) -> None:
    if movement.status == Movement.Status.CLOSED:
        raise StateError(f"Movement {movement.slug!r} is closed and read-only.")


@audited("movements.create_movement")
def create_movement(
    *,
    title: str,
    organiser: Unit,
    starts_on: dt.date,
    ends_on: dt.date,
    slug: str | None = None,
    call_text: str = "",
    time_zone: str = "UTC",
    scope: Iterable[Unit] = (),
    is_public: bool = False,
    rank_on_verified: bool = False,
    titles_on_verified: bool = False,
    created_by=None,
) -> Movement:
    """Create a draft movement with its whole period. Scope defaults to the organiser's subtree."""
    slug = slug or slugify(title)[:80]
    if not slug:
        _refuse("slug", "a slug (or a title to make one from) is required", "required")
    if Movement.objects.filter(slug=slug).exists():
        _refuse("slug", f"a movement with slug {slug!r} already exists", "duplicate")
    if ends_on < starts_on:
        _refuse("ends_on", "the end date is before the start date")
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        _refuse("time_zone", f"{time_zone!r} is not a known time zone")
    movement = Movement.objects.create(
        slug=slug,
        title=title,
        call_text=call_text,
        organiser=organiser,
        starts_on=starts_on,
        ends_on=ends_on,
        time_zone=time_zone,
        is_public=is_public,
        rank_on_verified=rank_on_verified,
        titles_on_verified=titles_on_verified,
        created_by=created_by,
    )
    movement.scope.set(list(scope) or [organiser])
    Period.objects.create(
        movement=movement,
        name="Whole movement",
        starts_on=starts_on,
        ends_on=ends_on,
        is_whole=True,
    )
    return movement


@audited("movements.update_movement")
def update_movement(
    *,
    movement: Movement,
    title: str | None = None,
    call_text: str | None = None,
    is_public: bool | None = None,
    rank_on_verified: bool | None = None,
    titles_on_verified: bool | None = None,
) -> Movement:
    """Change what a movement says of itself: its title, its call, whether it is public, and
    whether it ranks (rankings, overtakings, the honour board) and judges titles on verified
    figures only. Its dates, organiser, scope and time zone stay as created: its periods and
    every figure already kept hang on them. Ranking on verified figures is chosen before
    launch: the standings, snapshots and overtaking events kept from then on are append-only
    and were kept by the rule in force (as a scoring's components are)."""
    _require_editable(movement)
    if title is not None and not title.strip():
        _refuse("title", "a title is required", "required")
    movement = Movement.objects.select_for_update().get(pk=movement.pk)
    note(before=movement)
    wanted = {
        "title": title,
        "call_text": call_text,
        "is_public": is_public,
        "rank_on_verified": rank_on_verified,
        "titles_on_verified": titles_on_verified,
    }
    changed = [
        field
        for field, value in wanted.items()
        if value is not None and getattr(movement, field) != value
    ]
    if "rank_on_verified" in changed and movement.status != Movement.Status.DRAFT:
        _refuse(
            "rank_on_verified",
            "rankings on verified figures are chosen before launch: the standings and "
            "overtakings kept since were kept on the figures chosen then",
            "launched",
        )
    for field in changed:
        setattr(movement, field, wanted[field])
    if changed:
        movement.save(update_fields=changed)
    return movement


@audited("movements.add_indicator")
def add_indicator(
    *,
    movement: Movement,
    code: str,
    name: str,
    unit_of_measure: str,
    currency: str = "",
    aggregation: str = Indicator.Aggregation.SUM,
    direction: str = Indicator.Direction.MORE,
    allow_negative: bool = False,
    decimal_places: int = 0,
    decimal_comma: bool = False,
) -> Indicator:
    """Add an indicator. Only while the movement is a draft: reports are stored in the
    indicator's minor units, so its decimal places cannot change once reports may exist."""
    if movement.status != Movement.Status.DRAFT:
        raise StateError("Indicators can be added only while the movement is a draft.")
    if not 0 <= decimal_places <= MAX_DECIMAL_PLACES:
        _refuse("decimal_places", f"between 0 and {MAX_DECIMAL_PLACES}")
    if aggregation not in Indicator.Aggregation.values:
        _refuse("aggregation", f"one of {', '.join(Indicator.Aggregation.values)}")
    if direction not in Indicator.Direction.values:
        _refuse("direction", f"one of {', '.join(Indicator.Direction.values)}")
    if movement.indicators.filter(code=code).exists():
        _refuse("code", f"indicator {code!r} already exists in this movement", "duplicate")
    return Indicator.objects.create(
        movement=movement,
        code=code,
        name=name,
        unit_of_measure=unit_of_measure,
        currency=currency.upper(),
        aggregation=aggregation,
        direction=direction,
        allow_negative=allow_negative,
        decimal_places=decimal_places,
        decimal_comma=decimal_comma,
        position=movement.indicators.count(),
    )


OUTSIDE = "a period must lie inside the movement's period, start before end"


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    """One custom period as a list gives it."""

    name: str
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True, slots=True)
class GeneratedPeriods:
    """The series' periods in order (those kept and those added), and those added."""

    periods: list[Period]
    created: list[Period]


def _crosses(period: Period, other: period_series.SeriesPeriod) -> bool:
    """Overlap without either holding the other: a period across the other's boundary."""
    overlap = period.starts_on <= other.ends_on and other.starts_on <= period.ends_on
    holds = period.starts_on <= other.starts_on and other.ends_on <= period.ends_on
    held = other.starts_on <= period.starts_on and period.ends_on <= other.ends_on
    return overlap and not holds and not held


def _with_dates(period: Period) -> str:
    """'January 2025' (1–31 Jan); a name that shows its days already stands alone."""
    span = period_series.span_label(period.starts_on, period.ends_on)
    return f"{period.name!r}" if span in period.name else f"{period.name!r} ({span})"


def _period_fact(spec: PeriodSpec) -> dict[str, str]:
    return {
        "name": spec.name,
        "starts_on": spec.starts_on.isoformat(),
        "ends_on": spec.ends_on.isoformat(),
    }


def _require_draft(movement: Movement) -> None:
    _require_editable(movement)
    if movement.status != Movement.Status.DRAFT:
        # Aggregates are kept per period as reports arrive; a period added later would miss them.
        raise StateError("Periods can be added only while the movement is a draft.")


@audited("movements.add_period")
def add_period(*, movement: Movement, name: str, starts_on: dt.date, ends_on: dt.date) -> Period:
    """Add a sub-period (a month, a quarter...) inside the movement's period."""
    _require_draft(movement)
    if not (movement.starts_on <= starts_on <= ends_on <= movement.ends_on):
        _refuse("starts_on", OUTSIDE)
    if movement.periods.filter(starts_on=starts_on, ends_on=ends_on).exists():
        _refuse("starts_on", "a period with these dates already exists", "duplicate")
    return Period.objects.create(movement=movement, name=name, starts_on=starts_on, ends_on=ends_on)


@audited("movements.add_periods")
def add_periods(*, movement: Movement, periods: Sequence[PeriodSpec]) -> list[Period]:
    """Add custom periods from a list, all or nothing; every refused row is named by its
    number (a period outside the movement, a repeat within the list or of an existing one)."""
    _require_draft(movement)
    existing = {(p.starts_on, p.ends_on): p.name for p in movement.periods.all()}
    names = {name for name in existing.values()}
    errors: list[RowError] = []
    seen: dict[tuple[dt.date, dt.date], int] = {}
    seen_names: dict[str, int] = {}
    for number, spec in enumerate(periods, start=1):
        dates = (spec.starts_on, spec.ends_on)
        if not spec.name.strip():
            errors.append(RowError(number, "name", "a period needs a name", "required"))
        if not (movement.starts_on <= spec.starts_on <= spec.ends_on <= movement.ends_on):
            errors.append(RowError(number, "starts_on", OUTSIDE))
        if dates in existing:
            errors.append(
                RowError(
                    number,
                    "starts_on",
                    f"the period {existing[dates]!r} has these dates",
                    "duplicate",
                )
            )
        elif dates in seen:
            errors.append(
                RowError(
                    number, "starts_on", f"repeats the dates of row {seen[dates]}", "duplicate"
                )
            )
        if spec.name in names:
            errors.append(
                RowError(number, "name", f"a period is already named {spec.name!r}", "duplicate")
            )
        elif spec.name in seen_names:
            errors.append(
                RowError(
                    number, "name", f"repeats the name of row {seen_names[spec.name]}", "duplicate"
                )
            )
        seen.setdefault(dates, number)
        seen_names.setdefault(spec.name, number)
    raise_for_rows(errors, what="period", total=len(periods))
    note(target=movement, movement=movement, after=[_period_fact(spec) for spec in periods])
    return Period.objects.bulk_create(
        Period(movement=movement, name=s.name, starts_on=s.starts_on, ends_on=s.ends_on)
        for s in periods
    )


@audited("movements.generate_periods")
def generate_periods(
    *, movement: Movement, every: str, week_starts: str = "monday"
) -> GeneratedPeriods:
    """Add a series of periods of one length (every day, week, month, quarter or year) tiling
    the movement's span, the first and last clipped to its dates (period_series names them).

    Idempotent: a period of the series whose dates already exist is left as it is (with its
    name). Refused, nothing written, when an existing period crosses a period of the series
    (overlaps it without one holding the other: weeks across a month's end) or holds a
    series period's name for other dates."""
    _require_draft(movement)
    if every not in period_series.EVERY:
        _refuse("every", f"one of {', '.join(period_series.EVERY)}")
    if week_starts not in period_series.WEEKDAYS:
        _refuse("week_starts", f"one of {', '.join(period_series.WEEKDAYS)}")
    wanted = period_series.series(movement.starts_on, movement.ends_on, every, week_starts)
    every_period = list(movement.periods.all())
    existing = [p for p in every_period if not p.is_whole]
    # The whole movement counts: a series of one period is the whole period, kept.
    by_dates = {(p.starts_on, p.ends_on): p for p in every_period}
    by_name = {p.name: p for p in existing}
    errors = []
    for number, spec in enumerate(wanted, start=1):
        if (spec.starts_on, spec.ends_on) in by_dates:
            continue
        named = by_name.get(spec.name)
        if named is not None:
            errors.append(
                RowError(
                    number,
                    "every",
                    f"{spec.name}: the existing period {_with_dates(named)} has other dates",
                    "conflict",
                )
            )
        for period in existing:
            if _crosses(period, spec):
                errors.append(
                    RowError(
                        number,
                        "every",
                        f"{spec.name} crosses the existing period {_with_dates(period)}",
                        "conflict",
                    )
                )
                break
    if errors:
        raise ValidationFailed(
            f"{len({e.row for e in errors})} of the {len(wanted)} periods every {every} conflict "
            "with existing periods; nothing was added.",
            errors=errors,
        )
    created = Period.objects.bulk_create(
        Period(movement=movement, name=s.name, starts_on=s.starts_on, ends_on=s.ends_on)
        for s in wanted
        if (s.starts_on, s.ends_on) not in by_dates
    )
    made = {(p.starts_on, p.ends_on): p for p in created}
    note(
        target=movement,
        movement=movement,
        after={"every": every, "week_starts": week_starts, "added": [p.name for p in created]},
    )
    return GeneratedPeriods(
        periods=[
            by_dates.get((s.starts_on, s.ends_on)) or made[(s.starts_on, s.ends_on)] for s in wanted
        ],
        created=created,
    )


@audited("movements.add_monthly_periods")
def add_monthly_periods(*, movement: Movement) -> list[Period]:
    """Add one period per calendar month (clipped to the movement's period): generate_periods
    every month, kept for the doors that name months; returns the periods it added."""
    return generate_periods(movement=movement, every="month").created


@dataclass(frozen=True, slots=True)
class PlanRow:
    unit_code: str
    indicator: str
    planned: object = None
    period: str = ""
    rated_capacity: object = None
    daily_assignment: object = None
    base: object = None
    base_label: str = ""
    # What the plan answers for, in words: the named place or asset the unit answers for.
    note: str = ""


_PLAN_QUANTITIES = ("planned", "rated_capacity", "daily_assignment", "base")


@audited("movements.set_plans")
def set_plans(
    *, movement: Movement, rows: Sequence[PlanRow], row_numbers: Sequence[int] | None = None
) -> int:
    """Create or replace plans, all or nothing. `period` is a period name; empty means the
    whole movement. A plan given twice is an error naming the first row (by `row_numbers`
    when the rows come from a file). Returns the number of plans written."""
    _require_editable(movement)
    indicators = {i.code: i for i in movement.indicators.all()}
    periods = {p.name: p for p in movement.periods.all()}
    whole = next(p for p in periods.values() if p.is_whole)
    units = {u.code: u for u in Unit.objects.filter(code__in={r.unit_code for r in rows})}
    scope_paths = list(movement.scope.values_list("path", flat=True))
    note(movement=movement)
    actor = current_actor()
    may_plan = actor.paths(Capability.PLAN, movement)
    may_see = actor.paths(Capability.VIEW, movement)
    errors: list[RowError] = []
    prepared: list[Plan] = []
    seen: dict[tuple[str, str, object], int] = {}
    for number, row in enumerate(rows, start=1):
        unit = units.get(row.unit_code)
        indicator = indicators.get(row.indicator)
        period = periods.get(row.period) if row.period else whole
        if unit is not None and not any(unit.path.startswith(p) for p in may_plan):
            if any(unit.path.startswith(p) for p in may_see):
                errors.append(
                    RowError(
                        number,
                        "unit_code",
                        f"you may not set plans for {unit.code}",
                        "not_permitted",
                    )
                )
                continue
            unit = None  # what the actor may not see does not exist for them
        if unit is None:
            errors.append(
                RowError(number, "unit_code", f"no unit with code {row.unit_code!r}", "not_found")
            )
        elif not in_scope(scope_paths, unit):
            errors.append(
                RowError(
                    number,
                    "unit_code",
                    f"{unit.code} is outside the movement's scope",
                    "out_of_scope",
                )
            )
        if indicator is None:
            errors.append(
                RowError(
                    number,
                    "indicator",
                    f"no indicator {row.indicator!r} in this movement",
                    "not_found",
                )
            )
        if period is None:
            errors.append(
                RowError(
                    number, "period", f"no period {row.period!r} in this movement", "not_found"
                )
            )
        # Compare what the names resolve to: "" and "Whole movement" are the same period.
        key = (row.unit_code, row.indicator, period.pk if period else row.period)
        if key in seen:
            errors.append(
                RowError(
                    number,
                    "unit_code",
                    f"repeats the plan of row {row_numbers[seen[key] - 1] if row_numbers else seen[key]}",
                    "duplicate",
                )
            )
        seen.setdefault(key, number)
        values: dict[str, int | None] = {}
        errors_before = len(errors)
        for name in _PLAN_QUANTITIES:
            raw = getattr(row, name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                values[name] = None
                continue
            places = indicator.decimal_places if indicator else MAX_DECIMAL_PLACES
            try:
                quantity = parse_quantity(raw, places)
                if quantity < 0:
                    raise QuantityError("must not be negative")
                if name in ("rated_capacity", "daily_assignment") and quantity == 0:
                    raise QuantityError("must be greater than zero")
                values[name] = to_minor(quantity, places)
            except QuantityError as exc:
                errors.append(RowError(number, name, str(exc)))
        if len(errors) == errors_before and all(values.get(n) is None for n in _PLAN_QUANTITIES):
            errors.append(
                RowError(
                    number,
                    "planned",
                    "give at least one of planned, rated capacity, daily assignment, base",
                    "required",
                )
            )
        if unit and indicator and period:
            prepared.append(
                Plan(
                    unit=unit,
                    indicator=indicator,
                    period=period,
                    planned_minor=values.get("planned"),
                    rated_capacity_minor=values.get("rated_capacity"),
                    daily_assignment_minor=values.get("daily_assignment"),
                    base_minor=values.get("base"),
                    base_label=row.base_label,
                    note=row.note,
                )
            )
    raise_for_rows(errors, what="plan", total=len(rows))
    plan_totals.plans_changed(
        [
            (
                plan.unit.lineage_ids,
                plan.unit.pk,
                (plan.indicator.pk, plan.period.pk),
                plan.planned_minor,
            )
            for plan in prepared
        ]
    )
    Plan.objects.bulk_create(
        prepared,
        update_conflicts=True,
        unique_fields=["unit", "indicator", "period"],
        update_fields=[
            "planned_minor",
            "rated_capacity_minor",
            "daily_assignment_minor",
            "base_minor",
            "base_label",
            "note",
        ],
        batch_size=1000,
    )
    return len(prepared)


@audited("movements.register_pledge")
def register_pledge(
    *,
    unit: Unit,
    indicator: Indicator,
    extra: Decimal | str | None = None,
    extra_percent: Decimal | str | None = None,
    period: Period | None = None,
    registered_on: dt.date | None = None,
    text: str = "",
    registered_by=None,
) -> Pledge:
    """Register a commitment beyond the plan: an extra quantity or a percentage above plan."""
    movement = indicator.movement
    _require_editable(movement)
    if (extra is None) == (extra_percent is None):
        _refuse(
            "extra",
            "give either an extra quantity or a percentage above plan, not both",
            "required",
        )
    scope_paths = list(movement.scope.values_list("path", flat=True))
    if not in_scope(scope_paths, unit):
        _refuse("unit", f"{unit.code} is outside the movement's scope", "out_of_scope")
    if period is not None and period.movement_id != movement.pk:
        _refuse("period", f"period {period.name!r} belongs to another movement", "mismatch")
    extra_minor = None
    percent = None
    try:
        if extra is not None:
            quantity = parse_quantity(extra, indicator.decimal_places)
            if quantity <= 0:
                raise QuantityError("must be greater than zero")
            extra_minor = to_minor(quantity, indicator.decimal_places)
        else:
            percent = parse_quantity(extra_percent, 2)
            if percent <= 0:
                raise QuantityError("must be greater than zero")
    except QuantityError as exc:
        _refuse("extra" if extra is not None else "extra_percent", str(exc))
    return Pledge.objects.create(
        unit=unit,
        indicator=indicator,
        period=period or movement.periods.get(is_whole=True),
        extra_minor=extra_minor,
        extra_percent=percent,
        registered_on=registered_on
        or timezone.localdate(timezone=zoneinfo.ZoneInfo(movement.time_zone)),
        text=text,
        registered_by=registered_by,
    )


@audited("movements.second_persons")
def second_persons(
    *, movement: Movement, brigade: Unit, home: Unit, persons: int, note: str = ""
) -> Secondment:
    """Record that `persons` of `home` are seconded to `brigade` for the movement (set again,
    the number and note are replaced). The brigade must be inside the movement's scope and
    apart from the home unit: neither within the other, so the brigade's reports, filed on
    the brigade, are never counted in the home unit's subtree as well."""
    _require_editable(movement)
    scope_paths = list(movement.scope.values_list("path", flat=True))
    if not in_scope(scope_paths, brigade):
        _refuse("brigade", f"{brigade.code} is outside the movement's scope", "out_of_scope")
    if brigade.is_within(home) or home.is_within(brigade):
        _refuse(
            "home",
            f"{home.code} and the brigade {brigade.code} must be apart, neither within the "
            "other: the brigade's reports would otherwise count twice",
            "overlap",
        )
    if persons <= 0:
        _refuse("persons", "must be greater than zero")
    note_text = note.strip()
    secondment, _ = Secondment.objects.update_or_create(
        movement=movement,
        brigade=brigade,
        home=home,
        defaults={"persons": persons, "note": note_text},
    )
    return secondment


@audited("movements.launch_movement")
def launch_movement(*, movement: Movement) -> Movement:
    """Draft → launched: reports are accepted from now on."""
    movement = Movement.objects.select_for_update().get(pk=movement.pk)
    if movement.status != Movement.Status.DRAFT:
        raise StateError(f"Only a draft movement can be launched; this one is {movement.status}.")
    note(before=movement)
    if not movement.indicators.exists():
        raise StateError("A movement needs at least one indicator before it is launched.")
    movement.status = Movement.Status.LAUNCHED
    movement.launched_at = timezone.now()
    movement.save(update_fields=["status", "launched_at"])
    return movement


@audited("movements.close_movement")
def close_movement(*, movement: Movement) -> Movement:
    """Launched → closed: the movement becomes read-only; its figures stay as they are."""
    movement = Movement.objects.select_for_update().get(pk=movement.pk)
    if movement.status != Movement.Status.LAUNCHED:
        raise StateError(f"Only a launched movement can be closed; this one is {movement.status}.")
    note(before=movement)
    movement.status = Movement.Status.CLOSED
    movement.closed_at = timezone.now()
    movement.save(update_fields=["status", "closed_at"])
    return movement
