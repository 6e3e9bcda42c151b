"""Reads for experience pages and endpoints, each in a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL

from pacesetter.core.rows import one_of
from pacesetter.figures.selectors import IndicatorFigures, unit_figures
from pacesetter.ledger.models import BlockDailyTotal, SubtreeDailyTotal
from pacesetter.movements.models import Indicator, Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Block, Unit

from . import domain, text
from .models import Adoption, Practice, PracticeAttachment, PracticeIndicator

MEMBERSHIP = Block.units.through
# On SQLite, a practice with more standing adoptions than this reads its adopters' whole range
# rather than each adopter's window (one condition each, three parameters).
WINDOWS_READ_ONE_BY_ONE = 1_000
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


def effect_of(
    practice: Practice,
    adoptions: list[Adoption],
    *,
    days: int = domain.DEFAULT_DAYS,
    today: dt.date | None = None,
    indicator: Indicator | None = None,
) -> domain.Effect:
    """The difference-in-differences of domain.measure over the standing adoptions on one
    indicator (default: the practice's lead), from the per-day subtree totals
    (ledger.BlockDailyTotal, SubtreeDailyTotal): 3 queries, whatever the number of units
    (see `_effects`)."""
    return indicator_effects(
        practice, adoptions, [indicator or practice.indicator], days=days, today=today
    )[0][1]


def indicator_effects(
    practice: Practice,
    adoptions: list[Adoption],
    indicators: list[Indicator],
    *,
    days: int = domain.DEFAULT_DAYS,
    today: dt.date | None = None,
) -> list[tuple[Indicator, domain.Effect]]:
    """The effect of one practice on each of `indicators`, in their order: 1 query for the
    comparison, then 2 per indicator with units enough to compare."""
    standing = {practice.pk: [(a.unit_id, a.adopted_on) for a in adoptions]}
    adopter_ids = [a.unit_id for a in adoptions]
    targets = [(practice, indicator) for indicator in indicators]
    effects = _effects(targets, standing, None, adopter_ids, days, today)
    return [(indicator, effects[(practice.pk, indicator.pk)]) for indicator in indicators]


def effects_of(
    practices: list[Practice], *, days: int = domain.DEFAULT_DAYS, today: dt.date | None = None
) -> dict[int, domain.Effect]:
    """The effect of each practice over its standing adoptions, by practice id: what
    `effect_of` gives for each. Queries: 2, then 2 per practice with units enough to compare
    — however many units adopted or compare."""
    ids = [practice.pk for practice in practices]
    standing: dict[int, list[tuple[int, dt.date]]] = {pk: [] for pk in ids}
    excluded: dict[int, set[int]] = {pk: set() for pk in ids}
    for practice_id, unit_id, adopted_on, withdrawn in (
        Adoption.objects.filter(practice_id__in=ids)
        .order_by("adopted_on", "pk")
        .values_list("practice_id", "unit_id", "adopted_on", "withdrawn")
    ):
        excluded[practice_id].add(unit_id)
        if not withdrawn:
            standing[practice_id].append((unit_id, adopted_on))
    adopters = Adoption.objects.filter(practice_id__in=ids, withdrawn=False).values("unit_id")
    targets = [(practice, practice.indicator) for practice in practices]
    effects = _effects(targets, standing, excluded, adopters, days, today)
    return {practice.pk: effects[(practice.pk, practice.indicator_id)] for practice in practices}


def _effects(
    targets: list[tuple[Practice, Indicator]],
    standing: dict[int, list[tuple[int, dt.date]]],
    excluded: dict[int, set[int]] | None,
    adopter_ids,
    days: int,
    today: dt.date | None,
) -> dict[tuple[int, int], domain.Effect]:
    """Each (practice, indicator)'s effect, by (practice id, indicator id). The comparison of
    a practice is the units of its adopters' blocks (not archived) less its adopters,
    standing or withdrawn, and its publisher; the domain needs only their number and their
    total per day (domain.measure_totals). That total is read in one query a practice: the
    blocks' daily totals kept at ingest (ledger.BlockDailyTotal) less the days of the units
    the practice leaves out (and of archived members, and of units counted by two of the
    blocks); the adopters' own days are read only within their windows (a second query)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    blocks_of: dict[int, set[int]] = {}
    members_of: dict[int, set[int]] = {}  # not archived
    everyone_of: dict[int, list[int]] = {}  # as the blocks' totals count them
    memberships = MEMBERSHIP.objects.filter(
        block_id__in=MEMBERSHIP.objects.filter(unit_id__in=adopter_ids).values("block_id")
    )
    if excluded is None:
        # One practice: whether each unit of the blocks adopted it (standing or withdrawn)
        # comes with the memberships; adopters outside the blocks leave nothing out.
        (practice,) = {practice for practice, _indicator in targets}
        excluded = {practice.pk: set()}
        memberships = memberships.annotate(
            adopted=Exists(
                Adoption.objects.filter(practice_id=practice.pk, unit_id=OuterRef("unit_id"))
            )
        )
    else:
        memberships = memberships.annotate(adopted=Value(False))
    for block_id, unit_id, archived, adopted in memberships.values_list(
        "block_id", "unit_id", "unit__archived", "adopted"
    ):
        blocks_of.setdefault(unit_id, set()).add(block_id)
        everyone_of.setdefault(block_id, []).append(unit_id)
        if not archived:
            members_of.setdefault(block_id, set()).add(unit_id)
        if adopted:
            excluded[targets[0][0].pk].add(unit_id)
    movement_days: dict[int, dt.date] = {}  # by movement
    block_sets: dict[tuple[int, ...], tuple[set[int], dict[int, int]]] = {}
    effects: dict[tuple[int, int], domain.Effect] = {}
    for practice, indicator in targets:
        if today is not None:
            practice_today = today
        else:
            if practice.movement_id not in movement_days:
                movement_days[practice.movement_id] = movement_today(practice.movement)
            practice_today = movement_days[practice.movement_id]
        adoptions = standing[practice.pk]
        blocks = tuple(sorted({b for u, _day in adoptions for b in blocks_of.get(u, ())}))
        if blocks not in block_sets:
            block_sets[blocks] = _block_set(blocks, members_of, everyone_of)
        members, beyond = block_sets[blocks]
        left_out = members & (excluded[practice.pk] | {practice.unit_id})
        count = len(members) - len(left_out)
        measured = sum(1 for _unit, day in adoptions if day <= practice_today)
        if min(measured, count) < domain.MINIMUM_UNITS:
            effects[(practice.pk, indicator.pk)] = domain.measure_totals(
                adoptions=adoptions,
                daily={},
                comparison=count,
                comparison_daily={},
                today=practice_today,
                days=days,
            )
            continue
        # What the blocks' summed totals count beyond the comparison, unit by unit: beyond
        # the members, and the members the practice leaves out once more.
        weights = dict(beyond)
        for unit_id in left_out:
            weights[unit_id] = weights.get(unit_id, 0) + 1
        first = min(day for _unit, day in adoptions) - dt.timedelta(days=days)
        last = min(max(day for _unit, day in adoptions) + dt.timedelta(days=days), practice_today)
        totals = _comparison_per_day(indicator.pk, blocks, weights, first, last)
        effects[(practice.pk, indicator.pk)] = _effect(
            practice, indicator, adoptions, count, totals, days, practice_today
        )
    return effects


def _block_set(
    blocks: tuple[int, ...], members_of: dict[int, set[int]], everyone_of: dict[int, list[int]]
) -> tuple[set[int], dict[int, int]]:
    """The members (not archived) of some blocks, and what the blocks' summed totals count
    beyond them, unit by unit (the weights that are not 0): every block a unit is in counts it
    once, the members once less. Worked out once for all the practices on the same blocks —
    unit by unit for each practice, it was a third of the read's time on a block of 10,000."""
    members: set[int] = set()
    for block_id in blocks:
        members |= members_of.get(block_id, set())
    counted: dict[int, int] = {}
    for block_id in blocks:
        for unit_id in everyone_of[block_id]:
            counted[unit_id] = counted.get(unit_id, 0) + 1
    beyond = {
        unit_id: times - (unit_id in members)
        for unit_id, times in counted.items()
        if times != (unit_id in members)
    }
    return members, beyond


def _comparison_per_day(
    indicator_id: int, blocks: list[int], weights: dict[int, int], first: dt.date, last: dt.date
) -> dict[dt.date, int]:
    """The blocks' total per day (minor units) from their kept totals, less each weighted
    unit's days times its weight: one statement."""
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    span = [adapt(first), adapt(last)]
    in_blocks, block_params = one_of(quote("block_id"), blocks)
    parts = [
        f"SELECT {quote('day')}, {quote('quantity_minor')} AS q "
        f"FROM {quote(BlockDailyTotal._meta.db_table)} WHERE {quote('indicator_id')} = %s "
        f"AND {in_blocks} AND {quote('day')} >= %s AND {quote('day')} <= %s"
    ]
    params: list = [indicator_id, *block_params, *span]
    by_weight: dict[int, list[int]] = {}
    for unit_id, weight in weights.items():
        if weight:
            by_weight.setdefault(weight, []).append(unit_id)
    for weight, unit_ids in sorted(by_weight.items()):
        in_units, unit_params = one_of(quote("unit_id"), sorted(unit_ids))
        parts.append(
            f"SELECT {quote('day')}, %s * {quote('quantity_minor')} AS q "
            f"FROM {quote(SubtreeDailyTotal._meta.db_table)} WHERE {quote('indicator_id')} = %s "
            f"AND {in_units} AND {quote('day')} >= %s AND {quote('day')} <= %s"
        )
        params += [-weight, indicator_id, *unit_params, *span]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('day')}, SUM(q) FROM ({' UNION ALL '.join(parts)}) AS changes "
            f"GROUP BY {quote('day')}",
            params,
        )
        # SQLite gives the day as text here, PostgreSQL its SUM of bigints as numeric.
        return {
            dt.date.fromisoformat(day) if isinstance(day, str) else day: int(total)
            for day, total in cursor.fetchall()
        }


