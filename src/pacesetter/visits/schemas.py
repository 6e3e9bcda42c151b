"""What the visits API takes and gives; unknown fields are refused."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from pacesetter.core.api import IsoDate
from pacesetter.movements.schemas import Percent


class FollowUpIn(Schema):
    model_config = ConfigDict(extra="forbid")

    what: str
    owner: str = Field(..., description="the owner's username (they must see the unit)")
    due_on: IsoDate


class VisitVoiceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(..., description="the topic's code; its rule routes the voice")
    subject: str
    text: str
    on_behalf_of: str = Field("", description="the person heard, by name (or anonymous)")
    anonymous: bool = False


class VisitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit: str = Field(..., description="the visited unit's code")
    visited_on: IsoDate = Field(..., description="the day of the visit, not in the future")
    purpose: str
    findings: str = ""
    visitors: list[str] = Field(default_factory=list, description="usernames of the visitors")
    guest_names: list[str] = Field(
        default_factory=list, description="names of visitors without an account"
    )
    movement: str = Field("", description="the movement's slug, if the visit was for one")
    key: str = Field("", description="your key: the same key and content again is a replay")
    follow_ups: list[FollowUpIn] = Field(default_factory=list)
    voices: list[VisitVoiceIn] = Field(
        default_factory=list, description="voices collected on the spot, raised with the visit"
    )


class MarkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    done: bool
    note: str = ""


class FollowUpEventOut(Schema):
    done: bool
    at: dt.datetime
    by: str
    note: str


class FollowUpOut(Schema):
    id: int
    visit: int
    unit: str
    what: str
    owner: str
    due_on: dt.date
    done: bool
    events: list[FollowUpEventOut]


class VisitOut(Schema):
    id: int
    unit: str
    visited_on: dt.date
    purpose: str
    findings: str
    visitors: list[str]
    guest_names: list[str]
    movement: str | None


class VisitVoiceOut(Schema):
    id: int
    topic: str
    subject: str
    status: str
    routed_to: str


class VisitDetailOut(VisitOut):
    recorded_by: str | None
    recorded_at: dt.datetime
    follow_ups: list[FollowUpOut]
    voices: list[VisitVoiceOut] = Field(description="the voices collected you may see")


class YearCountOut(Schema):
    year: int
    visits: int
    units: int


class PersonVisitsOut(Schema):
    visits: int
    units: int
    years: list[YearCountOut]


class CoverageRowOut(Schema):
    unit: str
    name: str
    itself: bool
    total: int
    visited: int
    share: Percent | None


class NotVisitedOut(Schema):
    unit: str
    name: str
    last_visit: dt.date | None


class CoverageOut(Schema):
    unit: str
    kind: str
    start: dt.date
    end: dt.date
    total: int
    visited: int
    share: Percent | None
    rows: list[CoverageRowOut]
    not_visited_count: int
    not_visited: list[NotVisitedOut] = Field(..., description="the first 200, in tree order")
