"""Reads for emulation pages and the API, in a bounded number of queries.

Current rankings come from `Standing` (kept current by every ingest), past ones (`as_of`)
from the append-only end-of-day snapshots: never from the ledger on a page view.
`standings_from_ledger` is the independent path for checks and tests: it recomputes what the
standings were at a moment from the reports recorded by then.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, F, Max, Q, Sum
from django.urls import reverse

from pacesetter.accounts.permissions import (
    EVERYWHERE,
    Actor,
    Capability,
    can_see_figures,
    unit_filter,
)
from pacesetter.core.quantities import format_percent, format_quantity
from pacesetter.ledger import aggregates
from pacesetter.ledger.models import Report, SubtreePeriodTotal
from pacesetter.movements.models import Indicator, Movement, Period, Plan
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Block, Unit

from . import domain
from .models import (
    Challenge,
    ChallengeParticipant,
    ChallengeResult,
    Notification,
    OvertakingEvent,
    PendingRanking,
    RankingDay,
    Scoring,
    ScoringComponent,
    Standing,
    StandingSnapshot,
)

HUNDRED = Decimal(100)


# --- scorings --------------------------------------------------------------------------------


def scoring_components(components: Sequence[ScoringComponent]) -> list[domain.Component]:
    return [
        domain.Component(
            normalisation=c.normalisation,
            less_is_better=c.indicator.direction == Indicator.Direction.LESS,
            decimal_places=c.indicator.decimal_places,
            weight=Fraction(c.weight),
        )
        for c in components
    ]


def with_components(scorings: Sequence[Scoring]) -> list[Scoring]:
    """Attach `component_list` (with indicators) to each scoring, in one query."""
    scorings = list(scorings)
    if scorings:
        components: dict[int, list[ScoringComponent]] = defaultdict(list)
        for component in ScoringComponent.objects.filter(scoring__in=scorings).select_related(
            "indicator"
        ):
            components[component.scoring_id].append(component)
        for scoring in scorings:
            scoring.component_list = components[scoring.pk]
    return scorings


def scorings_of(movement: Movement, *, retired: bool = False) -> list[Scoring]:
    """The movement's live scorings (with `retired`, the retired ones too, last) with their
    blocks and components, in 2 queries."""
    scorings = Scoring.objects.filter(movement=movement)
    if not retired:
        scorings = scorings.filter(retired_at__isnull=True)
    return with_components(
        scorings.select_related("block", "movement").order_by(
            F("retired_at").asc(nulls_first=True), "name"
        )
    )


def scoring_or_none(movement: Movement, code: str) -> Scoring | None:
    found = (
        Scoring.objects.filter(movement=movement, code=code)
        .select_related("block", "movement")
        .first()
    )
    return with_components([found])[0] if found else None


def scoring_value(scoring: Scoring, goodness: int | None) -> Decimal | None:
    """The figure a goodness stands for, in the scoring's own terms: a quantity, a quantity
    per member, a ratio (1 = 100%) or points; None when unbounded or not ranked."""
    if goodness is None or abs(goodness) == domain.GOODNESS_MAX:
        return None
    components = scoring.component_list
    if len(components) > 1:
        return _tidy(Decimal(goodness).scaleb(-domain.GOODNESS_PLACES["score"]))
    component = scoring_components(components)[0]
    sign = 1 if component.more_is_better else -1
    places = domain.GOODNESS_PLACES[component.normalisation]
    return _tidy(Decimal(sign * goodness).scaleb(-places))


def _tidy(value: Decimal) -> Decimal:
    """Without trailing zeros and without an exponent: 20, not 2E+1."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


def display_value(scoring: Scoring, value: Decimal | None, goodness: int | None = None) -> str:
    """A scoring's value for people: "12,345.6 t", "3.21 t per member", "142.1%", "87.3 points"."""
    if goodness is not None and abs(goodness) == domain.GOODNESS_MAX:
        return "nothing against the plan"
    if value is None:
        return "—"
    components = scoring.component_list
    if len(components) > 1:
        return f"{format_quantity(value, 1)} points"
    component = components[0]
    indicator = component.indicator
    if component.normalisation in (domain.PER_CAPACITY, domain.FULFILMENT):
        return format_percent(value * HUNDRED)
    if component.normalisation == domain.PER_MEMBER:
        return (
            f"{format_quantity(value, indicator.decimal_places + 2)} {indicator.measure} per member"
        )
    return f"{format_quantity(value, indicator.decimal_places)} {indicator.measure}"


