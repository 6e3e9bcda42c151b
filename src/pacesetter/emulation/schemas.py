"""What the emulation API takes and gives.

A ranking's `value` is in the scoring's own terms: a quantity in the indicator's unit (raw
total), a quantity per member, a ratio where 1 is 100% (per rated capacity, plan fulfilment),
or points from 0 to 100 (weighted score); `display` is the same for people.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from pacesetter.figures.schemas import UnitRef
from pacesetter.movements.schemas import Quantity, QuantityIn


class ComponentOut(Schema):
    indicator: str
    normalisation: str
    normalisation_text: str
    weight: Quantity
    weight_percent: Quantity | None
    direction: str


class ScoringOut(Schema):
    code: str
    name: str
    block: str
    weighted: bool
    method: str
    components: list[ComponentOut]
    retired_at: dt.datetime | None = Field(
        None, description="when the ranking was retired (ranked no more); null: live"
    )


class ComponentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(..., description="an indicator code of the movement")
    normalisation: str = Field(
        "raw", description="raw, per_member, per_capacity or fulfilment (of the plan)"
    )
    weight: QuantityIn = Field(1, description="positive, at most 3 decimals")


class ScoringIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(..., description="a slug, unique in the movement")
    name: str
    block: str = Field(..., description="the code of the block ranked")
    components: list[ComponentIn] = Field(
        ..., description="one indicator; or several, ranked by their weighted score"
    )


class ScoringChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="a new name; the ranking is unchanged by it")
    components: list[ComponentIn] | None = Field(
        None,
        description="what it ranks by: only while the movement is a draft (after launch, "
        "retire the ranking and rank the block anew under another code)",
    )


class RankedOut(Schema):
    unit: UnitRef
    rank: int
    value: Quantity | None = Field(..., description="in the scoring's terms; null if unbounded")
    display: str
    rank_yesterday: int | None = None
    rank_last_week: int | None = None


class RankingOut(Schema):
    scoring: ScoringOut
    period: str
    as_of: dt.date = Field(..., description="knowledge day: as the system showed it at its end")
    source: str = Field(..., description="current, snapshot (a past day) or none")
    ranked: int
    offset: int
    rows: list[RankedOut]


class PositionOut(Schema):
    unit: UnitRef
    rank: int | None
    of: int
    value: Quantity | None
    display: str


class EventOut(Schema):
    id: int
    scoring: str
    period: str
    ahead: UnitRef
    kind: str
    behind: UnitRef
    ahead_rank: int
    behind_rank: int
    ahead_value: Quantity | None
    behind_value: Quantity | None
    margin: Quantity | None
    cause: str
    batch: str
    report_ids: list[int]
    recorded_at: dt.datetime
    figures_day: dt.date | None = Field(
        None, description="the latest day of the reports that moved it; none for a re-ranking"
    )


class NotificationOut(Schema):
    id: int
    unit: UnitRef
    movement: str
    kind: str
    message: str
    event_id: int | None
    challenge_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class ChallengeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    challenger: str = Field(..., description="unit code")
    opponent: str | None = Field(None, description="unit code; or give group")
    group: str | None = Field(None, description="block code: every other unit of it")
    indicator: str
    normalisation: str = "raw"
    period: str = Field("", description="period name; empty: the whole movement")
    answer_by: dt.date
    stake: str = ""


class AnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit: str = Field(..., description="the challenged unit answering")


class StandingOut(Schema):
    unit: UnitRef
    answer: str
    rank: int | None
    value: Quantity | None
    display: str


class ResultOut(Schema):
    unit: UnitRef
    rank: int | None
    value: Quantity | None
    won: bool


class ChallengeOut(Schema):
    id: int
    movement: str
    challenger: UnitRef
    group: str | None
    indicator: str
    normalisation: str
    period: str
    stake: str
    answer_by: dt.date
    status: str
    standings: list[StandingOut]
    results: list[ResultOut]
