"""Who may do what, in one place.

Every role is granted on a unit and holds for that unit's whole subtree, for one movement or
for all. A role is a set of capabilities; views, API endpoints, CLI commands and background
tasks ask this module, and only this module, whether the current actor has a capability on a
unit, and filter their querysets with `unit_filter` so a list can never leak a row.

The current actor lives in a context variable: middleware sets it for each web request, the
API's token authentication replaces it with the token's (narrower) actor, the CLI sets it from
`--as USER`, and code running outside any of these (the demo, the benchmark, tests calling
actions directly) acts as the system, which may do everything.

Outcomes: `require` raises Http404 when the actor may not even see the unit (a 403 would tell
them it exists) and NotAllowed (403) when they see it but may not do this to it.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.http import Http404

from pacesetter.core.errors import NotAllowed

from .models import Grant, Role, TokenScope

if TYPE_CHECKING:
    from pacesetter.movements.models import Movement
    from pacesetter.units.models import Unit

    from .models import ApiToken


class Capability(enum.StrEnum):
    VIEW = "view"  # see the subtree's figures, reports, rankings
    REPORT = "report"  # record reports and corrections
    VERIFY = "verify"  # confirm or correct flagged figures
    PLAN = "plan"  # set plans, register pledges, publish experience
    ORGANISE = "organise"  # call, launch and close movements; indicators, blocks, rules, titles
    MANAGE_UNITS = "manage_units"  # create, import, move and archive units; blocks; members
    GRANT = "grant"  # give and withdraw roles below
    VOTE = "vote"  # vote on title nominations
    PARTICIPATE = "participate"  # volunteer, donate, propose reserves, raise requests
    AUDIT = "audit"  # read the audit trail
    VISIT = "visit"  # record visits to units (an official's field visits) and their follow-ups


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ORGANISER: frozenset(
        {C.VIEW, C.REPORT, C.VERIFY, C.PLAN, C.ORGANISE, C.MANAGE_UNITS, C.GRANT, C.AUDIT}
        | {C.PARTICIPATE, C.VISIT}
    ),
    Role.UNIT_HEAD: frozenset({C.VIEW, C.REPORT, C.PLAN, C.GRANT, C.PARTICIPATE, C.VISIT}),
    Role.REPORTER: frozenset({C.VIEW, C.REPORT}),
    Role.VERIFIER: frozenset({C.VIEW, C.VERIFY}),
    Role.COUNCIL_MEMBER: frozenset({C.VIEW, C.VOTE}),
    Role.MEMBER: frozenset({C.VIEW, C.PARTICIPATE}),
    Role.VIEWER: frozenset({C.VIEW}),
}

# A token never carries more than its user has; its scope narrows that further.
TOKEN_SCOPE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    TokenScope.READ: frozenset({C.VIEW}),
    TokenScope.REPORT: frozenset({C.VIEW, C.REPORT}),
    TokenScope.FULL: frozenset(Capability),
}

# Who may hand out which role: the granter needs GRANT on the unit, and organisers alone make
# organisers (a unit head appoints reporters, verifiers, members and viewers below them).
ROLES_A_UNIT_HEAD_GRANTS = frozenset(
    {Role.UNIT_HEAD, Role.REPORTER, Role.VERIFIER, Role.MEMBER, Role.VIEWER}
)

EVERYWHERE = "/"


@dataclass(frozen=True, slots=True)
class GrantFact:
    role: str
    path: str
    movement_id: int | None


@dataclass(eq=False)
class Actor:
    """Who is acting: a user (perhaps through a token), an anonymous visitor, or the system.
    Carries where the request came from, for the audit trail."""

    user: Any = None
    token: ApiToken | None = None
    is_system: bool = False
    ip: str | None = None
    user_agent: str = ""
    _grants: list[GrantFact] | None = field(default=None, repr=False)

    @property
    def is_authenticated(self) -> bool:
        return self.is_system or (self.user is not None and self.user.is_authenticated)

    @property
    def is_operator(self) -> bool:
        """Superusers run the installation: every right, like the system, but still audited
        under their own name and still narrowed by a token's scope."""
        return self.is_authenticated and bool(getattr(self.user, "is_superuser", False))

    @property
    def label(self) -> str:
        if self.is_system:
            return "system"
        if not self.is_authenticated:
            return "anonymous"
        name = self.user.get_username()
        return f"{name} (token {self.token.name})" if self.token is not None else name

    def grants(self) -> list[GrantFact]:
        """The actor's standing grants, read once per actor (one query)."""
        if self._grants is None:
            if self.is_system or not self.is_authenticated:
                self._grants = []
            else:
                self._grants = [
                    GrantFact(role, path, movement_id)
                    for role, path, movement_id in Grant.objects.filter(
                        user=self.user, withdrawn_at__isnull=True
                    ).values_list("role", "unit__path", "movement_id")
                ]
        return self._grants

    def _token_allows(self, capability: Capability) -> bool:
        return self.token is None or capability in TOKEN_SCOPE_CAPABILITIES[self.token.scope]

    def paths(self, capability: Capability, movement: Movement | int | None = None) -> list[str]:
        """The unit subtrees (paths) where the actor has `capability`, as a minimal set (no
        path inside another). ["/"] means everywhere; [] nowhere. `movement=None` counts
        grants for any movement."""
        if not self._token_allows(capability):
            return []
        if self.is_system or self.is_operator:
            return [EVERYWHERE]
        movement_id = getattr(movement, "pk", movement)
        found = sorted(
            {
                grant.path
                for grant in self.grants()
                if capability in ROLE_CAPABILITIES[grant.role]
                and (
                    movement_id is None
                    or grant.movement_id is None
                    or grant.movement_id == movement_id
                )
            }
        )
        minimal: list[str] = []
        for path in found:  # sorted, so an ancestor comes before its descendants
            if not any(path.startswith(kept) for kept in minimal):
                minimal.append(path)
        return minimal

    def roles_on(self, unit: Unit, movement: Movement | None = None) -> set[str]:
        """The roles the actor holds that cover `unit` (for display)."""
        movement_id = getattr(movement, "pk", None)
        return {
            grant.role
            for grant in self.grants()
            if unit.path.startswith(grant.path)
            and (movement_id is None or grant.movement_id in (None, movement_id))
        }