NORMALISATION_TEXT = {
    domain.RAW: "total",
    domain.PER_MEMBER: "per member (÷ headcount)",
    domain.PER_CAPACITY: "of rated capacity",
    domain.FULFILMENT: "plan fulfilment",
}


def describe(scoring: Scoring) -> dict:
    """What the scoring ranks by, for people: each indicator with its normalisation, direction
    and (for a weighted score) weight as a share of all weights."""
    components = scoring.component_list
    total = sum((c.weight for c in components), Decimal(0))
    parts = []
    for c in components:
        less = c.indicator.direction == Indicator.Direction.LESS
        parts.append(
            {
                "indicator": c.indicator,
                "normalisation": c.normalisation,
                "normalisation_text": NORMALISATION_TEXT[c.normalisation],
                "weight": c.weight,
                "weight_percent": c.weight * HUNDRED / total if total else None,
                "less_is_better": less and c.normalisation != domain.FULFILMENT,
                "direction_text": "less is better"
                if less and c.normalisation != domain.FULFILMENT
                else "more is better",
            }
        )
    weighted = len(components) > 1
    return {
        "weighted": weighted,
        "components": parts,
        "method": (
            "Weighted score: each indicator is normalised, then taken as a share of the "
            "block's best (value ÷ best, or best ÷ value where less is better; 1 for the "
            "best); score = 100 × Σ weight × share ÷ Σ weight points. A unit without a "
            "figure on an indicator gets 0 for it."
            if weighted
            else "Ranked by one indicator; equal figures share a rank (1, 2, 2, 4)."
        ),
    }


# --- rankings --------------------------------------------------------------------------------


@dataclass
class RankedRow:
    unit: Unit
    rank: int
    goodness: int
    value: Decimal | None
    display: str
    rank_yesterday: int | None = None
    rank_last_week: int | None = None

    @staticmethod
    def _change(previous: int | None, rank: int) -> int | None:
        return None if previous is None else previous - rank

    @property
    def change_since_yesterday(self) -> int | None:
        """Places gained (> 0) or lost (< 0) since the end of yesterday; None: not ranked then."""
        return self._change(self.rank_yesterday, self.rank)

    @property
    def change_since_last_week(self) -> int | None:
        return self._change(self.rank_last_week, self.rank)


@dataclass
class Leaderboard:
    scoring: Scoring
    period: Period
    today: dt.date
    rows: list[RankedRow]
    ranked: int
    unranked: int
    offset: int
    description: dict = field(default_factory=dict)
    # False: the ranking had no standings at all at the end of that day (its history starts
    # later), so there is nothing to compare with, which is not every unit being new.
    compared_yesterday: bool = True
    compared_last_week: bool = True


