"""The only write path of emulation: scorings, standings and overtaking, challenges,
notifications.

Standings are kept current by the ingest itself: the ledger sends `reports_recorded` inside
its transaction after the aggregates are updated, and `_on_reports_recorded` (connected in
EmulationConfig.ready) re-reads the new subtree totals of the block units the batch touched,
compares each touched ranking's order before and after, and writes the overtaking events and
notifications — all in the ingest's transaction, so they commit with the reports or not at
all. It is part of the audited ingest, not an action of its own.

`as_of` is *knowledge time*: the ranking of a past day is the one the system showed at the
end of that day (movement time zone). Just before the first change of a later day, the
standings are copied into append-only snapshots; reports and corrections recorded later —
even for earlier days — change today's standings, never a past day's.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from pacesetter.accounts.permissions import Capability, can, current_actor, require
from pacesetter.audit.actions import audited, note, write_event
from pacesetter.core.errors import RowError, StateError, ValidationFailed
from pacesetter.core.rows import insert_rows
from pacesetter.ledger.models import SubtreePeriodTotal
from pacesetter.ledger.report_selectors import ids_by_key
from pacesetter.movements.models import Indicator, Movement, Period, Plan
from pacesetter.movements.selectors import movement_today, unit_in_movement
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
from .selectors import (
    challenge_standings,
    scoring_components,
    scorings_of,
    with_components,
)

_CHUNK = 900
REPORT_IDS_PER_EVENT = 5


def _today(movement: Movement) -> dt.date:
    return movement_today(movement)


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- scorings --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """One indicator of a scoring, as a client gives it."""

    indicator: str
    normalisation: str = domain.RAW
    weight: Decimal | str | int = 1


@audited("emulation.create_scoring")
def create_scoring(
    *,
    movement: Movement,
    block: Block,
    code: str,
    name: str,
    components: Sequence[ComponentSpec],
) -> Scoring:
    """A block's ranking in a movement, by one indicator with a normalisation or by a weighted
    score over several. Its standings are computed at once from the aggregates (nobody
    overtakes anybody by being ranked for the first time) and kept current by every ingest."""
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    errors: list[RowError] = []
    indicators = {i.code: i for i in movement.indicators.all()}
    if not code.strip():
        errors.append(RowError(1, "code", "a code is required", "required"))
    elif Scoring.objects.filter(movement=movement, code=code).exists():
        errors.append(RowError(1, "code", f"the movement has a scoring {code!r}", "exists"))
    if not name.strip():
        errors.append(RowError(1, "name", "a name is required", "required"))
    if not components:
        errors.append(RowError(1, "components", "at least one indicator", "required"))
    seen = set()
    for number, spec in enumerate(components, start=1):
        if spec.indicator not in indicators:
            errors.append(
                RowError(number, "indicator", f"no indicator {spec.indicator!r} here", "not_found")
            )
        if spec.normalisation not in domain.NORMALISATIONS:
            errors.append(
                RowError(
                    number,
                    "normalisation",
                    f"one of {', '.join(domain.NORMALISATIONS)}",
                    "invalid",
                )
            )
        try:
            weight = Decimal(str(spec.weight))
            if not weight.is_finite() or weight <= 0 or weight.as_tuple().exponent < -3:
                raise ValueError
        except (ArithmeticError, ValueError):
            errors.append(
                RowError(number, "weight", "a positive number, at most 3 decimals", "invalid")
            )
        if (spec.indicator, spec.normalisation) in seen:
            errors.append(RowError(number, "indicator", "given twice", "duplicate"))
        seen.add((spec.indicator, spec.normalisation))
    if errors:
        raise ValidationFailed("The scoring is not valid; nothing was created.", errors=errors)
    scoring = Scoring.objects.create(movement=movement, block=block, code=code, name=name)
    ScoringComponent.objects.bulk_create(
        ScoringComponent(
            scoring=scoring,
            indicator=indicators[spec.indicator],
            normalisation=spec.normalisation,
            weight=Decimal(str(spec.weight)),
            position=position,
        )
        for position, spec in enumerate(components)
    )
    _rescore_all(scoring, movement, touched=None)
    note(movement=movement)
    return scoring


@audited("emulation.refresh_scoring")
def refresh_scoring(*, scoring: Scoring) -> Scoring:
    """Re-rank a scoring from the aggregates and today's plans and headcounts (after plans,
    capacities, headcounts or the block changed). Changes of order are overtaking events like
    any other, caused by the re-ranking."""
    movement = scoring.movement
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    _rescore_all(scoring, movement, touched=None)
    note(movement=movement)
    return scoring


# --- keeping standings current ---------------------------------------------------------------


@dataclass
class _Batch:
    id: str
    cause: str
    movement: Movement
    now: dt.datetime
    today: dt.date
    # The ingest's rows (for the events' report ids) and their units' lineages by path.
    rows: Sequence = ()
    lineages: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def new(cls, movement: Movement, cause: str) -> _Batch:
        return cls(uuid.uuid4().hex, cause, movement, timezone.now(), _today(movement))


def _on_reports_recorded(sender, *, movement: Movement, rows: Sequence, **kwargs) -> None:
    """Receiver of ledger.signals.reports_recorded: keep the movement's standings current
    and record who overtook whom. Runs inside the ingest's transaction: the ranking is done
    there and then, or — with the ranking follower on (settings.RANKING_FOLLOWER) — what to
    rank is written down for the follower (`rank_pending`), in the same transaction."""
    with connection.cursor() as cursor:
        # Most movements rank nothing: one indexed probe, not the scorings with their parts.
        cursor.execute(
            "SELECT 1 FROM emulation_scoring WHERE movement_id = %s LIMIT 1", [movement.pk]
        )
        if cursor.fetchone() is None:
            return
    if settings.RANKING_FOLLOWER:
        _leave_to_follower(movement, rows)
        return
    found = _plans(movement, rows, locked=True)
    if found is not None:
        batch, plans = found
        for plan in plans:
            _apply(plan, batch)


def _plans(
    movement: Movement, rows: Sequence, *, locked: bool
) -> tuple[_Batch, list[_Plan]] | None:
    """What the rows (with unit_path, indicator_id, day, key, corrects_id) change in each of
    the movement's rankings: one plan per scoring that has something to write. `locked`: the
    caller is in the transaction that will apply the plans, and each scoring's standings are
    locked for it (PostgreSQL; SQLite has one writer anyway)."""
    scorings = scorings_of(movement)
    if not scorings:
        return None
    indicator_ids = {row.indicator_id for row in rows}
    relevant = [
        s for s in scorings if any(c.indicator_id in indicator_ids for c in s.component_list)
    ]
    if not relevant:
        return None
    days = {row.day for row in rows}
    periods = [
        p for p in movement.periods.all() if any(p.starts_on <= day <= p.ends_on for day in days)
    ]
    periods_of_day = {
        day: [p.pk for p in periods if p.starts_on <= day <= p.ends_on] for day in days
    }
    lineages: dict[str, list[int]] = {}
    # (indicator, period) → the units whose figure for it moved: a report's unit and its
    # ancestors, in the periods holding its day (a March report leaves February as it was).
    touched: dict[tuple[int, int], set[int]] = defaultdict(set)
    for row in rows:
        lineage = lineages.get(row.unit_path)
        if lineage is None:
            lineage = lineages[row.unit_path] = _lineage(row.unit_path)
        for period_id in periods_of_day[row.day]:
            touched[(row.indicator_id, period_id)].update(lineage)
    cause = (
        OvertakingEvent.Cause.CORRECTION
        if any(row.corrects_id is not None for row in rows)
        else OvertakingEvent.Cause.REPORTS
    )
    batch = _Batch.new(movement, cause)
    batch.rows, batch.lineages = rows, lineages
    plans = []
    for scoring in relevant:
        by_period = {
            p.pk: set().union(*(touched[(c.indicator_id, p.pk)] for c in scoring.component_list))
            for p in periods
        }
        plan = _plan(scoring, periods, touched=by_period, batch=batch, locked=locked)
        if plan is not None:
            plans.append(plan)
    return batch, plans


# --- the ranking follower --------------------------------------------------------------------


@dataclass(slots=True)
class _Moved:
    """A report as the follower ranks it (the attributes the ledger's rows give the
    receiver)."""

    unit_path: str
    indicator_id: int
    day: dt.date
    key: str
    corrects_id: int | None  # 1 for a correction: which report it corrects does not matter


def _leave_to_follower(movement: Movement, rows: Sequence) -> None:
    """Write down what the follower must rank: one row per ingest, whatever its size."""
    payload = json.dumps(
        [
            [row.unit_path, row.indicator_id, row.day.isoformat(), row.key]
            + ([1] if row.corrects_id is not None else [])
            for row in rows
        ],
        separators=(",", ":"),
    )
    insert_rows(
        PendingRanking._meta.db_table,
        ("movement_id", "created_at", "rows", "reports"),
        [(movement.pk, _stamp(timezone.now()), payload, len(rows))],
    )


def _stamp(moment: dt.datetime):
    """A moment as the raw statements of this module pass it (SQLite takes text)."""
    return (
        connection.ops.adapt_datetimefield_value(moment)
        if connection.vendor == "sqlite"
        else moment
    )


class _Stale(Exception):
    """The standings changed between a follower round's reading and its writing."""


