"""Reads for experience pages and endpoints, each in a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from pacesetter.figures.selectors import IndicatorFigures, unit_figures
from pacesetter.ledger.models import SubtreeDailyTotal
from pacesetter.movements.models import Indicator, Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Block, Unit

from . import domain, text
from .models import Adoption, Practice, PracticeAttachment, PracticeIndicator

MEMBERSHIP = Block.units.through
# A chain longer than this is not walked further (it is shown cut, with a note).
CHAIN_LIMIT = 50


def practices_of(movement: Movement, *, unit: Unit | None = None) -> QuerySet[Practice]:
    """The movement's practices with their standing adoptions counted (one query)."""
    found = Practice.objects.filter(movement=movement)
    if unit is not None:
        found = found.filter(unit=unit)
    return (
        found.select_related("movement", "unit", "indicator", "period")
        .prefetch_related(
            Prefetch(
                "indicator_links",
                queryset=PracticeIndicator.objects.select_related("indicator").order_by("position"),
            )
        )
        .annotate(adopted_by=Count("adoptions", filter=Q(adoptions__withdrawn=False)))
    )


def indicators_of(practice: Practice) -> list[Indicator]:
    """The indicators the practice helped on, its lead first (one query, none if prefetched)."""
    return [link.indicator for link in practice.indicator_links.all()]


def practice_or_none(practice_id: int) -> Practice | None:
    """The practice with its indicators (two queries)."""
    return (
        Practice.objects.select_related(
            "movement", "movement__organiser", "unit", "indicator", "period", "published_by"
        )
        .prefetch_related(
            Prefetch(
                "indicator_links",
                queryset=PracticeIndicator.objects.select_related("indicator").order_by("position"),
            )
        )
        .filter(pk=practice_id)
        .first()
    )


def standing_adoptions(practice: Practice) -> list[Adoption]:
    return list(
        Adoption.objects.filter(practice=practice, withdrawn=False)
        .select_related("unit", "adopted_by")
        .order_by("adopted_on", "pk")
    )


def withdrawn_adoptions(practice: Practice) -> list[Adoption]:
    return list(
        Adoption.objects.filter(practice=practice, withdrawn=True)
        .select_related("unit", "withdrawal")
        .order_by("adopted_on", "pk")
    )


def attachments_of(practice: Practice) -> list[PracticeAttachment]:
    return list(PracticeAttachment.objects.filter(practice=practice).order_by("added_at", "pk"))


def figures_beside(practice: Practice) -> list[IndicatorFigures]:
    """The publishing unit's figures on each of the practice's indicators over its period,
    from the maintained aggregates (figures.unit_figures, 7 queries for all of them)."""
    return unit_figures(
        unit=practice.unit,
        movement=practice.movement,
        period=practice.period,
        indicators=indicators_of(practice),
        with_daily=False,
    )


def comparison_units(practice: Practice, adopter_ids: list[int]) -> list[int]:
    """Units sharing a block with an adopter that have not adopted (nor withdrawn) the
    practice, the publisher left out: it is the source, not a comparison (one query)."""
    if not adopter_ids:
        return []
    blocks = MEMBERSHIP.objects.filter(unit_id__in=adopter_ids).values("block_id")
    excluded = set(
        Adoption.objects.filter(practice=practice).values_list("unit_id", flat=True)
    )  # adopters, standing or withdrawn, are never a comparison
    return sorted(
        set(
            MEMBERSHIP.objects.filter(block_id__in=blocks, unit__archived=False)
            .exclude(unit_id__in=[*excluded, practice.unit_id])
            .values_list("unit_id", flat=True)
        )
    )


def effect_of(
    practice: Practice,
    adoptions: list[Adoption],
    *,
    days: int = domain.DEFAULT_DAYS,
    today: dt.date | None = None,
    indicator: Indicator | None = None,
) -> domain.Effect:
    """The effect on one indicator (default: the practice's lead); see effects_of."""
    indicator = indicator or practice.indicator
    return effects_of(practice, adoptions, [indicator], days=days, today=today)[0][1]