def _page_ranks(goodness: list[int], first_rank: int, offset: int) -> list[int]:
    ranks: list[int] = []
    for index, value in enumerate(goodness):
        if index and value == goodness[index - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(first_rank if index == 0 else offset + index + 1)
    return ranks


def _changed_on(scoring: Scoring, period: Period) -> dt.date | None:
    return (
        RankingDay.objects.filter(scoring=scoring, period=period)
        .values_list("changed_on", flat=True)
        .first()
    )


def _snapshot_day(
    scoring: Scoring, period: Period, day: dt.date, changed_on: dt.date | None
) -> dt.date | bool | None:
    """Which standings held at the end of `day`: True for the current ones, a snapshot day,
    or None when the scoring had no standings yet (`changed_on`: see _changed_on)."""
    if changed_on is None:
        return None
    if day >= changed_on:
        return True
    return StandingSnapshot.objects.filter(scoring=scoring, period=period, day__lte=day).aggregate(
        day=Max("day")
    )["day"]


def ranks_on(
    scoring: Scoring,
    period: Period,
    day: dt.date,
    unit_ids: Sequence[int],
    changed_on: dt.date | None,
) -> tuple[bool, dict[int, int] | None]:
    """Whether the ranking had standings at the end of `day` (knowledge time), and the ranks
    the given units had then; None when the standings have not changed since (the current
    ranks hold)."""
    which = _snapshot_day(scoring, period, day, changed_on)
    if which is True:
        return True, None
    if which is None:
        return False, {}
    return True, dict(
        StandingSnapshot.objects.filter(
            scoring=scoring, period=period, day=which, unit_id__in=unit_ids
        ).values_list("unit_id", "rank")
    )


def _board_facts(scoring: Scoring, period: Period) -> tuple[int, int, dt.date | None]:
    """How many units are ranked, how many the block holds, and the day the standings last
    changed: one round trip (each is an indexed lookup)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {Standing._meta.db_table} WHERE scoring_id = %s "
            "AND period_id = %s AND goodness IS NOT NULL), "
            f"(SELECT COUNT(*) FROM {Block.units.through._meta.db_table} WHERE block_id = %s), "
            f"(SELECT changed_on FROM {RankingDay._meta.db_table} WHERE scoring_id = %s "
            "AND period_id = %s)",
            [scoring.pk, period.pk, scoring.block_id, scoring.pk, period.pk],
        )
        ranked, members, changed_on = cursor.fetchone()
    if isinstance(changed_on, str):  # SQLite gives the text
        changed_on = dt.date.fromisoformat(changed_on)
    return ranked, members, changed_on


def leaderboard(
    *, scoring: Scoring, period: Period, offset: int = 0, limit: int = 50
) -> Leaderboard:
    """A page of the current ranking, best first, with each unit's rank at the end of
    yesterday and a week ago, in at most 6 queries whatever the block's size (2 when the
    standings have not changed since a week ago)."""
    ranked_rows = Standing.objects.filter(scoring=scoring, period=period, goodness__isnull=False)
    ranked_count, block_size, changed_on = _board_facts(scoring, period)
    # The index (scoring, period, goodness, unit) gives the order; ties within the page are
    # then listed by name.
    page = sorted(
        ranked_rows.select_related("unit")
        .only("goodness", "unit")
        .order_by("-goodness", "-unit_id")[offset : offset + limit],
        key=lambda s: (-s.goodness, s.unit.name),
    )
    first_rank = 1
    if page and offset:
        first_rank = 1 + ranked_rows.filter(goodness__gt=page[0].goodness).count()
    ranks = _page_ranks([s.goodness for s in page], first_rank, offset)
    # A movement that is over stands as it did on its last day: its changes are against the
    # day before that, not against yesterday (a 1947 contest would otherwise call every unit
    # new, dated today).
    today = min(movement_today(scoring.movement), scoring.movement.ends_on)
    rows = []
    for standing, rank in zip(page, ranks, strict=True):
        value = scoring_value(scoring, standing.goodness)
        rows.append(
            RankedRow(
                standing.unit,
                rank,
                standing.goodness,
                value,
                display_value(scoring, value, standing.goodness),
            )
        )
    ids = [row.unit.pk for row in rows]
    compared = {}
    for attribute, days in (("rank_yesterday", 1), ("rank_last_week", 7)):
        compared[attribute], earlier = ranks_on(
            scoring, period, today - dt.timedelta(days=days), ids, changed_on
        )
        for row in rows:
            setattr(row, attribute, row.rank if earlier is None else earlier.get(row.unit.pk))
    return Leaderboard(
        compared_yesterday=compared["rank_yesterday"],
        compared_last_week=compared["rank_last_week"],
        scoring=scoring,
        period=period,
        today=today,
        rows=rows,
        ranked=ranked_count,
        unranked=block_size - ranked_count,
        offset=offset,
        description=describe(scoring),
    )


@dataclass
class Position:
    unit: Unit
    rank: int | None
    of: int
    value: Decimal | None
    display: str


def position(*, scoring: Scoring, period: Period, unit: Unit) -> Position:
    """One unit's place in the current ranking, in 3 queries."""
    ranked = Standing.objects.filter(scoring=scoring, period=period, goodness__isnull=False)
    goodness = (
        Standing.objects.filter(scoring=scoring, period=period, unit=unit)
        .values_list("goodness", flat=True)
        .first()
    )
    of = ranked.count()
    if goodness is None:
        return Position(unit, None, of, None, "—")
    rank = 1 + ranked.filter(goodness__gt=goodness).count()
    value = scoring_value(scoring, goodness)
    return Position(unit, rank, of, value, display_value(scoring, value, goodness))


