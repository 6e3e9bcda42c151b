"""Overtaking: the events a change of order makes, the reports they name, and the
notifications they send (one per unit passed, one per parent)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection

from pacesetter.ledger.report_selectors import ids_by_key
from pacesetter.movements.models import Period
from pacesetter.units.models import Unit

from .. import domain
from ..models import Notification, OvertakingEvent, Scoring
from ..selectors import scoring_components
from ._shared import _chunks, _int_list, _stamp

if TYPE_CHECKING:
    from .standings import _Batch, _Plan


REPORT_IDS_PER_EVENT = 5


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
    "figures_day",
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
    # (period, unit) → the latest day of the batch's reports under it: the day of the figures
    # an event compares, which for a ledger imported long after differs from when it is
    # recorded.
    last_day: dict[tuple[int, int], dt.date] = {}
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
                if last_day.get((period_id, u), row.day) <= row.day:
                    last_day[(period_id, u)] = row.day
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
            days = [
                day
                for u in (change.ahead, change.behind)
                if (day := last_day.get((period_id, u))) is not None
            ]
            figures_day = None if rescoring or not days else max(days)
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
                    figures_day.isoformat()
                    if figures_day is not None and connection.vendor == "sqlite"
                    else figures_day,
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
