"""What the API takes and gives for movements, indicators, periods, plans and pledges.

`Quantity` and `Percent` are the decimal output types every app's schemas use: quantities are
exact decimal strings ("120000.0"), percentages decimal strings rounded half-up to one decimal
and never capped ("285.7"). Floats never appear.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, PlainSerializer, StrictBool, WithJsonSchema

from pacesetter.core.quantities import round_percent

from .models import Indicator, Movement, Plan, Pledge, Secondment

Quantity = Annotated[
    Decimal,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["120000.0"]}),
]
Percent = Annotated[
    Decimal,
    PlainSerializer(lambda value: str(round_percent(value)), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "format": "decimal",
            "description": "percent, one decimal, rounded half-up; never capped at 100",
            "examples": ["285.7"],
        }
    ),
]


def _number_or_text(value: Any) -> Any:
    if value is None or (isinstance(value, Decimal | int | str) and not isinstance(value, bool)):
        return value
    raise ValueError("a number, or a decimal number as a string, is required")


# Input quantities are passed to the actions as given and checked there (decimal places,
# sign), so a bad value is a row error with its row number, like every other. JSON numbers
# arrive as Decimal (see core.api.DecimalJSONParser); strings are the exact way to send them.
# One validator rather than a union of types: a union's errors name its branches.
QuantityIn = Annotated[
    Any,
    AfterValidator(_number_or_text),
    WithJsonSchema({"type": ["string", "number"], "format": "decimal", "examples": ["120000.5"]}),
]


class MovementIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(..., max_length=200)
    slug: str | None = Field(None, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$")
    organiser: str = Field(..., description="The organising unit's code")
    starts_on: dt.date
    ends_on: dt.date
    call_text: str = ""
    time_zone: str = "UTC"
    scope: list[str] = Field(
        default_factory=list,
        description="Unit codes whose subtrees take part; default: the organiser's",
    )
    is_public: bool = False
    rank_on_verified: StrictBool = Field(
        False,
        description="Rankings, overtakings and the honour board count verified reports only",
    )
    titles_on_verified: StrictBool = Field(
        False, description="Title evaluations count verified reports only"
    )


class MovementPatch(Schema):
    """What a movement says of itself, changed: a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=200)
    call_text: str | None = None
    is_public: bool | None = None
    rank_on_verified: StrictBool | None = Field(
        None, description="Only while the movement is a draft"
    )
    titles_on_verified: StrictBool | None = None


class MovementOut(Schema):
    slug: str
    title: str
    call_text: str
    organiser: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    time_zone: str
    is_public: bool
    rank_on_verified: bool
    titles_on_verified: bool
    scope: list[str]
    created_at: dt.datetime
    launched_at: dt.datetime | None
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_organiser(movement: Movement) -> str:
        return movement.organiser.code

    @staticmethod
    def resolve_scope(movement: Movement) -> list[str]:
        return sorted(unit.code for unit in movement.scope.all())


class IndicatorIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., max_length=200)
    unit_of_measure: str = Field(..., max_length=32)
    currency: str = Field("", max_length=3)
    aggregation: str = Field(Indicator.Aggregation.SUM, description="sum | latest")
    direction: str = Field(Indicator.Direction.MORE, description="more | less")
    allow_negative: bool = False
    decimal_places: int = 0
    decimal_comma: bool = Field(
        False, description="in files separated by ';', quantities use a decimal comma"
    )


class IndicatorOut(Schema):
    code: str
    name: str
    unit_of_measure: str
    currency: str
    aggregation: str
    direction: str
    allow_negative: bool
    decimal_places: int
    decimal_comma: bool
    position: int


class PeriodIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., max_length=100)
    starts_on: dt.date
    ends_on: dt.date


class PeriodsIn(Schema):
    """Custom periods, added all or nothing."""

    model_config = ConfigDict(extra="forbid")
    periods: list[PeriodIn] = Field(..., min_length=1, max_length=1000)


class GeneratePeriodsIn(Schema):
    """A series of periods of one length tiling the movement, the first and last clipped."""

    model_config = ConfigDict(extra="forbid")
    every: Literal["day", "week", "month", "quarter", "year"]
    week_starts: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = Field("monday", description="The first day of each week (every week only)")


