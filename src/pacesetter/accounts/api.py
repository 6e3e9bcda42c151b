"""The accounts API: a person's own API tokens, and role grants on the unit tree."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from pacesetter.core.errors import NotAllowed, RowError, ValidationFailed
from pacesetter.core.pagination import Pagination
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.api import movement_or_404
from pacesetter.units.api import MAX_PAGE, unit_for_field

from . import actions, selectors
from .models import Grant, TokenScope
from .permissions import Capability, current_actor, may_manage_people
from .schemas import (
    GrantIn,
    GrantOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserCreated,
    UserIn,
    UserOut,
    UserPatch,
)
from .views import set_password_link

router = Router(tags=["accounts"])


def _me():
    """The signed-in user (the API authenticates every call). A token narrower than "full"
    may not manage tokens: a read-only key must not mint a stronger one."""
    actor = current_actor()
    if actor.token is not None and actor.token.scope != TokenScope.FULL:
        raise NotAllowed("Only a session or a token with full scope manages tokens.")
    return actor.user


@router.get("/tokens", response={200: list[TokenOut], **READ_REFUSALS})
def list_tokens(request: HttpRequest):
    """Your own API tokens, newest first (keys are never shown again)."""
    return list(selectors.tokens_of(user=_me()))


@router.post("/tokens", response={201: TokenCreated, **WRITE_REFUSALS})
def create_token(request: HttpRequest, payload: TokenIn):
    """Create a token for yourself. The answer carries the whole key, this once."""
    token, key = actions.create_token(
        user=_me(),
        name=payload.name,
        scope=payload.scope,
        expires_at=payload.expires_at,
    )
    token.key = key  # type: ignore[attr-defined]
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **WRITE_REFUSALS})
def revoke_token(request: HttpRequest, token_id: int):
    """Revoke one of your tokens for good."""
    token = selectors.tokens_of(user=_me()).filter(pk=token_id).first()
    if token is None:
        raise Http404(f"You have no token {token_id}.")
    return actions.revoke_token(token=token)


@router.get("/grants", response={200: list[GrantOut], **READ_REFUSALS})
@paginate(Pagination, max_limit=MAX_PAGE)
def list_grants(
    request: HttpRequest,
    unit: str | None = Query(None, description="A unit code: grants on it and below"),
    include_withdrawn: bool = False,
):
    """Roles you may manage (on units where you may grant) and your own."""
    return selectors.grants_visible_to(
        current_actor(),
        unit=unit_for_field(unit, field="unit") if unit else None,
        include_withdrawn=include_withdrawn,
    )


@router.post("/grants", response={201: GrantOut, **WRITE_REFUSALS})
def grant_role(request: HttpRequest, payload: GrantIn):
    """Give a person a role on a unit's subtree (for one movement, or all). Needs the right to
    grant there; only organisers make organisers and council members."""
    user = get_user_model().objects.filter(username=payload.username, is_active=True).first()
    if user is None:
        raise ValidationFailed(
            f"No active user {payload.username!r}.",
            errors=[RowError(1, "username", "no active user by this name", "not_found")],
        )
    unit = unit_for_field(payload.unit, field="unit", capability=Capability.GRANT)
    movement = movement_or_404(payload.movement) if payload.movement else None
    grant = actions.grant_role(user=user, role=payload.role, unit=unit, movement=movement)
    return Status(201, _grant(grant.pk))


@router.post("/grants/{grant_id}/withdraw", response={200: GrantOut, **WRITE_REFUSALS})
def withdraw_grant(request: HttpRequest, grant_id: int):
    """Withdraw a standing grant; it stays on record with who withdrew it and when."""
    grant = _grant(grant_id)
    actions.withdraw_grant(grant=grant)
    return _grant(grant_id)


def _grant(grant_id: int) -> Grant:
    grant = (
        selectors.grants_visible_to(current_actor(), include_withdrawn=True)
        .filter(pk=grant_id)
        .first()
    )
    if grant is None:
        raise Http404(f"No grant {grant_id}.")
    return grant


# --- people --------------------------------------------------------------------------------


@router.post("/users", response={201: UserCreated, **WRITE_REFUSALS})
def create_user(request: HttpRequest, payload: UserIn):
    """Add a person (organisers and operators). Without a password, the answer carries a
    one-time link with which they set their own; it is not shown again."""
    user = actions.create_user(
        username=payload.username,
        full_name=payload.full_name,
        email=payload.email,
        password=payload.password,
    )
    if not user.has_usable_password():
        user.set_password_link = set_password_link(request, user)  # type: ignore[attr-defined]
    return Status(201, user)


def _person(username: str):
    if not may_manage_people(current_actor()):
        raise NotAllowed("Only organisers manage people.")
    person = selectors.people_visible_to(current_actor()).filter(username=username).first()
    if person is None:
        raise Http404(f"No person {username!r} here.")
    return person


@router.post("/users/{username}/deactivate", response={200: UserOut, **WRITE_REFUSALS})
def deactivate_user(request: HttpRequest, username: str):
    """Switch an account off: no sign-in, no token; roles and history stay."""
    return actions.deactivate_user(user=_person(username))


@router.post("/users/{username}/reactivate", response={200: UserOut, **WRITE_REFUSALS})
def reactivate_user(request: HttpRequest, username: str):
    """Switch a deactivated account back on."""
    return actions.reactivate_user(user=_person(username))


@router.patch("/users/{username}", response={200: UserOut, **WRITE_REFUSALS})
def update_user(request: HttpRequest, username: str, payload: UserPatch):
    """Change a person's name or email; a field left out stays as it is."""
    return actions.update_user(user=_person(username), name=payload.full_name, email=payload.email)