def rank_pending(*, max_reports: int = 100_000) -> int:
    """One round of the ranking follower: the oldest pending ingests of one movement (up to
    `max_reports` reports, whole ingests) ranked together, as the receiver ranks one ingest —
    standings, overtaking events, notifications — and their pending rows deleted, in one
    transaction. Returns how many reports it ranked (0: nothing was pending).

    The reading and the arithmetic happen before that transaction, so on SQLite the ingests
    keep the write lock meanwhile; the transaction applies the round only if no other writer
    changed the standings of its scorings since it read them, and otherwise the round is
    worked out again. Several ingests ranked in one round give the events of the change from
    before the first to after the last (replaying them still gives the order as it is)."""
    for _attempt in range(10):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, movement_id, reports FROM {PendingRanking._meta.db_table} "
                "ORDER BY id LIMIT 1000"
            )
            found = cursor.fetchall()
        if not found:
            return 0
        movement_id = found[0][1]
        ids: list[int] = []
        total = 0
        for pk, of_movement, reports in found:
            if of_movement != movement_id:
                continue
            if ids and total + reports > max_reports:
                break
            ids.append(pk)
            total += reports
        moved: list[_Moved] = []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rows FROM {PendingRanking._meta.db_table} "
                f"WHERE id IN ({_int_list(ids)}) ORDER BY id"
            )
            for (payload,) in cursor.fetchall():
                for path, indicator_id, day, key, *correction in (
                    json.loads(payload) if isinstance(payload, str) else payload
                ):
                    moved.append(
                        _Moved(
                            path,
                            indicator_id,
                            dt.date.fromisoformat(day),
                            key,
                            1 if correction else None,
                        )
                    )
        movement = Movement.objects.get(pk=movement_id)
        planned = _plans(movement, moved, locked=False)
        try:
            with transaction.atomic():
                if planned is not None:
                    batch, plans = planned
                    for plan in plans:
                        _apply(plan, batch)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"DELETE FROM {PendingRanking._meta.db_table} "
                        f"WHERE id IN ({_int_list(ids)})"
                    )
                    if cursor.rowcount != len(ids):
                        raise _Stale  # another follower ranked them first
                write_event(
                    action=rank_pending.audited_as,
                    target=movement,
                    movement=movement,
                    after={"reports": total, "ingests": len(ids)},
                )
        except _Stale:
            continue
        return total
    raise StateError("The standings kept changing under the ranking follower; try again.")