def _windows(adoptions: list[tuple[int, dt.date]], days: int, today: dt.date) -> RawSQL:
    """Each adopter's days in its windows as one condition: (unit and day range) OR … —
    written out, since building hundreds of Q lookups costs more than the read itself."""
    quote = connection.ops.quote_name
    table = quote(SubtreeDailyTotal._meta.db_table)
    unit, day = f"{table}.{quote('unit_id')}", f"{table}.{quote('day')}"
    adapt = connection.ops.adapt_datefield_value
    terms, params = [], []
    for unit_id, adopted_on in adoptions:
        if adopted_on <= today:
            terms.append(f"({unit} = %s AND {day} >= %s AND {day} <= %s)")
            params += [
                unit_id,
                adapt(adopted_on - dt.timedelta(days=days)),
                adapt(min(adopted_on + dt.timedelta(days=days - 1), today)),
            ]
    return RawSQL(f"({' OR '.join(terms)})", params, output_field=BooleanField())


def _effect(
    practice: Practice,
    indicator: Indicator,
    adoptions: list[tuple[int, dt.date]],
    comparison: int,
    totals: dict[dt.date, int],
    days: int,
    today: dt.date,
) -> domain.Effect:
    """One practice's effect: its adopters' days within their windows (one query) and the
    comparison's total per day (in minor units)."""
    rows: Iterable[tuple[int, dt.date, int]]
    if connection.vendor == "postgresql":
        rows = _windows_on_postgresql(indicator, adoptions, days, today)
    else:
        if len(adoptions) > WINDOWS_READ_ONE_BY_ONE:
            # Too many windows for one statement's parameters: the adopters' whole range.
            windows = Q(
                unit_id__in=Adoption.objects.filter(practice=practice, withdrawn=False).values(
                    "unit_id"
                ),
                day__gte=min(day for _unit, day in adoptions) - dt.timedelta(days=days),
                day__lte=today,
            )
        else:
            windows = _windows(adoptions, days, today)
        rows = SubtreeDailyTotal.objects.filter(windows, indicator_id=indicator.pk).values_list(
            "unit_id", "day", "quantity_minor"
        )
    return domain.measure_totals(
        adoptions=adoptions,
        daily={(unit_id, day): indicator.quantity(q) for unit_id, day, q in rows},
        comparison=comparison,
        comparison_daily={day: indicator.quantity(total) for day, total in totals.items()},
        today=today,
        days=days,
    )