SYSTEM = Actor(is_system=True)
ANONYMOUS = Actor()

_current: ContextVar[Actor] = ContextVar("pacesetter_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Run a block as `actor` (a request, a CLI command, a background task)."""
    reset = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(reset)


def become(actor: Actor) -> None:
    """Make `actor` current for the rest of this context: the API's token authentication
    narrows the request's actor to the token. The request middleware restores the previous
    actor when the request ends."""
    _current.set(actor)


def actor_for(user: Any, *, token: ApiToken | None = None, request: Any = None) -> Actor:
    ip = user_agent = None
    if request is not None:
        ip = request.META.get("REMOTE_ADDR") or None
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    if user is None or not user.is_authenticated or not user.is_active:
        return Actor(ip=ip, user_agent=user_agent or "")
    return Actor(user=user, token=token, ip=ip, user_agent=user_agent or "")


def _path_of(unit: Unit | str) -> str:
    return unit if isinstance(unit, str) else unit.path


def can(
    actor: Actor, capability: Capability, unit: Unit | str, movement: Movement | None = None
) -> bool:
    path = _path_of(unit)
    return any(path.startswith(granted) for granted in actor.paths(capability, movement))


def may_take_part(actor: Actor, unit: Unit | str, movement: Movement | None = None) -> bool:
    """A member's own part in a unit (propose a reserve, raise a voice): PARTICIPATE, or
    REPORT — whoever reports for a unit speaks for it too."""
    return can(actor, Capability.PARTICIPATE, unit, movement) or can(
        actor, Capability.REPORT, unit, movement
    )


def require_taking_part(actor: Actor, unit: Unit | str, movement: Movement | None = None) -> None:
    """As `require`, for a member's own part in a unit (see `may_take_part`)."""
    if not may_take_part(actor, unit, movement):
        require(actor, Capability.PARTICIPATE, unit, movement)


def require(
    actor: Actor, capability: Capability, unit: Unit | str, movement: Movement | None = None
) -> None:
    """Return if the actor may; else 404 when they may not even see the unit, 403 otherwise."""
    if can(actor, capability, unit, movement):
        return
    if capability is not Capability.VIEW and can(actor, Capability.VIEW, unit, movement):
        raise NotAllowed(f"You may not {capability.value.replace('_', ' ')} here.")
    raise Http404("No such unit here.")


def unit_filter(
    actor: Actor,
    capability: Capability,
    movement: Movement | None = None,
    field: str = "unit",
) -> Q:
    """A filter for any queryset with a foreign key `field` to Unit ("" for Unit itself) that
    keeps only rows in the subtrees where the actor has `capability`."""
    paths = actor.paths(capability, movement)
    if EVERYWHERE in paths:
        return Q()
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    if not paths:
        return Q(**{f"{field}__pk__in" if field else "pk__in": []})
    query = Q()
    for path in paths:
        query |= Q(**{lookup: path})
    return query


def _overlaps(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def can_see_movement(actor: Actor, movement: Movement, scope_paths: Iterable[str]) -> bool:
    """A movement is visible when it is public, or its organising unit or its scope overlaps a
    subtree the actor may view (their unit inside the scope, or the scope inside their unit)."""
    if movement.is_public:
        return True
    paths = actor.paths(Capability.VIEW, movement)
    mine = [movement.organiser.path, *scope_paths]
    return any(_overlaps(theirs, path) for theirs in mine for path in paths)


def movement_filter(actor: Actor) -> Q:
    """A filter on Movement keeping what the actor may see (see `can_see_movement`)."""
    paths = actor.paths(Capability.VIEW)
    if EVERYWHERE in paths:
        return Q()
    query = Q(is_public=True)
    for path in paths:
        lineage = [int(part) for part in path.strip("/").split("/")]
        query |= (
            Q(scope__path__startswith=path)
            | Q(scope__pk__in=lineage)
            | Q(organiser__path__startswith=path)
            | Q(organiser__pk__in=lineage)
        )
    return query


def require_on_movement(
    actor: Actor, capability: Capability, movement: Movement, scope_paths: Iterable[str]
) -> None:
    """For acts on a movement as a whole (launch, close, indicators, periods): the actor needs
    `capability` on the movement's organising unit. 404 if they cannot see the movement at
    all, else 403."""
    if can(actor, capability, movement.organiser, movement):
        return
    if can_see_movement(actor, movement, scope_paths):
        raise NotAllowed(f"You may not {capability.value.replace('_', ' ')} this movement.")
    raise Http404("No such movement.")


def can_see_figures(actor: Actor, unit: Unit, movement: Movement) -> bool:
    """A unit's figures in a movement: public movements show every unit's figures (the honour
    board does); otherwise the actor needs VIEW on the unit. The movement's own totals (its
    organising unit) are seen by everyone who sees the movement."""
    return (
        movement.is_public or unit.pk == movement.organiser_id or can(actor, C.VIEW, unit, movement)
    )


def can_grant(actor: Actor, role: str, unit: Unit, movement: Movement | int | None = None) -> bool:
    """Grants are given by an organiser or unit head on or above the unit; only organisers
    make organisers and council members. A grant for one movement is given only by someone
    whose own role covers that movement; a grant for every movement only by someone whose
    role does (a unit head for one movement cannot hand out roles in the others)."""
    movement_id = getattr(movement, "pk", movement)

    def holds(capability: Capability) -> bool:
        if not actor._token_allows(capability):
            return False
        if actor.is_system or actor.is_operator:
            return True
        path = _path_of(unit)
        return any(
            capability in ROLE_CAPABILITIES[grant.role]
            and path.startswith(grant.path)
            and (grant.movement_id is None or grant.movement_id == movement_id)
            for grant in actor.grants()
        )

    if not holds(Capability.GRANT):
        return False
    return role in ROLES_A_UNIT_HEAD_GRANTS or holds(Capability.ORGANISE)


def may_manage_people(actor) -> bool:
    """Organisers (the right to grant and to organise, somewhere) and operators add people;
    a unit head appoints from the people who exist, but does not create accounts."""
    if actor.is_system or actor.is_operator:
        return True
    return bool(actor.paths(Capability.GRANT)) and bool(actor.paths(Capability.ORGANISE))