# Audited, but not by @audited: that would run the whole round in one transaction, and on
# SQLite hold the write lock through the arithmetic. The round writes its own audit row in the
# transaction that applies it.
rank_pending.audited_as = "emulation.rank_pending"  # type: ignore[attr-defined]


def _lineage(path: str) -> list[int]:
    """A unit's id and its ancestors' from its path ("/1/7/42/")."""
    return [int(part) for part in path.strip("/").split("/")]


def _on_unit_moved(
    sender, *, unit: Unit, old_ancestor_ids: list[int], new_ancestor_ids: list[int], **kwargs
) -> None:
    """Receiver of units.signals.unit_moved (after the ledger has shifted the subtree totals,
    in the move's transaction): the old and new ancestors' totals changed, so re-rank them
    wherever a block holds them. Changes of order are events caused by a re-ranking."""
    touched = set(old_ancestor_ids) | set(new_ancestor_ids)
    through = Block.units.through
    blocks = set(through.objects.filter(unit_id__in=touched).values_list("block_id", flat=True))
    if not blocks:
        return
    for scoring in Scoring.objects.filter(block_id__in=blocks).select_related("block", "movement"):
        _rescore_all(scoring, scoring.movement, touched=touched)


def _rescore_all(scoring: Scoring, movement: Movement, *, touched: set[int] | None) -> None:
    """Re-rank `touched` (None: every unit of the block) in every period, as a re-ranking.
    A whole re-ranking first drops the standings of units that have left the block: they are
    ranked no more (their past places stay in the snapshots), and the others' order among
    themselves is unchanged by it, so it is no overtaking."""
    if touched is None:
        Standing.objects.filter(scoring=scoring).exclude(
            unit_id__in=_block_members(scoring.block_id, None)
        ).delete()
    periods = list(movement.periods.all())
    _rescore(
        with_components([scoring])[0],
        periods,
        touched=None if touched is None else {p.pk: touched for p in periods},
        batch=_Batch.new(movement, OvertakingEvent.Cause.RESCORING),
    )


def _int_list(values: Iterable[int]) -> str:
    """Ids for an SQL IN list, written out: they are integers, and binding thousands of
    parameters costs more than the query (see core.rows.rows_in)."""
    return ", ".join(str(int(value)) for value in values)


def _block_members(block_id: int, among: set[int] | None) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT unit_id FROM {Block.units.through._meta.db_table} WHERE block_id = %s",
            [block_id],
        )
        members = [row[0] for row in cursor.fetchall()]
    return members if among is None else [u for u in members if u in among]


# A unit's inputs to a scoring: per component (quantity in minor units, entries, denominator).
Inputs = tuple[tuple[int, int, int | None], ...]


def _figures_for(
    scoring: Scoring, members: list[int], period_ids: list[int]
) -> dict[tuple[int, int], Inputs]:
    """(period, unit) → its inputs, read from the aggregates, plans and headcounts."""
    components = scoring.component_list
    indicator_ids = sorted({c.indicator_id for c in components})
    totals: dict[tuple[int, int, int], tuple[int, int]] = {}
    plans: dict[tuple[int, int, int], tuple[int | None, int | None]] = {}
    headcounts: dict[int, int] = {}
    needs = {c.normalisation for c in components}
    table = SubtreePeriodTotal._meta.db_table
    for chunk in _chunks(members, 5000):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT unit_id, indicator_id, period_id, quantity_minor, entries FROM {table} "
                f"WHERE indicator_id IN ({_int_list(indicator_ids)}) "
                f"AND period_id IN ({_int_list(period_ids)}) AND unit_id IN ({_int_list(chunk)})"
            )
            for unit_id, indicator_id, period_id, quantity, entries in cursor.fetchall():
                totals[(period_id, unit_id, indicator_id)] = (quantity, entries)
    for chunk in _chunks(members):
        if needs & {domain.PER_CAPACITY, domain.FULFILMENT}:
            for unit_id, indicator_id, period_id, planned, capacity in Plan.objects.filter(
                unit_id__in=chunk, indicator_id__in=indicator_ids, period_id__in=period_ids
            ).values_list(
                "unit_id", "indicator_id", "period_id", "planned_minor", "rated_capacity_minor"
            ):
                plans[(period_id, unit_id, indicator_id)] = (planned, capacity)
        if domain.PER_MEMBER in needs:
            headcounts.update(Unit.objects.filter(pk__in=chunk).values_list("pk", "headcount"))
    zero = (0, 0)
    denominator_of = []
    for c in components:
        if c.normalisation == domain.PER_MEMBER:
            denominator_of.append(lambda _p, unit_id, _i: headcounts.get(unit_id))
        elif c.normalisation == domain.PER_CAPACITY:
            denominator_of.append(lambda *key: plans.get(key, (None, None))[1])
        elif c.normalisation == domain.FULFILMENT:
            denominator_of.append(lambda *key: plans.get(key, (None, None))[0])
        else:
            denominator_of.append(None)
    parts = [(c.indicator_id, get) for c, get in zip(components, denominator_of, strict=True)]
    result = {}
    for period_id in period_ids:
        for unit_id in members:
            result[(period_id, unit_id)] = tuple(
                (
                    *totals.get((period_id, unit_id, indicator_id), zero),
                    None if get is None else get(period_id, unit_id, indicator_id),
                )
                for indicator_id, get in parts
            )
    return result