@dataclass
class HistoricRow:
    unit_id: int
    rank: int
    goodness: int
    value: Decimal | None


def ranking_as_of(
    *, scoring: Scoring, period: Period, as_of: dt.date, offset: int = 0, limit: int = 50
) -> tuple[list[HistoricRow], int, str]:
    """The ranking as the system showed it at the end of `as_of` (movement time zone):
    (a page of rows, how many were ranked, "current" or "snapshot" or "none")."""
    which = _snapshot_day(scoring, period, as_of, _changed_on(scoring, period))
    if which is None:
        return [], 0, "none"
    if which is True:
        board = leaderboard(scoring=scoring, period=period, offset=offset, limit=limit)
        rows = [HistoricRow(r.unit.pk, r.rank, r.goodness, r.value) for r in board.rows]
        return rows, board.ranked, "current"
    snapshot = StandingSnapshot.objects.filter(scoring=scoring, period=period, day=which)
    rows = [
        HistoricRow(unit_id, rank, goodness, scoring_value(scoring, goodness))
        for unit_id, rank, goodness in snapshot.order_by("rank", "unit_id").values_list(
            "unit_id", "rank", "goodness"
        )[offset : offset + limit]
    ]
    return rows, snapshot.count(), "snapshot"


# --- the independent path: from the ledger ----------------------------------------------------


def standings_from_ledger(
    *, scoring: Scoring, period: Period, recorded_by: dt.datetime
) -> dict[int, int | None]:
    """Goodness per block unit from the reports recorded by `recorded_by`, recomputed from the
    ledger through the aggregates' own rules (with today's plans and headcounts). Scans the
    ledger: for checks and tests, never for a page."""
    indicator_ids = {c.indicator_id for c in scoring.component_list}
    queryset = Report.objects.filter(
        movement_id=scoring.movement_id, indicator_id__in=indicator_ids, entered_at__lte=recorded_by
    ).exclude(verification=Report.Verification.REJECTED)
    own: dict[tuple, list[int]] = {}
    verified = Q(verification=Report.Verification.VERIFIED)
    for row in queryset.values("unit_id", "indicator_id", "day").annotate(
        q=Sum("quantity_minor"),
        vq=Sum("quantity_minor", filter=verified, default=0),
        e=Count("id", filter=Q(corrects__isnull=True)),
        ve=Count("id", filter=Q(corrects__isnull=True) & verified),
    ):
        key = (row["unit_id"], row["indicator_id"], row["day"])
        own[key] = [row["q"], row["vq"], row["e"], row["ve"]]
    corrections = Report.objects.filter(
        movement_id=scoring.movement_id, entered_at__lte=recorded_by
    )
    for unit_id, indicator_id, day, verification in aggregates.reversed_originals(
        queryset, corrections
    ):
        own[(unit_id, indicator_id, day)][2] -= 1
        own[(unit_id, indicator_id, day)][3] -= verification == Report.Verification.VERIFIED
    shapes = aggregates.indicator_shapes(indicator_ids)
    paths = dict(Unit.objects.filter(pk__in={u for u, _i, _d in own}).values_list("pk", "path"))
    parts = aggregates.contributions(own, shapes, {})
    totals = aggregates.expand_to_lineage(parts.period, aggregates.lineages(paths))
    members = list(scoring.block.units.values_list("pk", "headcount"))
    on_verified = Movement.objects.filter(pk=scoring.movement_id, rank_on_verified=True).exists()
    plans = {
        (p.unit_id, p.indicator_id): p
        for p in Plan.objects.filter(period=period, indicator_id__in=indicator_ids)
    }
    figures = {}
    for unit_id, headcount in members:
        unit_figures = []
        for c in scoring.component_list:
            quantity, verified, entries, verified_entries = totals.get(
                (unit_id, c.indicator_id, period.pk), [0] * 4
            )
            if on_verified:
                quantity, entries = verified, verified_entries
            plan = plans.get((unit_id, c.indicator_id))
            denominator = {
                domain.PER_MEMBER: headcount,
                domain.PER_CAPACITY: plan.rated_capacity_minor if plan else None,
                domain.FULFILMENT: plan.planned_minor if plan else None,
            }.get(c.normalisation)
            unit_figures.append(domain.Figure(quantity, entries, denominator))
        figures[unit_id] = unit_figures
    return domain.goodness_of_all(scoring_components(scoring.component_list), figures)


