"""What the reserves API takes and gives; unknown fields are refused."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from pacesetter.movements.schemas import Percent, Quantity, QuantityIn


class ReserveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit: str = Field(..., description="the unit's code")
    kind: str = Field(..., description="material, time, energy, money or indicator")
    description: str
    estimated: QuantityIn = Field(..., description="the estimated saving, a decimal")
    measure: str = Field(
        "",
        description="e.g. 't of cement', 'hours', 'kWh'; a currency code for money; "
        "ignored for an indicator (its unit of measure)",
    )
    member: str = Field("", description="the proposing member's external id, if any")
    movement: str = Field("", description="the movement's slug, if any")
    indicator: str = Field("", description="the indicator's code, for kind indicator")


class ReserveTransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(..., description="review, accept, implement, verify or decline")
    note: str = Field("", description="a note; for decline, the reason (required)")
    verified: QuantityIn | None = Field(None, description="for verify: the saving found")
    measure: str = Field("", description="for verify: the measure, the same as estimated")
    scope: str = Field(
        "unit",
        description="for verify: how widely the initiative is recognised (unit, grassroots, "
        "provincial, national), a fact titles may judge",
    )


class ReserveEventOut(Schema):
    at: dt.datetime
    by: str
    from_status: str
    to_status: str
    note: str
    verified: Quantity | None


class ReserveOut(Schema):
    id: int
    unit: str
    kind: str
    indicator: str | None
    movement: str | None
    member: str | None
    description: str
    estimated: Quantity
    measure: str
    verified: Quantity | None
    status: str
    proposed_at: dt.datetime
    recognised_scope: str


class ReserveDetailOut(ReserveOut):
    history: list[ReserveEventOut]
    allowed: list[str]


class ReserveMeasureOut(Schema):
    measure: str
    proposed: int
    implemented: int
    verified: int
    estimated_saving: Quantity
    verified_saving: Quantity


class ReserveFiguresOut(Schema):
    unit: str
    proposed: int
    implemented: int
    verified: int
    members: int
    members_verified: int
    members_repeat: int
    members_verified_percent: Percent | None
    members_repeat_percent: Percent | None
    measures: list[ReserveMeasureOut]


class ReserveLinkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(..., description="material, time, energy, money or indicator")
    measure: str = Field(..., description="the reserves' measure, e.g. 't of steel'")
    indicator: str = Field(..., description="the code of the movement's indicator counted")
    factor: QuantityIn = Field("1", description="what one unit of saving counts as, e.g. 0.05")


class ReserveLinkOut(Schema):
    id: int
    kind: str
    measure: str
    indicator: str
    factor: Quantity
