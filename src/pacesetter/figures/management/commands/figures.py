"""`pacesetter figures`: the figures of units, per movement, as a table or as JSON.

Read through `figures.selectors.unit_figures`, from the aggregates only. In JSON, quantities
are decimal strings in the indicator's decimal places and percentages decimal strings with one
decimal, rounded half-up and never capped; days ahead with one decimal; null where there is
no figure. `unit_of_measure` is what a quantity is counted in: the currency for money. A
movement with sub-periods (months, a speed campaign...) gives each record `periods`: every
sub-period's plan, actual, fulfilment, daily assignment and its rate, and pace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from rich.table import Table

from pacesetter.core.quantities import format_percent, format_quantity, round_percent
from pacesetter.core.tabular import console_for
from pacesetter.figures.domain import Pace
from pacesetter.figures.selectors import (
    IndicatorFigures,
    PeriodFigures,
    period_figures,
    unit_figures,
)
from pacesetter.movements.models import Indicator, Movement, Period, Plan
from pacesetter.units.models import Unit


@dataclass
class _Selection:
    """One movement's share of the output: which period, indicators and units."""

    movement: Movement
    period: Period | None
    indicators: list[Indicator]
    units: list[Unit]


class Command(BaseCommand):
    help = (
        "Print the figures (actual, plan, fulfilment, capacity utilisation, daily-assignment "
        "rate, growth, pace, pledges, rank) of each movement — all of them, oldest first, "
        "unless --movement is given — for the given unit, or for the movement's scope roots "
        "and every unit with a plan in it. Each unit's figures cover its whole subtree."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--movement", help="a movement's slug; default: every movement")
        parser.add_argument("--unit", help="a unit code; default: scope roots and planned units")
        parser.add_argument("--indicator", help="an indicator code; default: every indicator")
        parser.add_argument("--period", help="a period name; default: the whole movement")
        parser.add_argument(
            "--format", dest="output_format", choices=("table", "json"), default="table"
        )

    def handle(
        self,
        *args: Any,
        movement: str | None,
        unit: str | None,
        indicator: str | None,
        period: str | None,
        output_format: str,
        **options: Any,
    ) -> None:
        movements: QuerySet[Movement] = Movement.objects.order_by("starts_on", "slug")
        if movement is not None:
            movements = movements.filter(slug=movement)
            if not movements.exists():
                raise CommandError(f"No movement {movement!r}.")
        target = None
        if unit is not None:
            target = Unit.objects.filter(code=unit).first()
            if target is None:
                raise CommandError(f"No unit {unit!r}.")

        selections = []
        for candidate in movements:
            selection, refusal = _select(candidate, target, indicator, period)
            if refusal is not None and movement is not None:
                raise CommandError(refusal)
            if selection is not None:
                selections.append(selection)
        if not selections and (target or indicator or period):
            raise CommandError("No movement has " + _asked(target, indicator, period) + ".")

        if output_format == "json":
            records = [
                _record(selection.movement, figure, by_period)
                for selection in selections
                for figure, by_period in _figures_by_period(selection)
            ]
            # Straight to stdout, nothing else on it, so the output pipes into a JSON reader.
            self.stdout.write(json.dumps(records, indent=2, ensure_ascii=False))
            return
        console = console_for(self.stdout)
        for selection in selections:
            console.print(_table(selection, _figures(selection)))


def _select(
    movement: Movement, unit: Unit | None, indicator_code: str | None, period_name: str | None
) -> tuple[_Selection | None, str | None]:
    """What to show of `movement`; or why nothing (an error when the movement was asked for)."""
    indicators = list(movement.indicators.all())
    if indicator_code is not None:
        indicators = [i for i in indicators if i.code == indicator_code]
        if not indicators:
            return None, f"Movement {movement.slug!r} has no indicator {indicator_code!r}."
    period = None
    if period_name is not None:
        periods = list(movement.periods.filter(name=period_name))
        if len(periods) != 1:
            return None, (
                f"Movement {movement.slug!r} has no period {period_name!r}."
                if not periods
                else f"Movement {movement.slug!r} has {len(periods)} periods named {period_name!r}."
            )
        period = periods[0]
    scope = list(movement.scope.all())
    if unit is not None:
        if unit.pk != movement.organiser_id and not any(unit.is_within(root) for root in scope):
            return None, f"{unit.code} is outside the scope of movement {movement.slug!r}."
        units = [unit]
    else:
        planned = Unit.objects.filter(
            pk__in=Plan.objects.filter(indicator__movement=movement).values("unit_id")
        )
        by_id = {u.pk: u for u in [*scope, *planned]}
        units = sorted(by_id.values(), key=lambda u: u.path)
    return _Selection(movement, period, indicators, units), None


def _asked(unit: Unit | None, indicator: str | None, period: str | None) -> str:
    parts = []
    if unit is not None:
        parts.append(f"unit {unit.code} in scope")
    if indicator is not None:
        parts.append(f"indicator {indicator!r}")
    if period is not None:
        parts.append(f"period {period!r}")
    return " and ".join(parts)


def _figures(selection: _Selection) -> list[tuple[Unit, IndicatorFigures]]:
    if not selection.indicators:
        return []
    return [
        (unit, figure)
        for unit in selection.units
        for figure in unit_figures(
            unit=unit,
            movement=selection.movement,
            period=selection.period,
            indicators=selection.indicators,
            with_daily=False,
        )
    ]


def _figures_by_period(
    selection: _Selection,
) -> list[tuple[tuple[Unit, IndicatorFigures], list[PeriodFigures] | None]]:
    """The whole movement's figures, each with its sub-periods' beside it (a month, a speed
    campaign of 70 days...); with --period, that period's alone and None beside them."""
    sub_periods = [] if selection.period is not None else list(selection.movement.periods.all())
    if not selection.indicators or not any(not p.is_whole for p in sub_periods):
        return [(item, None) for item in _figures(selection)]
    result = []
    for unit in selection.units:
        figures = unit_figures(
            unit=unit,
            movement=selection.movement,
            indicators=selection.indicators,
            with_daily=True,
        )
        by_period = period_figures(
            unit=unit, movement=selection.movement, periods=sub_periods, figures=figures
        )
        result += [((unit, f), by_period.get(f.indicator.pk, [])) for f in figures]
    return result


def _pace_record(pace: Pace | None) -> dict[str, Any] | None:
    if pace is None:
        return None
    return {
        "met_on": pace.met_on.isoformat() if pace.met_on else None,
        "met_on_day": pace.met_on_day,
        "projected_on": pace.projected_on.isoformat() if pace.projected_on else None,
        "days_ahead": _quantity(pace.days_ahead, 1),
        "period_days": pace.period_days,
        "elapsed_days": pace.elapsed_days,
    }


def _period_record(row: PeriodFigures, places: int) -> dict[str, Any]:
    return {
        "period": row.period.name,
        "starts_on": row.period.starts_on.isoformat(),
        "ends_on": row.period.ends_on.isoformat(),
        "started": row.started,
        "actual": _quantity(row.actual, places),
        "planned": _quantity(row.planned, places),
        "fulfilment": _percent(row.fulfilment),
        "daily_assignment": _quantity(row.daily_assignment, places),
        "daily_assignment_rate": _percent(row.daily_assignment_rate),
        "pace": _pace_record(row.pace),
    }


def _quantity(value: Decimal | None, places: int) -> str | None:
    if value is None:
        return None
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


def _percent(value: Decimal | None) -> str | None:
    rounded = round_percent(value)
    return None if rounded is None else format(rounded, "f")


def _record(
    movement: Movement,
    item: tuple[Unit, IndicatorFigures],
    by_period: list[PeriodFigures] | None = None,
) -> dict[str, Any]:
    unit, figure = item
    indicator = figure.indicator
    places = indicator.decimal_places
    plan, growth, pace = figure.plan, figure.growth, figure.pace
    return {
        "movement": movement.slug,
        "title": movement.title,
        "unit": unit.code,
        "unit_name": unit.name,
        "indicator": indicator.code,
        "indicator_name": indicator.name,
        "unit_of_measure": indicator.measure,
        "period": figure.period.name,
        "as_of": figure.as_of.isoformat(),
        "actual": _quantity(figure.actual, places),
        "actual_verified": _quantity(figure.actual_verified, places),
        "planned": _quantity(figure.planned, places),
        "planned_below": figure.planned_below,
        "children_planned": _quantity(figure.children_planned, places),
        "rated_capacity": _quantity(plan.rated_capacity if plan else None, places),
        "daily_assignment": _quantity(plan.daily_assignment if plan else None, places),
        "base": _quantity(plan.base if plan else None, places),
        "base_label": (plan.base_label or None) if plan else None,
        "plan_note": (plan.note or None) if plan else None,
        "fulfilment": _percent(figure.fulfilment),
        "capacity_utilisation": _percent(figure.capacity_utilisation),
        "daily_assignment_rate": _percent(figure.daily_assignment_rate),
        "growth_absolute": _quantity(growth.absolute if growth else None, places),
        "growth_percent": _percent(growth.percent if growth else None),
        "pace": _pace_record(pace),
        "pledged_extra": _quantity(figure.pledged_extra, places),
        "rank_among_siblings": figure.rank_among_siblings,
        "siblings": figure.siblings,
        "held": figure.held,
        # A movement with sub-periods: each with its own plan, daily assignment and pace,
        # beside the whole period (absent with --period: that period is the record).
        **(
            {}
            if by_period is None
            else {"periods": [_period_record(row, places) for row in by_period]}
        ),
    }


def _table(selection: _Selection, figures: list[tuple[Unit, IndicatorFigures]]) -> Table:
    movement = selection.movement
    period = figures[0][1].period if figures else selection.period
    as_of = f" · as of {figures[0][1].as_of}" if figures else ""
    table = Table(
        title=f"{movement.title} ({movement.slug}, {movement.status})"
        f" · {period.name if period else 'whole movement'}{as_of}",
        title_justify="left",
    )
    for name in ("unit", "indicator"):
        table.add_column(name)
    for name in ("actual", "plan", "fulfilment", "capacity", "daily rate", "growth", "pace"):
        table.add_column(name, justify="right")
    table.add_column("rank", justify="right")
    for unit, figure in figures:
        indicator = figure.indicator
        places = indicator.decimal_places
        growth = figure.growth
        table.add_row(
            unit.code,
            f"{indicator.code} ({indicator.measure})",
            format_quantity(figure.actual, places),
            format_quantity(figure.planned, places) + (" (below)" if figure.planned_below else ""),
            format_percent(figure.fulfilment),
            format_percent(figure.capacity_utilisation),
            format_percent(figure.daily_assignment_rate),
            "—"
            if growth is None
            else f"{format_quantity(growth.absolute, places)} ({format_percent(growth.percent)})",
            _pace_text(figure),
            "—"
            if figure.rank_among_siblings is None
            else f"{figure.rank_among_siblings} of {figure.siblings}",
        )
    return table


def _pace_text(figure: IndicatorFigures) -> str:
    pace = figure.pace
    if pace is None:
        return "—"
    if pace.met_on_day is not None:
        return f"met on day {pace.met_on_day} of {pace.period_days}"
    if pace.days_ahead is None:
        return "not started"
    days = _quantity(abs(pace.days_ahead), 1)
    return f"{days} days {'ahead' if pace.days_ahead >= 0 else 'behind'}"