def _as_figures(inputs: Inputs) -> list[domain.Figure]:
    return [domain.Figure(q, e, d) for q, e, d in inputs]


def _as_json(inputs: Inputs) -> tuple[str, str]:
    """A standing's numerators ([[quantity, entries], …]) and denominators as JSON text,
    written out: json.dumps for each of thousands of standings costs more than the upsert."""
    if len(inputs) == 1:
        ((q, e, d),) = inputs
        return f"[[{q}, {e}]]", "[null]" if d is None else f"[{d}]"
    numerators = ", ".join(f"[{q}, {e}]" for q, e, _d in inputs)
    denominators = ", ".join("null" if d is None else str(d) for _q, _e, d in inputs)
    return f"[{numerators}]", f"[{denominators}]"


def _snapshot_if_new_day(scoring: Scoring, period_ids: list[int], today: dt.date) -> None:
    """Before the first change of a new day, keep the standings as they stood at the end of
    the last day they changed (append-only). Once a day per scoring and period."""
    days = dict(
        RankingDay.objects.filter(scoring=scoring, period_id__in=period_ids).values_list(
            "period_id", "changed_on"
        )
    )
    stale = [pk for pk, day in days.items() if day < today]
    missing = [pk for pk in period_ids if pk not in days]
    table = Standing._meta.db_table
    columns = "scoring_id, period_id, unit_id, goodness, numerators, denominators"
    with connection.cursor() as cursor:
        for period_id in stale:
            cursor.execute(
                f"INSERT INTO {StandingSnapshot._meta.db_table} ({columns}, day, rank) "
                f"SELECT {columns}, %s, RANK() OVER (ORDER BY goodness DESC) FROM {table} "
                "WHERE scoring_id = %s AND period_id = %s AND goodness IS NOT NULL",
                [days[period_id], scoring.pk, period_id],
            )
    if stale:
        RankingDay.objects.filter(scoring=scoring, period_id__in=stale).update(changed_on=today)
    if missing:
        RankingDay.objects.bulk_create(
            RankingDay(scoring=scoring, period_id=pk, changed_on=today) for pk in missing
        )


def _current_goodness(scoring: Scoring, period_ids: list[int]) -> dict[int, dict[int, int | None]]:
    found: dict[int, dict[int, int | None]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT period_id, unit_id, goodness FROM {Standing._meta.db_table} "
            f"WHERE scoring_id = %s AND period_id IN ({', '.join(['%s'] * len(period_ids))})",
            [scoring.pk, *period_ids],
        )
        for period_id, unit_id, value in cursor.fetchall():
            found[period_id][unit_id] = value
    return found


def _stored_inputs(scoring: Scoring, period_id: int) -> dict[int, Inputs]:
    return {
        unit_id: tuple((q, e, d) for (q, e), d in zip(numerators, denominators, strict=True))
        for unit_id, numerators, denominators in Standing.objects.filter(
            scoring=scoring, period_id=period_id
        ).values_list("unit_id", "numerators", "denominators")
    }


@dataclass
class _Plan:
    """A scoring's new standings and the events and notifications they bring, worked out and
    not yet written (see `_apply`)."""

    scoring: Scoring
    version: int  # the standings' version they were worked out from
    period_ids: list[int]
    upserts: list[tuple]
    goodness_updates: list[tuple]
    events: list[tuple] = field(default_factory=list)
    # (unit, kind, movement, index of the event in `events`, message)
    notifications: list[tuple] = field(default_factory=list)


def _rescore(
    scoring: Scoring,
    periods: list[Period],
    *,
    touched: dict[int, set[int]] | None,
    batch: _Batch,
) -> None:
    """Bring a scoring's standings up to date for the units whose figures moved (`touched`:
    per period; None: every unit of the block in every period) and record the changes of
    order they make, in the caller's transaction."""
    plan = _plan(scoring, periods, touched=touched, batch=batch, locked=True)
    if plan is not None:
        _apply(plan, batch)


def _standings_version(scoring: Scoring, *, locked: bool) -> int:
    lock = " FOR UPDATE" if locked and connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT standings_version FROM {Scoring._meta.db_table} WHERE id = %s{lock}",
            [scoring.pk],
        )
        return cursor.fetchone()[0]