def end_of_day(movement: Movement, day: dt.date) -> dt.datetime:
    """The last moment of `day` in the movement's time zone."""
    zone = zoneinfo.ZoneInfo(movement.time_zone)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, zone) - dt.timedelta(
        microseconds=1
    )


# --- overtaking and notifications -----------------------------------------------------------


def overtaking_feed(
    *,
    movement: Movement,
    limit: int = 20,
    before_id: int | None = None,
    unit: Unit | None = None,
    offset: int = 0,
):
    """The movement's latest overtaking events, newest first, in 1 query."""
    # A retired ranking's overtakings stay in the trail, not in the feed.
    events = OvertakingEvent.objects.filter(
        movement=movement, scoring__retired_at__isnull=True
    ).select_related("ahead", "behind", "scoring", "period")
    if unit is not None:
        events = events.filter(Q(ahead=unit) | Q(behind=unit))
    if before_id is not None:
        events = events.filter(pk__lt=before_id)
    found = list(events.order_by("-id")[offset : offset + limit])
    # The scorings' components, once each (1 query more when there are events), to show
    # each margin in its scoring's terms.
    scorings = with_components({e.scoring_id: e.scoring for e in found}.values())
    for event in found:
        event.scoring = next(s for s in scorings if s.pk == event.scoring_id)
    return found


def margin_display(event: OvertakingEvent) -> str:
    """By how much `ahead` leads now, in the scoring's terms ("500 pieces", "3.4 percentage
    points"); needs the scoring's components (overtaking_feed attaches them)."""
    return gap_display(event.scoring, event.margin)


def notifications_for(*, actor: Actor, limit: int = 50, offset: int = 0) -> list[Notification]:
    """The notifications of the units the actor may view, newest first, in 1 query (plus the
    actor's grants, read once)."""
    return list(
        Notification.objects.filter(unit_filter(actor, Capability.VIEW))
        .select_related("unit", "movement")
        .order_by("-id")[offset : offset + limit]
    )


