"""What the API takes and gives for units, blocks and members."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict

from .models import Block, Member, Unit


class UnitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., max_length=64)
    name: str
    kind: str = Field(..., description="A kind code; unknown kinds are created")
    parent: str | None = Field(None, description="The parent unit's code; none makes a root")
    headcount: int = Field(0, ge=0)


def _whole_number_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class UnitImportRowIn(Schema):
    """One row of a unit import. Lenient on purpose: every row is checked by the import
    itself, which reports all bad rows at once with what was expected."""

    model_config = ConfigDict(extra="forbid")

    code: str = ""
    name: str = ""
    kind: str = ""
    parent: str = ""
    # Text or a whole number, checked by the import (one type, not a union: a union's errors
    # name its branches instead of the field).
    headcount: Annotated[str, BeforeValidator(_whole_number_as_text)] = "0"


class UnitImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    kinds_created: list[str]


class MoveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    parent: str = Field(..., description="The new parent's code")


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent: str | None
    depth: int
    headcount: int
    archived: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_kind(unit: Unit) -> str:
        return unit.kind.code

    @staticmethod
    def resolve_parent(unit: Unit) -> str | None:
        return unit.parent.code if unit.parent is not None else None


class BlockIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str
    description: str = ""
    units: list[str] = Field(default_factory=list, description="Unit codes")


class BlockUnitsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    units: list[str] = Field(..., description="Unit codes; replaces the block's units")


class BlockOut(Schema):
    code: str
    name: str
    description: str
    units: list[str]

    @staticmethod
    def resolve_units(block: Block) -> list[str]:
        # Reads the prefetched units: ordering in Python keeps the prefetch cache in use.
        return sorted(unit.code for unit in block.units.all())


class MemberIn(Schema):
    model_config = ConfigDict(extra="forbid")
    full_name: str
    external_id: str | None = Field(None, max_length=64)


class MemberOut(Schema):
    id: int
    unit: str
    full_name: str
    external_id: str | None
    joined_on: dt.date | None
    active: bool

    @staticmethod
    def resolve_unit(member: Member) -> str:
        return member.unit.code