def _apply(plan: _Plan, batch: _Batch) -> None:
    """Write a plan: the day's snapshot first if the day is new, then the standings, the
    events and the notifications. Raises _Stale, writing nothing, if the standings are no
    longer the version the plan was worked out from."""
    scoring = plan.scoring
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Scoring._meta.db_table} SET standings_version = standings_version + 1 "
            "WHERE id = %s AND standings_version = %s",
            [scoring.pk, plan.version],
        )
        if cursor.rowcount != 1:
            raise _Stale
    _snapshot_if_new_day(scoring, plan.period_ids, batch.today)
    _write_standings(plan.upserts, plan.goodness_updates, batch.now)
    if plan.events:
        ids = insert_rows(
            OvertakingEvent._meta.db_table, _EVENT_COLUMNS, plan.events, returning="id"
        )
        created_at = _stamp(batch.now)
        insert_rows(
            Notification._meta.db_table,
            ("unit_id", "kind", "movement_id", "event_id", "message", "created_at"),
            [
                (unit, kind, movement, ids[event], message, created_at)
                for unit, kind, movement, event, message in plan.notifications
            ],
        )


def _plan(
    scoring: Scoring,
    periods: list[Period],
    *,
    touched: dict[int, set[int]] | None,
    batch: _Batch,
    locked: bool,
) -> _Plan | None:
    """Work out `_rescore`'s writes without writing: reads only."""
    version = _standings_version(scoring, locked=locked)
    block = _block_members(scoring.block_id, None)
    if touched is None:
        members_of = {p.pk: block for p in periods}
    else:
        in_block = set(block)
        members_of = {p.pk: sorted(in_block.intersection(touched.get(p.pk, ()))) for p in periods}
    period_ids = [pk for pk, members in members_of.items() if members]
    if not period_ids:
        return None
    components = scoring_components(scoring.component_list)
    single = len(components) == 1
    rule = domain.goodness_rule(components[0])
    scoring_id = scoring.pk
    before_all = _current_goodness(scoring, period_ids)
    upserts: list[tuple] = []
    goodness_updates: list[tuple[int | None, int, int, int]] = []
    changes_by_period: dict[int, tuple[list[domain.PairChange], dict[int, int | None]]] = {}
    for period_id in period_ids:
        members = members_of[period_id]
        fresh = _figures_for(scoring, members, [period_id])
        before = before_all.get(period_id, {})
        after = dict(before)
        if single:
            for unit_id in members:
                ((quantity, entries, denominator),) = fresh[(period_id, unit_id)]
                after[unit_id] = rule(quantity, entries, denominator)
        else:
            inputs = _stored_inputs(scoring, period_id)
            inputs.update({u: fresh[(period_id, u)] for u in members})
            after = domain.goodness_of_all(
                components, {u: _as_figures(i) for u, i in inputs.items()}
            )
            member_set = set(members)
            goodness_updates.extend(
                (after[u], scoring_id, period_id, u)
                for u in after
                if u not in member_set and after[u] != before.get(u)
            )
        for unit_id in members:
            goodness = after[unit_id]
            inputs_of_unit = fresh[(period_id, unit_id)]
            if (
                goodness is None
                and unit_id not in before
                and not any(entries for _q, entries, _d in inputs_of_unit)
            ):
                continue  # nothing to keep for a unit that has no figure at all yet
            upserts.append((scoring_id, period_id, unit_id, goodness, *_as_json(inputs_of_unit)))
        changes = domain.order_changes(before, after)
        if changes:
            changes_by_period[period_id] = (changes, after)
    plan = _Plan(scoring, version, period_ids, upserts, goodness_updates)
    if changes_by_period:
        changed = {p.pk: p for p in periods if p.pk in changes_by_period}
        _plan_events(plan, changes_by_period, changed, batch)
    return plan


_STANDING_COLUMNS = (
    "scoring_id",
    "period_id",
    "unit_id",
    "goodness",
    "numerators",
    "denominators",
    "updated_at",
)


def _write_standings(upserts: list[tuple], goodness_updates: list[tuple], now: dt.datetime) -> None:
    table = Standing._meta.db_table
    stamp = _stamp(now)
    insert_rows(
        table,
        _STANDING_COLUMNS,
        [(*row, stamp) for row in upserts],
        suffix="ON CONFLICT (scoring_id, period_id, unit_id) DO UPDATE SET "
        "goodness = excluded.goodness, numerators = excluded.numerators, "
        "denominators = excluded.denominators, updated_at = excluded.updated_at",
    )
    with connection.cursor() as cursor:
        if goodness_updates:
            cursor.executemany(
                f"UPDATE {table} SET goodness = %s WHERE scoring_id = %s AND period_id = %s "
                "AND unit_id = %s",
                goodness_updates,
            )


def _value_converter(scoring: Scoring):
    """goodness → the value it stands for (see selectors.scoring_value), without rebuilding
    the scoring's components for each of thousands of events."""
    components = scoring.component_list
    if len(components) > 1:
        places, sign = domain.GOODNESS_PLACES["score"], 1
    else:
        component = scoring_components(components)[0]
        places = domain.GOODNESS_PLACES[component.normalisation]
        sign = 1 if component.more_is_better else -1

    def convert(goodness: int | None) -> Decimal | None:
        if goodness is None or abs(goodness) == domain.GOODNESS_MAX:
            return None
        return Decimal(sign * goodness).scaleb(-places)

    return convert


_EVENT_COLUMNS = (
    "movement_id",
    "scoring_id",
    "period_id",
    "kind",
    "ahead_id",
    "behind_id",
    "ahead_rank",
    "behind_rank",
    "ahead_value",
    "behind_value",
    "margin",
    "cause",
    "batch",
    "report_ids",
    "recorded_at",
    "recorded_on",
)


