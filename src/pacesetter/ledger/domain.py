"""Pure rules of the ledger's aggregates; no Django. Property-tested.

For a "latest level" indicator a unit's level on day t is the value of its own daily total
on the last day ≤ t that has a report (0 before any). A subtree's level is the sum of its
units' levels. The subtree daily aggregate stores the day-to-day *change* of that level, so
its running sum is the subtree level over time, and a late report for an earlier day only
touches the days whose change it alters.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Mapping

ONE_DAY = dt.timedelta(days=1)


def level_on(series: list[tuple[dt.date, int]], day: dt.date) -> int:
    """`series` is sorted by day; the level is the value of the last entry on or before `day`."""
    index = bisect_right(series, (day, float("inf")))  # type: ignore[operator]
    return series[index - 1][1] if index else 0


def level_in_period(series: list[tuple[dt.date, int]], start: dt.date, end: dt.date) -> int:
    """The level a unit reached within a period: its last reported value inside it, else 0."""
    index = bisect_right(series, (end, float("inf")))  # type: ignore[operator]
    if index and series[index - 1][0] >= start:
        return series[index - 1][1]
    return 0


def level_changes(series: list[tuple[dt.date, int]]) -> dict[dt.date, int]:
    """Day → change of level on that day (only days that have a report)."""
    changes: dict[dt.date, int] = {}
    previous = 0
    for day, value in series:
        changes[day] = value - previous
        previous = value
    return changes


def level_deltas(
    old: list[tuple[dt.date, int]], new: list[tuple[dt.date, int]]
) -> dict[dt.date, int]:
    """How the day-by-day level changes differ between two series (zeros left out)."""
    before, after = level_changes(old), level_changes(new)
    deltas = {}
    for day in before.keys() | after.keys():
        delta = after.get(day, 0) - before.get(day, 0)
        if delta:
            deltas[day] = delta
    return deltas


def series_from_days(days: Mapping[dt.date, tuple[int, int]]) -> list[tuple[dt.date, int]]:
    """(value, entries) per day → the level series: days with at least one report."""
    return sorted((day, value) for day, (value, entries) in days.items() if entries > 0)


# ─── Idempotency keys, scoped to the movement and the caller ───
#
# A client chooses its keys, so a key means something only to the one who chose it: the same
# key from two callers, or in two movements, is two reports, and no caller can learn of (or
# claim) another's key. The ledger stores the scoped key — "<movement>.<owner>" and the unit
# separator before the client's key (owner: the person who entered it, 0 for the system) — so
# one unique column keeps the guarantee on both databases. Client keys can hold no control
# character, so the separator tells a scoped key from one stored before keys were scoped;
# those are read as scoped to their own movement and the person who entered them.

KEY_SCOPE_SEPARATOR = "\x1f"


def scoped_key(movement_id: int, owner_id: int | None, key: str) -> str:
    return f"{movement_id}.{owner_id or 0}{KEY_SCOPE_SEPARATOR}{key}"


def client_key(stored: str) -> str:
    """The key as its client gave it."""
    return stored.rpartition(KEY_SCOPE_SEPARATOR)[2]


def has_control_character(text: str) -> bool:
    """C0 and C1 controls and DEL: PostgreSQL stores no NUL, and none belongs in a key."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)