def effects_of(
    practice: Practice,
    adoptions: list[Adoption],
    indicators: list[Indicator],
    *,
    days: int = domain.DEFAULT_DAYS,
    today: dt.date | None = None,
) -> list[tuple[Indicator, domain.Effect]]:
    """The difference-in-differences of domain.measure over the standing adoptions, on each
    indicator, from the per-day subtree totals (ledger.SubtreeDailyTotal): 3 queries,
    whatever the number of units and of indicators."""
    today = today or movement_today(practice.movement)
    adopter_ids = [a.unit_id for a in adoptions]
    comparison = comparison_units(practice, adopter_ids)
    daily: dict[int, dict[tuple[int, dt.date], Decimal]] = {i.pk: {} for i in indicators}
    if adoptions and comparison and indicators:
        by_id = {i.pk: i for i in indicators}
        first = min(a.adopted_on for a in adoptions) - dt.timedelta(days=days)
        last = max(a.adopted_on for a in adoptions) + dt.timedelta(days=days)
        for indicator_id, unit_id, day, quantity in SubtreeDailyTotal.objects.filter(
            indicator_id__in=by_id,
            unit_id__in=[*adopter_ids, *comparison],
            day__gte=first,
            day__lte=min(last, today),
        ).values_list("indicator_id", "unit_id", "day", "quantity_minor"):
            daily[indicator_id][(unit_id, day)] = by_id[indicator_id].quantity(quantity)
    return [
        (
            indicator,
            domain.measure(
                adoptions=[(a.unit_id, a.adopted_on) for a in adoptions],
                comparison=comparison,
                daily=daily[indicator.pk],
                today=today,
                days=days,
            ),
        )
        for indicator in indicators
    ]


@dataclass
class Chain:
    sources: list[Practice]  # oldest first, ending with the practice's direct source
    adaptations: list[Practice]  # every practice adapted from this one, however far down
    units_reached: int
    cut: bool


def chain_of(practice: Practice) -> Chain:
    """The practices this one descends from and those adapted from it, and how many units
    the whole chain reached (publishers and standing adopters). Reads the movement's practices
    once (one query) and their standing adoptions once (one query)."""
    rows = {
        p.pk: p
        for p in Practice.objects.filter(movement_id=practice.movement_id).select_related("unit")
    }
    rows[practice.pk] = practice
    sources: list[Practice] = []
    seen = {practice.pk}
    current = practice.adapted_from_id
    cut = False
    while current is not None and current in rows and current not in seen:
        if len(sources) >= CHAIN_LIMIT:
            cut = True
            break
        seen.add(current)
        sources.append(rows[current])
        current = rows[current].adapted_from_id
    children: dict[int, list[int]] = {}
    for p in rows.values():
        if p.adapted_from_id is not None:
            children.setdefault(p.adapted_from_id, []).append(p.pk)
    adaptations: list[Practice] = []
    frontier = [practice.pk]
    while frontier:
        next_frontier = []
        for pk in frontier:
            for child in sorted(children.get(pk, [])):
                if child not in seen:
                    seen.add(child)
                    adaptations.append(rows[child])
                    next_frontier.append(child)
        frontier = next_frontier
    members = [practice, *sources, *adaptations]
    adopters: dict[int, set[int]] = {p.pk: set() for p in members}
    for practice_id, unit_id in Adoption.objects.filter(
        practice_id__in=adopters, withdrawn=False
    ).values_list("practice_id", "unit_id"):
        adopters[practice_id].add(unit_id)
    reach = domain.chain_reach(adopters, {p.pk: p.unit_id for p in members})
    return Chain(list(reversed(sources)), adaptations, reach, cut)


def rendered(practice: Practice):
    return text.render(practice.text)


# Practices listed on a page, and how many of the most adopted have their effect measured
# for "largest measured effect" (4 queries each).
LIST_SIZE = 100
EFFECT_CANDIDATES = 10


def largest_effects(practices: list[Practice]) -> list[tuple[Practice, domain.Effect]]:
    """Among the most adopted (at most EFFECT_CANDIDATES with enough adopters to compare),
    those whose difference could be measured, largest first."""
    measured = []
    candidates = [p for p in practices if p.adopted_by >= domain.MINIMUM_UNITS]
    for practice in sorted(candidates, key=lambda p: -p.adopted_by)[:EFFECT_CANDIDATES]:
        effect = effect_of(practice, standing_adoptions(practice))
        if effect.enough:
            measured.append((practice, effect))
    # "Largest" is the best change for the indicator: a fall where less is better.
    return sorted(
        measured,
        key=lambda pair: (
            pair[1].difference if pair[0].indicator.direction == "less" else -pair[1].difference
        ),
    )
