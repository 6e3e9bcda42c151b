"""What the titles API takes and gives. An explanation is a tree of conditions: label,
passed, the facts used (value, sources with links), the shortfall, children."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict


class TitleOut(Schema):
    code: str
    name: str
    subject: str


class PackOut(Schema):
    slug: str
    name: str
    description: str
    revision: int | None
    titles: list[TitleOut]


class PackIn(Schema):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., description="The pack as YAML or JSON", max_length=500_000)


class FactsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, str]] = Field(
        ...,
        description="Rows of text fields: `member` (external id) or `unit` (code), then the kind's columns",
        max_length=100_000,
    )
    source: str = Field(
        ..., description="Where the rows come from, kept with each fact", max_length=200
    )


class FactsWritten(Schema):
    recorded: int


class RunIn(Schema):
    model_config = ConfigDict(extra="forbid")
    pack: str
    title: str
    year: int | None = Field(
        None, ge=1900, le=2200, description="The year judged (not for a title judged per period)"
    )
    scope: str = Field(..., description="Code of the unit whose members or units are judged")
    movement: str | None = Field(None, description="Slug of the movement whose figures count")
    period: str | None = Field(
        None,
        description="Name of the movement's period judged, for a title judged per period "
        "(the run's year is then the year the period ends in)",
    )


class CapGroupOut(Schema):
    group: str
    base: int
    allowed: int | None
    eligible: int
    selected: int
    text: str
    competing: bool = Field(
        False,
        description="More qualify than the cap allows and the rules state no order: every "
        "eligible candidate of the group competes for the `allowed` places, none is selected by "
        "the engine; the council's vote or the awarding body chooses",
    )


class RunOut(Schema):
    id: int
    pack: str
    title: str
    year: int
    scope: str
    movement: str | None
    period: str | None = Field(None, description="The period judged, for a title judged per period")
    pack_revision: int
    rule_version: str
    candidates: int
    eligible: int
    selected: int
    cap: list[CapGroupOut]
    seconds: str


class CandidateOut(Schema):
    id: int
    member: str | None = Field(None, description="The member's external id, for a person")
    name: str
    unit: str
    eligible: bool
    selected: bool
    position: int | None = Field(None, description="Place in the ranking within the cap")
    competing_for: int | None = Field(
        None,
        description="The places this candidate competes for, when more qualify than the cap "
        "allows and the rules state no order (the council or awarding body chooses)",
    )
    why_not: list[str]
    conditions: int = Field(0, description="How many conditions of the rule version were judged")
    conditions_missed: int = Field(0, description="How many of them the candidate missed")


class CandidateDetailOut(CandidateOut):
    run: int
    explanation: dict[str, Any]


class VoteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    choice: str = Field(..., description="yes, no or abstain")


class NominationOut(Schema):
    id: int
    candidate: int
    status: str
    council_size: int
    yes: int
    no: int
    abstain: int
    result: str
    award: str | None = Field(None, description="The award's verification code once awarded")


class RevokeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1, max_length=2000)
    revoked_on: dt.date


class RevocationOut(Schema):
    award: str
    title: str
    holder: str
    reason: str
    revoked_on: dt.date


class AwardsImportIn(Schema):
    model_config = ConfigDict(extra="forbid")
    pack: str = Field(..., description="The slug of the loaded rule pack")
    rows: list[dict[str, str]] = Field(
        ...,
        description="Rows of text fields: `member` (external id) or `unit` (code), `title` "
        "(a code of the pack's titles), `year`, `awarding_body`, `decision_number`, "
        "`decision_date` (YYYY-MM-DD), optional `signer_name`, `signer_position`, `note`",
        max_length=100_000,
    )
    source: str = Field(..., description="Where the rows come from", max_length=200)
    dry_run: bool = Field(
        False, description="Check and answer what would be imported; keep nothing"
    )


class ImportedAwardOut(Schema):
    row: int
    subject: str
    unit: str
    title: str
    title_name: str
    year: int
    times: int
    decision: str


class AwardsImportOut(Schema):
    created: list[ImportedAwardOut]
    unchanged: int = Field(..., description="Rows already imported before (left as they are)")
    codes: list[str] = Field(..., description="Verification codes of the awards created")
    dry_run: bool


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(..., max_length=80, description="The decision's number")
    decided_on: dt.date
    awarding_body: str = Field(..., max_length=200)
    signer_name: str = Field(..., max_length=200)
    signer_position: str = Field(..., max_length=200)


class DecisionOut(Schema):
    number: str
    decided_on: dt.date
    awarding_body: str
    signer_name: str
    signer_position: str


class VerifyOut(Schema):
    code: str
    valid: bool = Field(..., description="Final (its decision recorded) and not revoked")
    final: bool
    imported: bool = Field(..., description="Imported from the body's history")
    decision: DecisionOut | None
    title: str
    holder: str
    unit: str
    year: int
    movement: str | None
    period: str | None = Field(None, description="The period won in, for a title judged per period")
    awarded_on: dt.date
    awarding_body: str
    rule_version: str
    revoked_on: dt.date | None
    revocation_reason: str | None


class AttachmentOut(Schema):
    id: int
    nomination: int
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    added_at: dt.datetime
    added_by: str | None
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str
    url: str = Field(..., description="where those who may see the nomination download it")


class WithdrawAttachmentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1, max_length=300)
