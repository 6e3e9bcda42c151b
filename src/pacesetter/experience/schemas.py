"""Experience API schemas. Writes forbid unknown fields; rates are decimals as strings,
rounded to six places only here (the arithmetic keeps its precision)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, PlainSerializer, WithJsonSchema

from pacesetter.core.api import IsoDate
from pacesetter.figures.schemas import UnitRef

Rate = Annotated[
    Decimal,
    PlainSerializer(
        lambda value: str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)),
        return_type=str,
    ),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["12.5"]}),
]


class PracticeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit: str = Field(..., description="the publishing unit's code")
    key: str = Field("", description="names it in files; unique in the movement")
    title: str
    text: str = Field(..., description="Markdown: paragraphs, emphasis, lists, links")
    indicator: str | None = Field(None, description="the indicator it helped on (its lead)")
    indicators: list[str] = Field(
        [], description="indicators it helped on (after `indicator`, if given)", max_length=50
    )
    period: str = Field("", description="period name; empty: the whole movement")
    adapted_from: int | None = Field(None, description="id of the practice it adapts")


class AdoptIn(Schema):
    model_config = ConfigDict(extra="forbid")
    unit: str = Field(..., description="the adopting unit's code")
    adopted_on: IsoDate | None = Field(None, description="default: today (movement time zone)")
    note: str = ""


class WithdrawIn(Schema):
    model_config = ConfigDict(extra="forbid")
    withdrawn_on: IsoDate | None = None
    reason: str = ""


class PracticeOut(Schema):
    id: int
    movement: str
    unit: UnitRef
    key: str
    title: str
    text: str
    indicator: str = Field(..., description="the lead indicator: the first it names")
    indicators: list[str] = Field(..., description="every indicator it helped on, lead first")
    period: str
    adapted_from: int | None
    published_at: dt.datetime
    adopted_by: int = Field(..., description="units with a standing adoption")


class AdoptionOut(Schema):
    id: int
    practice: int
    unit: UnitRef
    adopted_on: dt.date
    note: str
    withdrawn: bool
    withdrawn_on: dt.date | None


class EffectOut(Schema):
    practice: int
    indicator: str
    days: int
    adopters: int
    comparison: int
    enough: bool = Field(..., description="false: too few units to compare; no numbers")
    adopters_before: Rate | None
    adopters_after: Rate | None
    comparison_before: Rate | None
    comparison_after: Rate | None
    adopters_change: Rate | None
    comparison_change: Rate | None
    difference: Rate | None
    caveat: str


class AttachmentOut(Schema):
    id: int
    practice: int
    name: str
    caption: str
    content_type: str = Field(..., description="as read from the content")
    size: int
    sha256: str
    added_at: dt.datetime