def _plan_events(
    plan: _Plan,
    changes_by_period: dict[int, tuple[list[domain.PairChange], dict[int, int | None]]],
    periods: dict[int, Period],
    batch: _Batch,
) -> None:
    scoring = plan.scoring
    # (period, unit) → a few of the batch's reports that moved the unit's figure in the period
    # (in its subtree, on a day of the period): the reports an event names.
    involved = {
        (period_id, u)
        for period_id, (changes, _a) in changes_by_period.items()
        for c in changes
        for u in (c.ahead, c.behind)
    }
    units = {u for _p, u in involved}
    periods_of_day: dict[dt.date, list[int]] = {}
    rows_under: dict[tuple[int, int], list] = defaultdict(list)
    for row in batch.rows:
        named = [u for u in batch.lineages[row.unit_path] if u in units]
        if not named:
            continue
        holding = periods_of_day.get(row.day)
        if holding is None:
            holding = periods_of_day[row.day] = [
                pk for pk, p in periods.items() if p.starts_on <= row.day <= p.ends_on
            ]
        for u in named:
            for period_id in holding:
                found = rows_under[(period_id, u)]
                if len(found) < REPORT_IDS_PER_EVENT:
                    found.append(row)
    report_ids = ids_by_key(sorted({row.key for found in rows_under.values() for row in found}))
    recorded_at = _stamp(batch.now)
    recorded_on = batch.today.isoformat() if connection.vendor == "sqlite" else batch.today
    convert = _value_converter(scoring)
    rescoring = batch.cause == OvertakingEvent.Cause.RESCORING
    # Per period and unit: (whether those reports correct earlier ones, their ids).
    moved: dict[tuple[int, int], tuple[bool, set[int]]] = {
        key: (
            any(row.corrects_id is not None for row in rows_under.get(key, ())),
            {report_ids[row.key] for row in rows_under.get(key, ()) if row.key in report_ids},
        )
        for key in involved
    }
    rows = []
    for period_id, (changes, after) in changes_by_period.items():
        ranked = sorted(g for g in after.values() if g is not None)
        # Per unit: (its value, its rank) — a unit is often in several of a batch's events.
        standing: dict[int, tuple[Decimal | None, int]] = {}
        for u in {u for c in changes for u in (c.ahead, c.behind)}:
            standing[u] = (convert(after[u]), domain.rank_in(ranked, after[u]))
        for change in changes:
            (ahead_value, ahead_rank), (behind_value, behind_rank) = (
                standing[change.ahead],
                standing[change.behind],
            )
            (ahead_corrects, ahead_ids), (behind_corrects, behind_ids) = (
                moved[(period_id, change.ahead)],
                moved[(period_id, change.behind)],
            )
            if rescoring:
                cause = batch.cause
            elif ahead_corrects or behind_corrects:
                cause = OvertakingEvent.Cause.CORRECTION
            else:
                cause = OvertakingEvent.Cause.REPORTS
            ids = sorted(ahead_ids | behind_ids)[:REPORT_IDS_PER_EVENT]
            rows.append(
                (
                    scoring.movement_id,
                    scoring.pk,
                    period_id,
                    change.kind,
                    change.ahead,
                    change.behind,
                    ahead_rank,
                    behind_rank,
                    ahead_value,
                    behind_value,
                    None
                    if ahead_value is None or behind_value is None
                    else abs(ahead_value - behind_value),
                    str(cause),
                    batch.id,
                    "[" + ", ".join(map(str, ids)) + "]",
                    recorded_at,
                    recorded_on,
                )
            )
    plan.events = rows
    # (index, period, kind, ahead, behind, behind's rank): for the notifications to point at.
    written = [(index, *row[2:6], row[7]) for index, row in enumerate(rows)]
    plan.notifications = _notifications(scoring, written, periods)


def _notifications(scoring: Scoring, written: list[tuple], periods: dict[int, Period]) -> list:
    """One notification per unit passed, naming who passed it and where it stands now in
    each period, and one per parent naming which of its units were passed: an import that
    reorders a block tells each team once and its enterprise once, not once per event."""
    by_behind: dict[int, list[tuple]] = defaultdict(list)
    for event in written:
        by_behind[event[4]].append(event)
    involved = {e[3] for e in written} | set(by_behind)
    units: dict[int, tuple[str, int | None]] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(sorted(involved), 5000):
            cursor.execute(
                f"SELECT id, name, parent_id FROM {Unit._meta.db_table} "
                f"WHERE id IN ({_int_list(chunk)})"
            )
            units.update((pk, (name, parent_id)) for pk, name, parent_id in cursor.fetchall())
    # Shorter periods first, the whole movement last: "2nd in March 2025 and 5th in …".
    order = {
        p.pk: index
        for index, p in enumerate(
            sorted(periods.values(), key=lambda p: (p.is_whole, p.starts_on, p.pk))
        )
    }
    where = f"in “{scoring.name}”"
    kind = Notification.Kind
    rows = []
    # parent → per unit passed: (its best new rank, the unit, who passed it, the verb, where
    # it stands now, the first event that passed it)
    below: dict[int, list[tuple[int, int, str, str, str, int]]] = defaultdict(list)
    for behind, passed in by_behind.items():
        verb = "drew level with" if all(e[2] == domain.DREW_LEVEL for e in passed) else "overtook"
        who = _some(list(dict.fromkeys(units[e[3]][0] for e in passed)))
        ranks: dict[int, int] = {}
        for event in passed:
            ranks.setdefault(event[1], event[5])
        standing = _and(
            [f"{_ordinal(ranks[p])} in {periods[p].name}" for p in sorted(ranks, key=order.get)]
        )
        event_id = passed[0][0]
        message = f"{who} {verb} you {where}; you are now {standing}."
        rows.append((behind, kind.OVERTAKEN.value, scoring.movement_id, event_id, message))
        parent = units[behind][1]
        if parent is not None:
            below[parent].append((min(ranks.values()), behind, who, verb, standing, event_id))
    for parent, children in below.items():
        children.sort()
        _rank, behind, who, verb, standing, event_id = children[0]
        if len(children) == 1:
            message = f"{who} {verb} {units[behind][0]} {where}; it is now {standing}."
        else:
            named = _some([f"{units[c[1]][0]} (now {c[4]})" for c in children])
            message = f"{len(children)} of your units were passed {where}: {named}."
        rows.append((parent, kind.CHILD_OVERTAKEN.value, scoring.movement_id, event_id, message))
    return rows