def _windows_on_postgresql(
    indicator: Indicator, adoptions: list[tuple[int, dt.date]], days: int, today: dt.date
) -> list[tuple[int, dt.date, int]]:
    """(adopter, day, minor units) of each adopter's days in its windows, on PostgreSQL: the
    windows as three arrays joined to the kept totals, an index probe each. Planned in a
    fraction of a millisecond, where the same windows written out as an OR of conditions
    took milliseconds to plan for a hundred adopters."""
    measured = [(unit_id, adopted_on) for unit_id, adopted_on in adoptions if adopted_on <= today]
    if not measured:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.unit_id, s.day, s.quantity_minor"
            " FROM unnest(%s::bigint[], %s::date[], %s::date[]) AS w(unit_id, first_day, last_day)"
            f" JOIN {SubtreeDailyTotal._meta.db_table} s ON s.unit_id = w.unit_id"
            " AND s.indicator_id = %s AND s.day >= w.first_day AND s.day <= w.last_day",
            [
                [unit_id for unit_id, _day in measured],
                [adopted_on - dt.timedelta(days=days) for _unit, adopted_on in measured],
                [
                    min(adopted_on + dt.timedelta(days=days - 1), today)
                    for _unit, adopted_on in measured
                ],
                indicator.pk,
            ],
        )
        return cursor.fetchall()


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
# for "largest measured effect" (effects_of).
LIST_SIZE = 100
EFFECT_CANDIDATES = 10


def largest_effects(practices: list[Practice]) -> list[tuple[Practice, domain.Effect]]:
    """Among the most adopted (at most EFFECT_CANDIDATES with enough adopters to compare),
    those whose difference could be measured, largest first."""
    candidates = [p for p in practices if p.adopted_by >= domain.MINIMUM_UNITS]
    candidates = sorted(candidates, key=lambda p: -p.adopted_by)[:EFFECT_CANDIDATES]
    effects = effects_of(candidates)
    measured = [(p, effects[p.pk]) for p in candidates if effects[p.pk].enough]
    # "Largest" is the best change for the indicator: a fall where less is better.
    return sorted(
        measured,
        key=lambda pair: (
            pair[1].difference if pair[0].indicator.direction == "less" else -pair[1].difference
        ),
    )
