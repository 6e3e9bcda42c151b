"""Reading reserves: lists filtered to what the actor may see, one reserve with its history,
the figures of a unit's subtree, and which transitions the actor may use."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from pacesetter.accounts.permissions import Actor, Capability, can, unit_filter
from pacesetter.movements.models import Movement
from pacesetter.units.models import Member, Unit

from . import domain
from .models import Reserve, ReserveLink, ReserveTotal


def reserves_for(
    actor: Actor,
    *,
    unit: Unit | None = None,
    status: str = "",
    kind: str = "",
) -> QuerySet[Reserve]:
    rows = Reserve.objects.filter(unit_filter(actor, Capability.VIEW)).select_related(
        "unit", "member", "indicator"
    )
    if unit is not None:
        rows = rows.filter(unit__path__startswith=unit.path)
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    return rows


def reserve_with_history(pk: int) -> Reserve:
    return (
        Reserve.objects.select_related("unit", "member", "indicator", "movement", "proposed_by")
        .prefetch_related("events")
        .get(pk=pk)
    )


def allowed_verbs(actor: Actor, reserve: Reserve) -> list[str]:
    """The transitions the actor may use on the reserve now (state and permission)."""
    verbs = []
    for verb in domain.VERBS:
        if domain.transition_error(verb, reserve.status):
            continue
        capability = Capability.VERIFY if verb == "verify" else Capability.PLAN
        if not can(actor, capability, reserve.unit, reserve.movement):
            continue
        if verb == "verify" and actor.user is not None and reserve.proposed_by_id == actor.user.pk:
            continue
        verbs.append(verb)
    return verbs


@dataclass
class MeasureFigures:
    measure: str
    proposed: int = 0
    implemented: int = 0
    verified: int = 0
    estimated_saving: Decimal = Decimal(0)
    verified_saving: Decimal = Decimal(0)


@dataclass
class Figures:
    unit: Unit
    members: int = 0
    members_verified: int = 0
    members_repeat: int = 0
    measures: list[MeasureFigures] = field(default_factory=list)

    @property
    def proposed(self) -> int:
        return sum(m.proposed for m in self.measures)

    @property
    def implemented(self) -> int:
        return sum(m.implemented for m in self.measures)

    @property
    def verified(self) -> int:
        return sum(m.verified for m in self.measures)

    @property
    def share_verified(self) -> Decimal | None:
        return domain.share(self.members_verified, self.members)

    @property
    def share_repeat(self) -> Decimal | None:
        return domain.share(self.members_repeat, self.members)


def figures(unit: Unit) -> Figures:
    """The subtree figures of `unit`, read from the maintained totals (two queries)."""
    result = Figures(unit=unit)
    for total in ReserveTotal.objects.filter(unit=unit).order_by("measure"):
        if total.measure == "":
            result.members_verified = total.members_verified
            result.members_repeat = total.members_repeat
            continue
        result.measures.append(
            MeasureFigures(
                total.measure,
                total.proposed,
                total.implemented,
                total.verified,
                total.estimated_saving,
                total.verified_saving,
            )
        )
    result.members = Member.objects.filter(unit__path__startswith=unit.path).count()
    return result


def links_covering(reserve: Reserve) -> list[ReserveLink]:
    """The links that count `reserve` toward an indicator: of its movement, or — a reserve
    without a movement — of a launched movement whose scope holds its unit (one query)."""
    links = ReserveLink.objects.filter(kind=reserve.kind, measure=reserve.measure)
    if reserve.movement_id is not None:
        links = links.filter(movement_id=reserve.movement_id)
    else:
        lineage = reserve.unit.lineage_ids
        links = links.filter(
            Q(movement__scope__in=lineage)
            | Q(movement__scope__isnull=True, movement__organiser__in=lineage),
            movement__status=Movement.Status.LAUNCHED,
        )
    return list(links.select_related("movement", "indicator").distinct().order_by("id"))


def links_of(movement: Movement) -> list[ReserveLink]:
    """A movement's links with their indicators (one query)."""
    return list(ReserveLink.objects.filter(movement=movement).select_related("indicator"))