def _some(names: list[str], shown: int = 3) -> str:
    """'A, B, C and 2 more'."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _and(parts: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _ordinal(rank: int) -> str:
    """1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, … 21st."""
    if rank % 100 in (11, 12, 13):
        return f"{rank}th"
    return f"{rank}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(rank % 10, 'th') }"


# --- notifications ----------------------------------------------------------------------------


@audited("emulation.mark_notifications_read")
def mark_notifications_read(*, unit_ids: Iterable[int], up_to_id: int) -> int:
    """Mark the notifications of the given units (those the actor may view) read, up to an id
    (what the person saw): a notification that arrived since stays unread."""
    actor = current_actor()
    allowed = [
        unit for unit in Unit.objects.filter(pk__in=list(unit_ids)) if _can_view(actor, unit)
    ]
    return Notification.objects.filter(
        unit__in=allowed, pk__lte=up_to_id, read_at__isnull=True
    ).update(read_at=timezone.now())


def _can_view(actor, unit: Unit) -> bool:
    return can(actor, Capability.VIEW, unit)


# --- challenges ------------------------------------------------------------------------------


def _notify(unit_id: int, kind: str, challenge: Challenge, message: str) -> Notification:
    return Notification(
        unit_id=unit_id,
        kind=kind,
        movement_id=challenge.movement_id,
        challenge=challenge,
        message=message,
        created_at=timezone.now(),
    )


@audited("emulation.propose_challenge")
def propose_challenge(
    *,
    movement: Movement,
    challenger: Unit,
    indicator: Indicator,
    period: Period,
    answer_by: dt.date,
    opponent: Unit | None = None,
    group: Block | None = None,
    normalisation: str = domain.RAW,
    stake: str = "",
    created_by=None,
) -> Challenge:
    """`challenger` challenges `opponent` (a unit) or `group` (every other unit of a block)
    on an indicator over a period. Each challenged unit accepts or declines until `answer_by`;
    the challenge runs once one accepts and ends with the period."""
    require(current_actor(), Capability.PLAN, challenger, movement)
    if movement.status != Movement.Status.LAUNCHED:
        raise StateError(f"Movement {movement.slug!r} is {movement.status}: no new challenges.")
    today = _today(movement)
    errors: list[RowError] = []
    if (opponent is None) == (group is None):
        errors.append(RowError(1, "opponent", "challenge one unit or one group", "invalid"))
    if indicator.movement_id != movement.pk:
        errors.append(RowError(1, "indicator", "not an indicator of this movement", "invalid"))
    if period.movement_id != movement.pk:
        errors.append(RowError(1, "period", "not a period of this movement", "invalid"))
    elif period.ends_on < today:
        errors.append(RowError(1, "period", f"{period.name} has ended", "ended"))
    elif not today <= answer_by <= period.ends_on:
        errors.append(
            RowError(
                1,
                "answer_by",
                f"a day from today ({today}) to the period's end ({period.ends_on})",
                "invalid",
            )
        )
    if normalisation not in domain.NORMALISATIONS:
        errors.append(RowError(1, "normalisation", "unknown normalisation", "invalid"))
    if not unit_in_movement(unit=challenger, movement=movement):
        errors.append(RowError(1, "challenger", "outside the movement's scope", "out_of_scope"))
    challenged: list[Unit] = []
    if opponent is not None:
        if opponent.pk == challenger.pk:
            errors.append(RowError(1, "opponent", "a unit cannot challenge itself", "invalid"))
        elif not unit_in_movement(unit=opponent, movement=movement):
            errors.append(RowError(1, "opponent", "outside the movement's scope", "out_of_scope"))
        challenged = [opponent]
    elif group is not None:
        challenged = [u for u in group.units.filter(archived=False) if u.pk != challenger.pk]
        if not challenged:
            errors.append(RowError(1, "group", "the group has no other unit", "empty"))
    if errors:
        raise ValidationFailed("The challenge is not valid; nothing was created.", errors=errors)
    challenge = Challenge.objects.create(
        movement=movement,
        challenger=challenger,
        group=group,
        indicator=indicator,
        normalisation=normalisation,
        period=period,
        stake=stake.strip(),
        answer_by=answer_by,
        created_by=created_by,
    )
    ChallengeParticipant.objects.bulk_create(
        [ChallengeParticipant(challenge=challenge, unit=challenger, answer="challenger")]
        + [
            ChallengeParticipant(challenge=challenge, unit=unit, answer="pending")
            for unit in challenged
        ]
    )
    Notification.objects.bulk_create(
        _notify(
            unit.pk,
            Notification.Kind.CHALLENGED,
            challenge,
            f"{challenger.name} challenges you on {indicator.name} ({period.name}); "
            f"answer by {answer_by:%d %b %Y}.",
        )
        for unit in challenged
    )
    note(unit=challenger, movement=movement)
    return challenge


def _answer(challenge: Challenge, unit: Unit, answer: str) -> Challenge:
    require(current_actor(), Capability.PLAN, unit, challenge.movement)
    challenge = (
        Challenge.objects.select_for_update()
        .select_related("movement", "challenger")
        .get(pk=challenge.pk)
    )
    participant = ChallengeParticipant.objects.filter(challenge=challenge, unit=unit).first()
    if participant is None or participant.answer == "challenger":
        raise StateError(f"{unit.name} was not challenged in this challenge.")
    if challenge.status not in (Challenge.Status.PROPOSED, Challenge.Status.RUNNING):
        raise StateError(f"The challenge is {challenge.get_status_display().lower()}.")
    if participant.answer != ChallengeParticipant.Answer.PENDING:
        raise StateError(f"{unit.name} has already answered: {participant.get_answer_display()}.")
    if _today(challenge.movement) > challenge.answer_by:
        raise StateError(f"The answer was due by {challenge.answer_by}; it has expired.")
    participant.answer = answer
    participant.answered_at = timezone.now()
    participant.save(update_fields=["answer", "answered_at"])
    answers = set(
        ChallengeParticipant.objects.filter(challenge=challenge).values_list("answer", flat=True)
    )
    if answer == ChallengeParticipant.Answer.ACCEPTED:
        challenge.status = Challenge.Status.RUNNING
    elif answers <= {"challenger", ChallengeParticipant.Answer.DECLINED}:
        challenge.status = Challenge.Status.DECLINED
        challenge.ended_at = timezone.now()
    challenge.save(update_fields=["status", "ended_at"])
    verb = "accepted" if answer == ChallengeParticipant.Answer.ACCEPTED else "declined"
    _notify(
        challenge.challenger_id,
        Notification.Kind.CHALLENGE_ANSWERED,
        challenge,
        f"{unit.name} {verb} your challenge on {challenge.indicator.name}.",
    ).save()
    note(unit=unit, movement=challenge.movement)
    return challenge


@audited("emulation.accept_challenge")
def accept_challenge(*, challenge: Challenge, unit: Unit) -> Challenge:
    """The challenged unit takes the challenge up; it runs from now to the period's end."""
    return _answer(challenge, unit, ChallengeParticipant.Answer.ACCEPTED)


