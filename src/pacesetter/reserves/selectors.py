"""Reading reserves: lists filtered to what the actor may see, one reserve with its history,
the figures of a unit's subtree, and which transitions the actor may use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from pacesetter.accounts.permissions import Actor, Capability, can, unit_filter
from pacesetter.core.facts import RecognisedInitiative
from pacesetter.movements.models import Movement
from pacesetter.units.models import Member, Unit

from . import domain
from .models import Kind, Reserve, ReserveLink, ReserveTotal, Status


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


_CHUNK = 10_000


def recognised_initiatives(
    *,
    member_ids: Sequence[int],
    unit_ids: Sequence[int],
    scope_path: str | None,
    first: dt.date,
    last: dt.date,
) -> Iterator[RecognisedInitiative]:
    """Verified reserves as recognised initiatives (registered with core.facts in
    ReservesConfig.ready): of these members and units — or of every one under
    `scope_path` — verified from `first` to `last`, one query (per 10,000 ids)."""
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    verified = Reserve.objects.filter(
        status=Status.VERIFIED, verified_at__gte=since, verified_at__lt=until
    )
    if scope_path is not None:
        wheres = [Q(unit__path__startswith=scope_path)]
    else:
        wheres = [
            Q(member_id__in=member_ids[i : i + _CHUNK]) for i in range(0, len(member_ids), _CHUNK)
        ] + [Q(unit_id__in=unit_ids[i : i + _CHUNK]) for i in range(0, len(unit_ids), _CHUNK)]
    seen: set[int] = set()  # a reserve of a member of a unit judged too comes once
    for where in wheres:
        rows = verified.filter(where).values_list(
            "pk", "member_id", "unit_id", "recognised_scope", "verified_at", "description"
        )
        for pk, member_id, unit_id, scope, verified_at, description in rows:
            if pk in seen:
                continue
            seen.add(pk)
            short = description if len(description) <= 60 else description[:59] + "…"
            yield RecognisedInitiative(
                member_id=member_id,
                unit_id=unit_id,
                scope=scope or "unit",
                recognised_on=timezone.localtime(verified_at, zone).date(),
                label=f"verified reserve {pk} “{short}”",
                url=reverse("reserves-detail", args=[pk]),
            )


@dataclass(frozen=True)
class KindSaving:
    kind: str
    label: str
    measure: str
    reserves: int
    verified_saving: Decimal


def savings_by_kind(unit: Unit) -> list[KindSaving]:
    """What the subtree's verified reserves saved, per kind and measure (one query over the
    subtree's verified reserves)."""
    rows = (
        Reserve.objects.filter(status=Status.VERIFIED, unit__path__startswith=unit.path)
        .values("kind", "measure")
        .annotate(reserves=Count("id"), saving=Sum("verified"))
        .order_by("kind", "measure")
    )
    labels = dict(Kind.choices)
    return [
        KindSaving(
            row["kind"],
            labels.get(row["kind"], row["kind"]),
            row["measure"],
            row["reserves"],
            row["saving"] or Decimal(0),
        )
        for row in rows
    ]
