"""What the API takes and gives for the ledger: reports, corrections, ingest results."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from pacesetter.core.api import IsoDate
from pacesetter.movements.schemas import Quantity, QuantityIn

from .models import Report


class ReportIn(Schema):
    """One report. Lenient on purpose: every row is checked by the ingest, which answers with
    every bad row at once. Unknown fields are refused, so a misspelt field is not ignored."""

    model_config = ConfigDict(extra="forbid")

    unit: str = Field("", description="The unit's code")
    indicator: str = Field("", description="The indicator's code")
    day: str | None = Field(None, description="YYYY-MM-DD, in the movement's time zone")
    quantity: QuantityIn | None = None
    member: str | None = Field(None, description="A member's external id, optional")
    idempotency_key: str | None = Field(
        None,
        description="Send the same key again and the report is not counted twice. A key is "
        "yours alone: scoped to the movement and to the person (or token's owner) sending it, "
        "so the same key from another caller is another report",
    )
    corrects: int | None = Field(
        None, description="For a correction: the id of the report it corrects"
    )
    reason: str = Field("", description="Why; required with `corrects`")


class ReportsIn(BaseModel):
    """`{"reports": [...]}` with up to 10,000 reports, recorded all or none — or a single
    report object as the whole body, taken as a batch of one. (A plain pydantic model: ninja's
    Schema hands "before" validators a wrapped object rather than the body.)"""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "description": 'Either {"reports": [ReportIn, ...]} (up to 10,000, all or none) '
            "or one ReportIn object as the whole body."
        },
    )

    reports: list[ReportIn] = Field(..., description="Up to 10,000 reports, recorded all or none")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The body the validator accepts, documented as the union it is: clients generated
        # from the schema can then send a single report too.
        batch = handler.resolve_ref_schema(handler(core_schema))
        one = batch["properties"]["reports"]["items"]  # the reference to ReportIn
        return {"title": "ReportsIn", "oneOf": [batch, one]}

    @model_validator(mode="before")
    @classmethod
    def one_or_many(cls, data: Any) -> Any:
        # A single report is a batch of one; one schema (not a union) keeps each error's
        # location a plain row and field.
        if isinstance(data, dict) and "reports" not in data:
            return {"reports": [data]}
        return data


class RowResult(Schema):
    row: int
    id: int
    status: str = Field(..., description="created | replayed")


class ReportsRecorded(Schema):
    created: int
    replayed: int
    results: list[RowResult]


class CorrectionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    quantity: QuantityIn = Field(..., description="The value the report should have now")
    reason: str
    idempotency_key: str | None = None


class ReportOut(Schema):
    id: int
    unit: str
    indicator: str
    member: str | None
    day: dt.date
    quantity: Quantity = Field(
        ..., description="For a correction: the change it makes (new value − old value)"
    )
    source: str
    entered_by: str | None
    entered_at: dt.datetime
    idempotency_key: str
    verification: str = Field(
        ...,
        description="For an original: its verification state (unverified, verified at entry, "
        "or the latest decision: confirmed, corrected, rejected); see "
        "/reports/{id}/verification for the history",
    )
    corrects: int | None
    reason: str
    corrections: list[int] = Field(..., description="Ids of the corrections of this report")


class ReportPage(Schema):
    results: list[ReportOut]
    next: str | None = Field(..., description="The next page's address; null on the last page")


class ReportFiltersIn(Schema):
    unit: str | None = Field(None, description="A unit code: its own reports")
    subtree: bool = Field(False, description="With `unit`: also every unit below it")
    indicator: str | None = Field(None, description="An indicator code")
    day_from: IsoDate | None = None
    day_to: IsoDate | None = None
    source: str | None = Field(None, description=" | ".join(Report.Source.values))


# --- verification ---------------------------------------------------------------------------


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    decision: str = Field(..., description="confirm | correct | reject")
    quantity: QuantityIn | None = Field(
        None, description="With `correct`: the value the report should have"
    )
    reason: str = Field("", description="Required to correct or reject")


class DecisionOut(Schema):
    id: int
    report: int
    decision: str = Field(..., description="confirmed | corrected | rejected")
    reason: str
    correction: int | None = Field(..., description="The ledger entry a decision filed")
    sampled: bool = Field(..., description="Drawn by the random sample, not by a flag")
    decided_by: str
    decided_at: dt.datetime


class VerificationOut(Schema):
    report: int
    state: str = Field(
        ..., description="unverified | verified (at entry) | confirmed | corrected | rejected"
    )
    verified: bool
    decisions: list[DecisionOut] = Field(..., description="Oldest first")


class FlagOut(Schema):
    kind: str
    reason: str


class QueueItemOut(Schema):
    report: int
    unit: str
    indicator: str
    day: dt.date
    quantity: Quantity
    effective: Quantity = Field(..., description="The value it counts now, corrections included")
    corrections: int
    flags: list[FlagOut]
    sampled: bool


class QueueOut(Schema):
    flagged_waiting: int
    results: list[QueueItemOut]


class QueueFiltersIn(Schema):
    unit: str | None = Field(None, description="A unit code: its subtree only")
    indicator: str | None = Field(None, description="An indicator code")


class FlagRuleIn(Schema):
    """One kind's rule; a setting left out (or null) is the kind's default."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    threshold: QuantityIn | None = None
    window_days: int | None = None
    minimum: int | None = None


class FlagRulesIn(Schema):
    """The kinds to set; kinds left out keep their rule."""

    model_config = ConfigDict(extra="forbid")

    over_capacity: FlagRuleIn | None = Field(
        None, description="threshold: factor of the rated capacity per day (1.5)"
    )
    jump: FlagRuleIn | None = Field(
        None,
        description="threshold: factor of the unit's trailing median (3); window_days (28);"
        " minimum: reported days before the day (5)",
    )
    block_outlier: FlagRuleIn | None = Field(
        None, description="threshold: robust z-score in the block (3.5); minimum: units (5)"
    )
    late: FlagRuleIn | None = Field(None, description="threshold: days after the day (7)")
    corrections: FlagRuleIn | None = Field(
        None, description="threshold: corrections on a unit (3); window_days (30)"
    )
    heaping: FlagRuleIn | None = Field(
        None,
        description="threshold: share of round day totals (0.5); window_days (28);"
        " minimum: reported days (10)",
    )


class FlagRuleOut(Schema):
    enabled: bool
    threshold: Quantity
    window_days: int | None = None
    minimum: int | None = None


class FlagRulesOut(Schema):
    over_capacity: FlagRuleOut
    jump: FlagRuleOut
    block_outlier: FlagRuleOut
    late: FlagRuleOut
    corrections: FlagRuleOut
    heaping: FlagRuleOut
