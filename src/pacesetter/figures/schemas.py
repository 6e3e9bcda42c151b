"""What the figures API gives: every figure of a unit over its subtree, and its children's.

Quantities are exact decimal strings in the indicator's unit; percentages decimal strings with
one decimal, rounded half-up and never capped. Derived quantities that are not exact (a run
rate, a pledged percentage of a plan, days ahead) are rounded half-up as each field says.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from pacesetter.movements.schemas import IndicatorOut, Percent, PeriodOut, Quantity


class UnitRef(Schema):
    code: str
    name: str


class PlanFiguresOut(Schema):
    planned: Quantity | None
    rated_capacity: Quantity | None
    daily_assignment: Quantity | None
    base: Quantity | None
    base_label: str
    note: str = Field(..., description="What the plan answers for, in words")


class GrowthOut(Schema):
    absolute: Quantity = Field(..., description="actual − base")
    percent: Percent | None


class PaceOut(Schema):
    elapsed_days: int
    period_days: int
    run_rate: Quantity | None = Field(
        ..., description="Per calendar day so far; two decimals more than the indicator's"
    )
    met_on: dt.date | None
    met_on_day: int | None = Field(..., description="1 is the period's first day")
    projected_on: dt.date | None = Field(
        ..., description="When the plan is met at the run rate; null: never"
    )
    projected_within_period: bool
    days_ahead: Quantity | None = Field(
        ..., description="Ahead (> 0) or behind (< 0) a linear schedule; one decimal"
    )


class ChildFiguresOut(Schema):
    unit: UnitRef
    actual: Quantity
    planned: Quantity | None
    fulfilment: Percent | None
    held: bool | None = Field(
        ..., description="Less is better, with a plan: at or below it every day so far"
    )


class IndicatorFiguresOut(Schema):
    indicator: IndicatorOut
    actual: Quantity
    actual_verified: Quantity
    entries: int
    days_reported: int
    plan: PlanFiguresOut | None
    planned: Quantity | None = Field(
        ...,
        description="What fulfilment and pace are measured against: the unit's own plan, or "
        "with planned_below the children's plans summed (a child without a plan of its own "
        "counts the plans below it, however deep)",
    )
    planned_below: bool = Field(..., description="planned is the plans below, summed")
    children_planned: Quantity | None = Field(
        ..., description="The children's plans summed, as planned_below counts them"
    )
    fulfilment: Percent | None
    fulfilment_verified: Percent | None
    verified_share: Percent | None = Field(
        ..., description="Of actual, the share verified (verified ÷ actual × 100); null: no figure"
    )
    open_flags: int = Field(
        ..., description="Flags on the figure's reports that no verification decision answered yet"
    )
    capacity_utilisation: Percent | None
    daily_assignment_rate: Percent | None
    growth: GrowthOut | None
    pace: PaceOut | None
    pledged_extra: Quantity | None = Field(..., description="Rounded to the indicator's decimals")
    rank_among_siblings: int | None
    siblings: int
    held: bool | None = Field(
        ...,
        description="Less is better, with a plan: whether the figure stayed at or below the "
        "plan every day of the period so far; null otherwise",
    )
    children: list[ChildFiguresOut]


class FiguresOut(Schema):
    movement: str
    unit: UnitRef
    period: PeriodOut
    as_of: dt.date
    indicators: list[IndicatorFiguresOut]


# --- the reports behind a figure ------------------------------------------------------------


class CorrectionOut(Schema):
    id: int
    change: Quantity = Field(..., description="What the correction adds (negative: takes away)")
    reason: str
    entered_at: dt.datetime


class FlagOut(Schema):
    kind: str
    reason: str
    numbers: dict
    flagged_at: dt.datetime


class TracedReportOut(Schema):
    id: int
    unit: str
    day: dt.date
    reported: Quantity
    corrections: list[CorrectionOut]
    counts_as: Quantity = Field(
        ..., description="The report with its corrections, as the figure counts it"
    )
    state: str = Field(
        ...,
        description="The latest verification decision (confirmed | corrected | rejected), "
        "else the state stored (verified | unverified | rejected)",
    )
    decided_at: dt.datetime | None
    flags: list[FlagOut]
    source: str
    entered_by: str | None
    entered_at: dt.datetime


class TraceOut(Schema):
    movement: str
    unit: UnitRef
    indicator: str
    period: str | None = Field(..., description="The period asked for; null: a span of days")
    day_from: dt.date
    day_to: dt.date
    figure: Quantity = Field(..., description="The unit's figure over these days, all reports")
    figure_verified: Quantity
    listed: Quantity = Field(
        ..., description="The sum of every report the filters match (equals figure unfiltered)"
    )
    listed_verified: Quantity
    count: int = Field(..., description="How many original reports the filters match")
    results: list[TracedReportOut]
    next_offset: int | None = Field(..., description="The next page's offset; null: last page")