class PeriodOut(Schema):
    name: str
    starts_on: dt.date
    ends_on: dt.date
    is_whole: bool
    days: int


class GeneratedPeriodsOut(Schema):
    periods: list[PeriodOut] = Field(..., description="The series in order, kept and added")
    added: list[str] = Field(..., description="The names of the periods added now")

    @staticmethod
    def resolve_added(generated) -> list[str]:
        return [p.name for p in generated.created]


class PlanRowIn(Schema):
    """One plan. Lenient on purpose: quantities are checked by `set_plans`, which reports
    every bad row at once."""

    model_config = ConfigDict(extra="forbid")

    unit: str
    indicator: str
    period: str = Field("", description="A period name; empty means the whole movement")
    planned: QuantityIn | None = None
    rated_capacity: QuantityIn | None = None
    daily_assignment: QuantityIn | None = None
    base: QuantityIn | None = None
    base_label: str = Field("", max_length=64)
    note: str = Field("", max_length=500, description="What the plan answers for, in words")


class PlansIn(Schema):
    model_config = ConfigDict(extra="forbid")
    rows: list[PlanRowIn] = Field(..., max_length=10_000)


class PlansWritten(Schema):
    written: int


class PlanOut(Schema):
    unit: str
    indicator: str
    period: str
    planned: Quantity | None
    rated_capacity: Quantity | None
    daily_assignment: Quantity | None
    base: Quantity | None
    base_label: str
    note: str

    @staticmethod
    def resolve_unit(plan: Plan) -> str:
        return plan.unit.code

    @staticmethod
    def resolve_indicator(plan: Plan) -> str:
        return plan.indicator.code

    @staticmethod
    def resolve_period(plan: Plan) -> str:
        return plan.period.name

    @staticmethod
    def resolve_planned(plan: Plan) -> Decimal | None:
        return plan.indicator.from_minor(plan.planned_minor)

    @staticmethod
    def resolve_rated_capacity(plan: Plan) -> Decimal | None:
        return plan.indicator.from_minor(plan.rated_capacity_minor)

    @staticmethod
    def resolve_daily_assignment(plan: Plan) -> Decimal | None:
        return plan.indicator.from_minor(plan.daily_assignment_minor)

    @staticmethod
    def resolve_base(plan: Plan) -> Decimal | None:
        return plan.indicator.from_minor(plan.base_minor)


class PledgeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit: str
    indicator: str
    extra: QuantityIn | None = Field(None, description="An extra quantity above the plan")
    extra_percent: QuantityIn | None = Field(None, description="Or a percentage above the plan")
    period: str = Field("", description="A period name; empty means the whole movement")
    registered_on: dt.date | None = None
    text: str = ""


class PledgeOut(Schema):
    id: int
    unit: str
    indicator: str
    period: str
    extra: Quantity | None
    extra_percent: Quantity | None = Field(
        ..., description="As registered, to two decimals (an input, not a computed figure)"
    )
    registered_on: dt.date
    text: str
    registered_by: str | None

    @staticmethod
    def resolve_unit(pledge: Pledge) -> str:
        return pledge.unit.code

    @staticmethod
    def resolve_indicator(pledge: Pledge) -> str:
        return pledge.indicator.code

    @staticmethod
    def resolve_period(pledge: Pledge) -> str:
        return pledge.period.name

    @staticmethod
    def resolve_extra(pledge: Pledge) -> Decimal | None:
        return pledge.indicator.from_minor(pledge.extra_minor)

    @staticmethod
    def resolve_registered_by(pledge: Pledge) -> str | None:
        return pledge.registered_by.get_username() if pledge.registered_by else None


class SecondmentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    brigade: str = Field(..., description="The brigade's unit code, inside the movement's scope")
    home: str = Field(..., description="The unit code the persons come from")
    persons: int = Field(..., gt=0)
    note: str = Field("", max_length=200)


class SecondmentOut(Schema):
    brigade: str
    home: str
    home_name: str
    persons: int
    note: str

    @staticmethod
    def resolve_brigade(secondment: Secondment) -> str:
        return secondment.brigade.code

    @staticmethod
    def resolve_home(secondment: Secondment) -> str:
        return secondment.home.code

    @staticmethod
    def resolve_home_name(secondment: Secondment) -> str:
        return secondment.home.name
