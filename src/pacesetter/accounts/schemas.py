"""What the API takes and gives for tokens and role grants."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from .models import Grant, Role, TokenScope


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., max_length=100, description="What the token is for")
    scope: TokenScope = Field(
        TokenScope.READ, description="read, report (read and report), or full (all my rights)"
    )
    expires_at: dt.datetime | None = Field(None, description="When it stops working; none: never")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="ps_ and these characters start the key")
    scope: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    @staticmethod
    def resolve_prefix(token) -> str:
        return token.key_prefix


class TokenCreated(TokenOut):
    key: str = Field(..., description="The whole key. Shown this once; store it now.")


class GrantIn(Schema):
    model_config = ConfigDict(extra="forbid")
    username: str
    role: Role
    unit: str = Field(..., description="The unit code; the role holds for its whole subtree")
    movement: str | None = Field(None, description="A movement slug; none: every movement")


class GrantOut(Schema):
    id: int
    username: str
    role: str
    unit: str
    movement: str | None
    granted_by: str | None
    granted_at: dt.datetime
    withdrawn_by: str | None
    withdrawn_at: dt.datetime | None

    @staticmethod
    def resolve_username(grant: Grant) -> str:
        return grant.user.get_username()

    @staticmethod
    def resolve_unit(grant: Grant) -> str:
        return grant.unit.code

    @staticmethod
    def resolve_movement(grant: Grant) -> str | None:
        return grant.movement.slug if grant.movement_id else None

    @staticmethod
    def resolve_granted_by(grant: Grant) -> str | None:
        return grant.granted_by.get_username() if grant.granted_by_id else None

    @staticmethod
    def resolve_withdrawn_by(grant: Grant) -> str | None:
        return grant.withdrawn_by.get_username() if grant.withdrawn_by_id else None


class UserIn(Schema):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(..., max_length=150)
    full_name: str = Field(..., max_length=150)
    email: str = ""
    password: str | None = Field(
        None, description="An initial password; none: the answer carries a set-password link"
    )


class UserPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(None, max_length=150, description="None: unchanged")
    email: str | None = Field(None, max_length=254, description="None: unchanged; empty: none")


class UserOut(Schema):
    username: str
    full_name: str
    email: str
    is_active: bool

    @staticmethod
    def resolve_full_name(user) -> str:
        return user.get_full_name()


class UserCreated(UserOut):
    set_password_link: str | None = Field(
        None, description="Without a password: a link that sets it, once. Shown this once."
    )