def pending_reports() -> int:
    """Reports the ranking follower has still to rank (for its command and the bench)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(reports), 0) FROM {PendingRanking._meta.db_table}")
        return int(cursor.fetchone()[0])


# --- learning from the better --------------------------------------------------------------


@dataclass
class Peer:
    unit: Unit
    rank: int
    value: Decimal | None
    display: str
    gap: Decimal | None  # how far ahead, in the value's terms
    gap_display: str
    size: int | None
    # The practices the peer published (the experience app's list, named by its URL only:
    # emulation and experience are siblings and do not import each other).
    experience_url: str | None = None


@dataclass
class LearnFrom:
    scoring: Scoring
    period: Period
    position: Position
    peers: list[Peer]
    size_label: str


PEERS_SHOWN = 3
PEERS_CONSIDERED = 50


def _size(scoring: Scoring, unit: Unit, denominators: list) -> int | None:
    normalisation = scoring.component_list[0].normalisation
    if normalisation in (domain.PER_CAPACITY, domain.FULFILMENT) and denominators:
        return denominators[0]
    return unit.headcount or None


def _practices_url(movement: Movement, unit: Unit) -> str:
    return f"{reverse('practice-list', args=[movement.slug])}?{urlencode({'unit': unit.code})}"


def learn_from(*, movement: Movement, unit: Unit) -> list[LearnFrom]:
    """For each ranking of the movement (whole period) the unit stands in and does not lead:
    the peers just ahead of it, the most similar in size first (headcount, or rated capacity
    or plan where the ranking is per capacity or by fulfilment), with the gap in numbers.
    4 queries per ranking, plus 2."""
    result = []
    mine = {
        s.scoring_id: s
        for s in Standing.objects.filter(
            unit=unit,
            period__is_whole=True,
            goodness__isnull=False,
            scoring__movement=movement,
            scoring__retired_at__isnull=True,
        ).select_related("period")
    }
    if not mine:
        return []
    for scoring in with_components(
        Scoring.objects.filter(pk__in=mine).select_related("block", "movement")
    ):
        standing = mine[scoring.pk]
        whole = standing.period
        ranked = Standing.objects.filter(scoring=scoring, period=whole, goodness__isnull=False)
        better = list(
            ranked.filter(goodness__gt=standing.goodness)
            .select_related("unit")
            .order_by("goodness", "unit_id")[:PEERS_CONSIDERED]
        )
        if not better:
            continue
        rank_of_mine = 1 + ranked.filter(goodness__gt=standing.goodness).count()
        value = scoring_value(scoring, standing.goodness)
        my_size = _size(scoring, unit, standing.denominators)
        ahead_sorted = sorted(s.goodness for s in better)
        peers = []
        for other in sorted(
            better,
            key=lambda s: (
                domain.similarity(my_size, _size(scoring, s.unit, s.denominators)),
                s.goodness,
            ),
        )[:PEERS_SHOWN]:
            other_value = scoring_value(scoring, other.goodness)
            gap = None if other_value is None or value is None else abs(other_value - value)
            # Every unit between this one and the peer is among the nearest considered.
            between = bisect_right(ahead_sorted, other.goodness)
            peers.append(
                Peer(
                    unit=other.unit,
                    rank=rank_of_mine - between,
                    value=other_value,
                    display=display_value(scoring, other_value, other.goodness),
                    gap=gap,
                    gap_display=gap_display(scoring, gap),
                    size=_size(scoring, other.unit, other.denominators),
                    experience_url=_practices_url(movement, other.unit),
                )
            )
        result.append(
            LearnFrom(
                scoring=scoring,
                period=whole,
                position=Position(
                    unit,
                    rank_of_mine,
                    ranked.count(),
                    value,
                    display_value(scoring, value, standing.goodness),
                ),
                peers=peers,
                size_label="rated capacity"
                if scoring.component_list[0].normalisation == domain.PER_CAPACITY
                else "plan"
                if scoring.component_list[0].normalisation == domain.FULFILMENT
                else "headcount",
            )
        )
    return result


def gap_display(scoring: Scoring, gap: Decimal | None) -> str:
    if gap is None:
        return "—"
    components = scoring.component_list
    if len(components) == 1 and components[0].normalisation in (
        domain.PER_CAPACITY,
        domain.FULFILMENT,
    ):
        return f"{format_quantity(gap * HUNDRED, 1)} percentage points"
    return display_value(scoring, gap)


# --- challenges ------------------------------------------------------------------------------


@dataclass
class ChallengeRow:
    unit: Unit
    answer: str
    value: Fraction | float | None
    display: str
    rank: int | None


def challenge_standings(challenge: Challenge) -> list[ChallengeRow]:
    """The challenger and every challenged unit that has not declined or let it expire, with
    their live figure (verified only if the movement ranks so), ranked; 4 queries."""
    participants = list(
        ChallengeParticipant.objects.filter(challenge=challenge)
        .exclude(answer__in=["declined", "expired"])
        .select_related("unit")
    )
    indicator = challenge.indicator
    ids = [p.unit_id for p in participants]
    verified = challenge.movement.rank_on_verified
    columns = ("verified_minor", "verified_entries") if verified else ("quantity_minor", "entries")
    totals = dict(
        (unit_id, (quantity, entries))
        for unit_id, quantity, entries in SubtreePeriodTotal.objects.filter(
            unit_id__in=ids, indicator=indicator, period_id=challenge.period_id
        ).values_list("unit_id", *columns)
    )
    plans = {
        unit_id: (planned, capacity)
        for unit_id, planned, capacity in Plan.objects.filter(
            unit_id__in=ids, indicator=indicator, period_id=challenge.period_id
        ).values_list("unit_id", "planned_minor", "rated_capacity_minor")
    }
    component = domain.Component(
        normalisation=challenge.normalisation,
        less_is_better=indicator.direction == Indicator.Direction.LESS,
        decimal_places=indicator.decimal_places,
    )
    values = {}
    goodness = {}
    for participant in participants:
        quantity, entries = totals.get(participant.unit_id, (0, 0))
        planned, capacity = plans.get(participant.unit_id, (None, None))
        denominator = {
            domain.PER_MEMBER: participant.unit.headcount,
            domain.PER_CAPACITY: capacity,
            domain.FULFILMENT: planned,
        }.get(challenge.normalisation)
        figure = domain.Figure(quantity, entries, denominator)
        values[participant.unit_id] = domain.normalised(component, figure)
        goodness[participant.unit_id] = domain.single_goodness(component, figure)
    ranks = domain.ranks(goodness)
    rows = []
    for participant in participants:
        value = values[participant.unit_id]
        rows.append(
            ChallengeRow(
                unit=participant.unit,
                answer=participant.answer,
                value=value,
                display=_challenge_display(challenge, value),
                rank=ranks.get(participant.unit_id),
            )
        )
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.unit.name))


def _challenge_display(challenge: Challenge, value) -> str:
    if value == domain.UNBOUNDED:
        return "nothing against the plan"
    decimal = domain.as_decimal(value)
    if decimal is None:
        return "—"
    indicator = challenge.indicator
    if challenge.normalisation in (domain.PER_CAPACITY, domain.FULFILMENT):
        return format_percent(decimal * HUNDRED)
    if challenge.normalisation == domain.PER_MEMBER:
        return f"{format_quantity(decimal, indicator.decimal_places + 2)} {indicator.measure} per member"
    return f"{format_quantity(decimal, indicator.decimal_places)} {indicator.measure}"


def challenges_of(
    *, movement: Movement, actor: Actor, offset: int = 0, limit: int | None = None
) -> list[Challenge]:
    """The movement's challenges that involve a unit the actor may view, newest first
    (`limit` of them from `offset`, or all)."""
    visible = ChallengeParticipant.objects.filter(
        unit_filter(actor, Capability.VIEW), challenge__movement=movement
    ).values("challenge_id")
    return list(
        Challenge.objects.filter(movement=movement, pk__in=visible)
        .select_related("challenger", "indicator", "period", "group")
        .order_by("-id")[offset : None if limit is None else offset + limit]
    )


def challenge_record(*, unit: Unit) -> list[ChallengeResult]:
    """The unit's finished challenges: where it finished and whether it won."""
    return list(
        ChallengeResult.objects.filter(unit=unit)
        .select_related("challenge__indicator", "challenge__period", "challenge__movement")
        .order_by("-challenge_id")
    )


def sees_whole_ranking(actor: Actor, scoring: Scoring, movement: Movement) -> bool:
    """Peers see each other: a block's whole ranking is shown to anyone who may see one of its
    units (and to everyone in a public movement). Anyone else sees only the rows of units whose
    figures they may see (permissions.can_see_figures)."""
    if movement.is_public or EVERYWHERE in actor.paths(Capability.VIEW, movement):
        return True
    return scoring.block.units.filter(
        unit_filter(actor, Capability.VIEW, movement, field="")
    ).exists()


def visible_rows(actor: Actor, movement: Movement, rows: list, *, whole: bool) -> list:
    """The rows of a ranking the actor may see (all of them for a peer)."""
    if whole:
        return rows
    return [row for row in rows if can_see_figures(actor, row.unit, movement)]
