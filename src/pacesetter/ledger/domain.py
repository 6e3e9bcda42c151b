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
