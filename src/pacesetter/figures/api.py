"""The figures API: a unit's figures over its subtree, per indicator, with its children's.

Read from the aggregates in a fixed number of queries whatever the number of children or
indicators (pinned in tests/api/test_figures.py).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from pacesetter.accounts.permissions import can_see_figures, current_actor
from pacesetter.core.errors import NotAllowed, RowError, ValidationFailed
from pacesetter.core.problem import READ_REFUSALS
from pacesetter.movements.api import indicator_for_field, movement_or_404, period_for_field
from pacesetter.movements.models import Indicator
from pacesetter.movements.selectors import unit_in_movement
from pacesetter.units.api import unit_for_field

from . import selectors
from .schemas import FiguresOut

router = Router(tags=["figures"])

ONE_TENTH = Decimal("0.1")


def _rounded(value: Decimal | None, places: int) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _indicator_figures(
    figure: selectors.IndicatorFigures, children: list[selectors.ChildFigures]
) -> dict[str, Any]:
    indicator = figure.indicator
    places = indicator.decimal_places

    def quantity(value: Decimal | None) -> Decimal | None:
        # Every quantity in the indicator's decimal places: 0 t of a 1-place indicator is "0.0".
        return _rounded(value, places)

    plan, growth, pace = figure.plan, figure.growth, figure.pace
    return {
        "indicator": indicator,
        "actual": quantity(figure.actual),
        "actual_verified": quantity(figure.actual_verified),
        "entries": figure.entries,
        "days_reported": figure.days_reported,
        "plan": None
        if plan is None
        else {
            "planned": quantity(plan.planned),
            "rated_capacity": quantity(plan.rated_capacity),
            "daily_assignment": quantity(plan.daily_assignment),
            "base": quantity(plan.base),
            "base_label": plan.base_label,
            "note": plan.note,
        },
        "planned": quantity(figure.planned),
        "planned_below": figure.planned_below,
        "children_planned": quantity(figure.children_planned),
        "fulfilment": figure.fulfilment,
        "fulfilment_verified": figure.fulfilment_verified,
        "capacity_utilisation": figure.capacity_utilisation,
        "daily_assignment_rate": figure.daily_assignment_rate,
        "growth": None
        if growth is None
        else {"absolute": quantity(growth.absolute), "percent": growth.percent},
        "pace": None
        if pace is None
        else {
            "elapsed_days": pace.elapsed_days,
            "period_days": pace.period_days,
            "run_rate": _rounded(pace.run_rate, places + 2),
            "met_on": pace.met_on,
            "met_on_day": pace.met_on_day,
            "projected_on": pace.projected_on,
            "projected_within_period": pace.projected_within_period,
            "days_ahead": _rounded(pace.days_ahead, 1),
        },
        "pledged_extra": quantity(figure.pledged_extra),
        "rank_among_siblings": figure.rank_among_siblings,
        "siblings": figure.siblings,
        "held": figure.held,
        "children": [
            {
                "unit": child.unit,
                "actual": quantity(child.actual),
                "planned": quantity(child.planned),
                "fulfilment": child.fulfilment,
                "held": child.held,
            }
            for child in children
        ],
    }


@router.get("/movements/{slug}/figures", response={200: FiguresOut, **READ_REFUSALS})
def movement_figures(
    request: HttpRequest,
    slug: str,
    unit: str | None = Query(None, description="A unit code; default: the organiser"),
    indicator: str | None = Query(None, description="An indicator code; default: every one"),
    period: str | None = Query(None, description="A period name; default: the whole movement"),
):
    """Every figure of the unit over its whole subtree — actual and verified, plan, fulfilment,
    capacity utilisation, daily-assignment rate, growth, pace, pledges, rank among siblings —
    for each indicator (or the one asked), with each child unit's actual, plan and fulfilment."""
    movement = movement_or_404(slug)
    actor = current_actor()
    target = movement.organiser
    if unit:
        target = unit_for_field(unit, field="unit")
        if not can_see_figures(actor, target, movement):
            raise NotAllowed(f"You may not see the figures of {target.code}.")
        if not unit_in_movement(unit=target, movement=movement):
            raise ValidationFailed(
                f"{target.code} is outside the movement's scope.",
                errors=[
                    RowError(
                        1, "unit", f"{target.code} is outside the movement's scope", "out_of_scope"
                    )
                ],
            )
    chosen_period = period_for_field(movement, period or "")
    indicators: list[Indicator] = (
        [indicator_for_field(movement, indicator)]
        if indicator
        else list(movement.indicators.order_by("position", "id"))
    )
    figures = selectors.unit_figures(
        unit=target,
        movement=movement,
        period=chosen_period,
        indicators=indicators,
        with_daily=False,
    )
    as_of = figures[0].as_of if figures else selectors.as_of_for(movement, chosen_period)
    children = selectors.children_figures(
        unit=target, indicators=indicators, period=chosen_period, as_of=as_of
    )
    return {
        "movement": movement.slug,
        "unit": target,
        "period": chosen_period,
        "as_of": as_of,
        "indicators": [
            _indicator_figures(
                f,
                [c for c in children[f.indicator.pk] if can_see_figures(actor, c.unit, movement)],
            )
            for f in figures
        ],
    }