@audited("emulation.decline_challenge")
def decline_challenge(*, challenge: Challenge, unit: Unit) -> Challenge:
    """The challenged unit declines; when every challenged unit has declined, so has the
    challenge."""
    return _answer(challenge, unit, ChallengeParticipant.Answer.DECLINED)


@audited("emulation.settle_challenges")
def settle_challenges(*, today: dt.date | None = None) -> list[Challenge]:
    """What the clock decides, for every movement: answers not given by `answer_by` expire
    (and so does a challenge nobody accepted); a running challenge whose period has ended
    finishes, its result kept in each participant's record. Safe to run any number of times."""
    changed: list[Challenge] = []
    open_challenges = Challenge.objects.filter(
        status__in=[Challenge.Status.PROPOSED, Challenge.Status.RUNNING]
    ).select_related("movement", "period", "indicator", "challenger")
    for challenge in open_challenges:
        day = today or _today(challenge.movement)
        if day > challenge.answer_by:
            expired = ChallengeParticipant.objects.filter(
                challenge=challenge, answer=ChallengeParticipant.Answer.PENDING
            ).update(answer=ChallengeParticipant.Answer.EXPIRED)
            if challenge.status == Challenge.Status.PROPOSED:
                challenge.status = Challenge.Status.EXPIRED
                challenge.ended_at = timezone.now()
                challenge.save(update_fields=["status", "ended_at"])
                changed.append(challenge)
                continue
            if expired:
                changed.append(challenge)
        if challenge.status == Challenge.Status.RUNNING and day > challenge.period.ends_on:
            _finish(challenge)
            changed.append(challenge)
    return changed


def _finish(challenge: Challenge) -> None:
    standings = challenge_standings(challenge)
    now = timezone.now()
    best = min((row.rank for row in standings if row.rank is not None), default=None)
    ChallengeResult.objects.bulk_create(
        ChallengeResult(
            challenge=challenge,
            unit=row.unit,
            rank=row.rank,
            value=domain.as_decimal(row.value),
            won=row.rank is not None and row.rank == best,
            recorded_at=now,
        )
        for row in standings
    )
    challenge.status = Challenge.Status.FINISHED
    challenge.ended_at = now
    challenge.save(update_fields=["status", "ended_at"])
    winners = ", ".join(row.unit.name for row in standings if row.rank == best) or "nobody"
    Notification.objects.bulk_create(
        _notify(
            row.unit.pk,
            Notification.Kind.CHALLENGE_ENDED,
            challenge,
            f"The challenge on {challenge.indicator.name} ({challenge.period.name}) has ended: "
            f"won by {winners}; you finished {row.rank or 'unranked'}.",
        )
        for row in standings
    )
