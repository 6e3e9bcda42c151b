"""What the voices API takes and gives; unknown fields are refused."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict


class TopicIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    organiser: str = Field(..., description="the organising unit's code")
    movement: str = Field("", description="the movement's slug; empty: every movement")
    deadline_days: int = 14
    route: str = Field("unit", description="unit, ancestor or named")
    route_kind: str = Field("", description="for ancestor: the unit kind's code")
    route_unit: str = Field("", description="for named: the answering unit's code")
    public: bool = False


class TopicOut(Schema):
    code: str
    name: str
    organiser: str
    movement: str | None
    deadline_days: int
    route: str
    route_kind: str | None
    route_unit: str | None
    public: bool


class VoiceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(..., description="the topic's code")
    unit: str = Field(..., description="the code of the unit the voice is about")
    subject: str
    text: str
    anonymous: bool = False
    on_behalf_of: str = Field("", description="an official raising it for a named person")
    key: str = Field("", description="an idempotency key: the same key raises one voice")


class VoiceStepIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(..., description="assign, answer, resolve, decline, confirm or reopen")
    note: str = Field("", description="the answer, the reason to decline, or a note")
    assigned_to: str = Field("", description="for assign: the person's user name")


class VoiceEventOut(Schema):
    at: dt.datetime
    by: str
    kind: str
    from_status: str
    to_status: str
    note: str
    routed_to: str | None


class VoiceOut(Schema):
    id: int
    topic: str
    unit: str
    subject: str
    text: str
    raised_by: str | None = Field(None, description="shown to those who handle the voice only")
    anonymous: bool
    routed_to: str
    routing_rule: str
    status: str
    overdue: bool
    escalations: int
    answer: str
    raised_at: dt.datetime
    due_at: dt.datetime


class VoiceDetailOut(VoiceOut):
    events: list[VoiceEventOut]
    allowed: list[str]


class TopicFiguresOut(Schema):
    topic: str
    received: int
    open: int
    overdue: int
    escalated: int
    answered: int
    resolved: int
    declined: int


class VoiceFiguresOut(Schema):
    unit: str
    received: int
    open: int
    overdue: int
    escalated: int
    answered: int
    resolved: int
    declined: int
    answer_median_hours: int | None
    answer_p90_hours: int | None
    resolve_median_hours: int | None
    resolve_p90_hours: int | None
    topics: list[TopicFiguresOut]
