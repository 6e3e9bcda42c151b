"""What the drives API takes and gives. Inputs are lenient (every row is checked by the
action, which answers with every bad row at once); unknown fields are refused."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from pacesetter.movements.schemas import Percent, Quantity, QuantityIn


class DriveOut(Schema):
    movement: str
    title: str
    status: str
    kinds: list[str]


class DonationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    item: str
    stage: str = Field(..., description="pledged, received or distributed")
    unit: str = Field(..., description="receiving (or distributing) unit's code")
    quantity: QuantityIn
    day: str | None = Field(None, description="YYYY-MM-DD; today by default")
    donor_member: str = ""
    donor_unit: str = ""
    donor_name: str = ""
    estimate: QuantityIn | None = None
    recipient_unit: str = ""
    recipient_name: str = ""
    note: str = ""
    idempotency_key: str | None = None


class DonationsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    donations: list[DonationIn] = Field(..., max_length=10_000)


class DonationsRecorded(Schema):
    created: int
    replayed: int
    entry_ids: list[int]


class DonorKindOut(Schema):
    donor_kind: str
    pledged: Quantity
    received: Quantity
    gifts: int


class ItemOut(Schema):
    item: str
    name: str
    unit_of_measure: str
    pledged: Quantity
    received: Quantity
    distributed: Quantity
    held: Quantity
    by_donor_kind: list[DonorKindOut]


class DonationsOut(Schema):
    movement: str
    unit: str
    items: list[ItemOut]


class SignUpIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit: str = ""
    full_name: str = ""
    contact: str = ""
    member: str = ""
    role: str = ""
    gender: str = ""
    age: int | None = None
    age_band: str = ""
    skill: str = ""
    idempotency_key: str | None = None
    # That many volunteers counted on a paper list, not named (signed-in organisers only).
    tally: int = Field(0, ge=0, le=100_000)


class SignUpsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    signups: list[SignUpIn] = Field(..., max_length=10_000)


class SignUpsRecorded(Schema):
    created: int
    replayed: int
    waitlisted: int
    codes: list[str]
    statuses: list[str]


class SignUpOut(Schema):
    code: str
    movement: str
    status: str
    unit: str
    role: str
    place: str
    signed_up_at: dt.datetime


class CallOut(Schema):
    movement: str
    unit: str
    quota: int
    at_quota: str
    active: int
    waitlisted: int
    of_quota: Percent
    signups: int
    placed: int
    by_day: dict[str, int]
    breakdowns: dict[str, dict[str, int]]
    children: dict[str, int]


class StatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    codes: list[str] = Field(..., max_length=10_000)
    status: str = Field(..., description="accepted, serving, completed or withdrawn")


class PlacementIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str
    place: int


class PlacementsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    placements: list[PlacementIn] = Field(..., max_length=10_000)
    day: dt.date | None = None


class Changed(Schema):
    changed: int


class ReturnIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit: str
    counts: dict[str, QuantityIn]
    day: str | None = None
    idempotency_key: str | None = None


class ReturnsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    returns: list[ReturnIn] = Field(..., max_length=100_000)


class ReturnsRecorded(Schema):
    reports: int
    replayed: int
    new_returns: int


class EnlistmentDayOut(Schema):
    day: dt.date
    missing: bool
    totals: dict[str, int] | None
    reported: int
    expected: int
    coverage: Percent | None


class EnlistmentOut(Schema):
    movement: str
    unit: str
    days: list[EnlistmentDayOut]


# --- setting a drive up (on a draft movement) -----------------------------------------------


class ItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(..., description="a slug; the item's indicators are CODE-pledged etc.")
    name: str
    kind: str = Field("in_kind", description="in_kind or money")
    unit_of_measure: str = Field("", description="for an item in kind: sacks, t, pieces…")
    currency: str = Field("", description="for money: a 3-letter currency code")
    decimal_places: int = 0


class DonationDriveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    items: list[ItemIn]
    estimate_currency: str = Field("", description="the currency gifts in kind are valued in")


class TargetIn(Schema):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(..., description="the code of the item whose gifts buy it")
    name: str
    price: QuantityIn = Field(..., description="in the item's measure (money: its currency)")


class TargetsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    targets: list[TargetIn]


class TargetOut(Schema):
    item: str
    position: int
    name: str
    price: Quantity
    reached_at: Quantity = Field(..., description="the received total that buys it")
    reached_on: dt.date | None = Field(None, description="the day it was reached; null: not yet")
    gathered: Quantity = Field(..., description="gathered toward its own price")
    percent: Percent


class TargetsOut(Schema):
    movement: str
    targets: list[TargetOut]
    next: str | None = Field(None, description="the name of the target being gathered for")


class RoleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str


class PlaceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit: str
    capacity: int
    role: str = ""


class VolunteerCallIn(Schema):
    model_config = ConfigDict(extra="forbid")

    quota: int
    opens_at: dt.datetime = Field(..., description="without an offset: the movement's time zone")
    closes_at: dt.datetime
    at_quota: str = Field("close", description="close, or waitlist")
    min_age: int | None = None
    max_age: int | None = None
    skills: list[str] = []
    asks_gender: bool = False
    asks_age_band: bool = False
    roles: list[RoleIn] = []
    places: list[PlaceIn] = []


class EnlistmentDriveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reporting_kind: str = Field(..., description="the kind of unit that reports each day")
    roles: list[RoleIn]


class DriveCreated(Schema):
    movement: str
    kind: str
    public_sign_up: bool = Field(False, description="a volunteer call's sign-up page is public")
    indicators: list[str]
