"""Keeping standings current: what a batch of reports changes in each ranking, worked out
as a plan (reads only) and applied (the day's snapshot, the standings, the events)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from pacesetter.core.rows import insert_rows
from pacesetter.ledger.models import SubtreePeriodTotal
from pacesetter.movements.models import Movement, Period, Plan
from pacesetter.units.models import Block, Unit

from .. import domain
from ..models import Notification, OvertakingEvent, RankingDay, Scoring, Standing, StandingSnapshot
from ..selectors import scoring_components, scorings_of
from ._shared import _chunks, _int_list, _stamp, _today
from .overtaking import _EVENT_COLUMNS, _plan_events


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


class _Stale(Exception):
    """The standings changed between a follower round's reading and its writing."""


def _lineage(path: str) -> list[int]:
    """A unit's id and its ancestors' from its path ("/1/7/42/")."""
    return [int(part) for part in path.strip("/").split("/")]


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
    # A movement ranking on verified figures ranks on the verified columns; the choice is
    # made in the same statement (no extra query), from the movement's row as it is now.
    verified = (
        f"(SELECT rank_on_verified FROM {Movement._meta.db_table} WHERE id = "
        f"{int(scoring.movement_id)})"
    )
    for chunk in _chunks(members, 5000):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT unit_id, indicator_id, period_id, "
                f"CASE WHEN {verified} THEN verified_minor ELSE quantity_minor END, "
                f"CASE WHEN {verified} THEN verified_entries ELSE entries END FROM {table} "
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
