"""The figures API: a unit's figures over its subtree, per indicator, with its children's.

Read from the aggregates in a fixed number of queries whatever the number of children or
indicators (pinned in tests/api/test_figures.py).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from pacesetter.accounts.permissions import can_see_figures, current_actor
from pacesetter.core.api import IsoDate
from pacesetter.core.errors import NotAllowed, RowError, ValidationFailed
from pacesetter.core.pagination import MAX_OFFSET
from pacesetter.core.problem import READ_REFUSALS
from pacesetter.ledger import report_selectors
from pacesetter.movements.api import indicator_for_field, movement_or_404, period_for_field
from pacesetter.movements.models import Indicator
from pacesetter.movements.selectors import unit_in_movement
from pacesetter.units.api import unit_for_field

from . import selectors, trace
from .schemas import FiguresOut, TraceOut

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
        "verified_share": figure.verified_share,
        "open_flags": figure.open_flags,
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


MAX_TRACE_PAGE = 500


class TraceQuery(Schema):
    model_config = ConfigDict(extra="forbid")
    indicator: str | None = Field(None, description="An indicator code; default: the first")
    period: str | None = Field(
        None, description="A period name; default: the whole movement, unless days are given"
    )
    day_from: IsoDate | None = None
    day_to: IsoDate | None = None
    unit: str | None = Field(None, description="A unit below: only its subtree's reports")
    flagged: bool | None = Field(None, description="Only flagged (true) or unflagged (false)")
    state: str | None = Field(None, pattern="^(verified|unverified|rejected)$")
    limit: int = Field(100, ge=1, le=MAX_TRACE_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/movements/{slug}/units/{code}/reports", response={200: TraceOut, **READ_REFUSALS})
def figure_reports(request: HttpRequest, slug: str, code: str, query: Query[TraceQuery]):
    """The reports behind a figure of the unit (over its subtree) on one indicator and a
    period or span of days: each original with its corrections, flags and verification
    state, latest day first, `limit` from `offset`; with the figure and the sum of every
    report the filters match, which equals the figure when nothing narrows the list."""
    movement = movement_or_404(slug)
    unit = trace.traced_unit(movement, code)
    period = period_for_field(movement, query.period) if query.period else None
    filters, chosen = trace.trace_filters(
        movement=movement,
        unit=unit,
        indicator=indicator_for_field(movement, query.indicator).code if query.indicator else None,
        period=str(period.pk) if period else None,
        day_from=query.day_from,
        day_to=query.day_to,
        within=query.unit,
        flagged={True: "yes", False: "no"}.get(query.flagged),
        state=query.state,
    )
    rows = report_selectors.behind_figure(filters, offset=query.offset, limit=query.limit + 1)
    quantity, verified, originals = report_selectors.trace_sum(filters)
    figure = trace.figure_of(filters, chosen)
    indicator = filters.indicator
    return {
        "movement": movement.slug,
        "unit": unit,
        "indicator": indicator.code,
        "period": chosen.name if chosen else None,
        "day_from": filters.day_from,
        "day_to": filters.day_to,
        "figure": figure.quantity,
        "figure_verified": figure.verified,
        "listed": indicator.quantity(quantity),
        "listed_verified": indicator.quantity(verified),
        "count": originals,
        "results": [_traced(row) for row in rows[: query.limit]],
        "next_offset": query.offset + query.limit if len(rows) > query.limit else None,
    }


def _traced(row: report_selectors.TracedReport) -> dict[str, Any]:
    report = row.report
    quantity = report.indicator.quantity
    return {
        "id": report.pk,
        "unit": report.unit.code,
        "day": report.day,
        "reported": quantity(report.quantity_minor),
        "corrections": [
            {
                "id": c.pk,
                "change": quantity(c.quantity_minor),
                "reason": c.reason,
                "entered_at": c.entered_at,
            }
            for c in row.corrections
        ],
        "counts_as": row.counted,
        "state": row.state,
        "decided_at": row.decision.decided_at if row.decision else None,
        "flags": [
            {"kind": f.kind, "reason": f.reason, "numbers": f.numbers, "flagged_at": f.flagged_at}
            for f in row.flags
        ],
        "source": report.source,
        "entered_by": report.entered_by.get_username() if report.entered_by else None,
        "entered_at": report.entered_at,
    }
