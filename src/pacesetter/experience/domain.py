"""The effect of a practice, measured honestly: a difference-in-differences. Pure Python.

For each adopter, the window before its adoption day (N days, the day itself excluded) and
the window from its adoption day on (N days, cut at `today`). Its run-rate in a window is its
total over the window's days divided by their number. The comparison units (same block, not
adopters) are read over the *same calendar days* as each adopter's windows, and averaged.
Adopters' and comparison's rates are then averaged over the adopters, and

    difference = (adopters after − adopters before) − (comparison after − comparison before).

It is a comparison, not proof of cause: units that chose to adopt may differ from the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

DEFAULT_DAYS = 14
# Below this many units on either side the page says "too few units to compare".
MINIMUM_UNITS = 3


@dataclass(frozen=True)
class Effect:
    days: int
    adopters: int  # adopters measured (their after-window has begun)
    comparison: int  # units of the same block that did not adopt
    adopters_before: Decimal | None
    adopters_after: Decimal | None
    comparison_before: Decimal | None
    comparison_after: Decimal | None
    adopters_change: Decimal | None
    comparison_change: Decimal | None
    difference: Decimal | None
    enough: bool


def windows(adopted_on: dt.date, days: int, today: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """The days before (N, ending the day before adoption) and after (from adoption day, at
    most N, none later than `today`)."""
    before = [adopted_on - dt.timedelta(days=k) for k in range(days, 0, -1)]
    after = [
        adopted_on + dt.timedelta(days=k)
        for k in range(days)
        if adopted_on + dt.timedelta(days=k) <= today
    ]
    return before, after


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def measure(
    *,
    adoptions: Sequence[tuple[int, dt.date]],
    comparison: Sequence[int],
    daily: Mapping[tuple[int, dt.date], Decimal],
    today: dt.date,
    days: int = DEFAULT_DAYS,
    minimum: int = MINIMUM_UNITS,
) -> Effect:
    """`adoptions`: (unit id, adoption day); `comparison`: unit ids that did not adopt;
    `daily`: (unit id, day) → the day's quantity (missing means nothing reported: zero)."""
    units = set(comparison)
    comparison_daily: dict[dt.date, Decimal] = {}
    for (unit_id, day), quantity in daily.items():
        if unit_id in units:
            comparison_daily[day] = comparison_daily.get(day, Decimal(0)) + quantity
    return measure_totals(
        adoptions=adoptions,
        daily=daily,
        comparison=len(units),
        comparison_daily=comparison_daily,
        today=today,
        days=days,
        minimum=minimum,
    )


def measure_totals(
    *,
    adoptions: Sequence[tuple[int, dt.date]],
    daily: Mapping[tuple[int, dt.date], Decimal],
    comparison: int,
    comparison_daily: Mapping[dt.date, Decimal],
    today: dt.date,
    days: int = DEFAULT_DAYS,
    minimum: int = MINIMUM_UNITS,
) -> Effect:
    """`measure` with the comparison units given as their number and their total per day:
    the mean of their run-rates over some days is the run-rate of their total divided by
    their number, so the work grows with the adopters and the days, not with the comparison
    units (a block of 10,000 is one series). `daily` needs the adopters' days only."""
    if days < 1:
        raise ValueError("days must be at least 1")
    measured = [(u, d) for u, d in adoptions if d <= today]
    count_adopters = len(measured)
    if count_adopters < minimum or comparison < minimum:
        return Effect(days, count_adopters, comparison, *([None] * 7), enough=False)
    # The comparison's running total per day: any window's sum is then two look-ups.
    span = dt.timedelta(days=days)
    one = dt.timedelta(days=1)
    day = min(d for _u, d in measured) - span
    last = min(max(d for _u, d in measured) + span - one, today)
    running, total = {day - one: Decimal(0)}, Decimal(0)
    while day <= last:
        total += comparison_daily.get(day, Decimal(0))
        running[day] = total
        day += one
    # Each adopter's own days (the windows are [adoption − N, adoption) and from adoption
    # on, at most N days and none after `today`, as `windows` gives them).
    adopters = {u for u, _d in measured}
    own: dict[int, list[tuple[dt.date, Decimal]]] = {}
    for (unit_id, day), quantity in daily.items():
        if unit_id in adopters:
            own.setdefault(unit_id, []).append((day, quantity))
    a_before, a_after, c_before, c_after = [], [], [], []
    for unit_id, adopted_on in measured:
        start, end = adopted_on - span, min(adopted_on + span - one, today)
        after_days = (end - adopted_on).days + 1
        before = after = Decimal(0)
        for day, quantity in own.get(unit_id, ()):
            if start <= day < adopted_on:
                before += quantity
            elif adopted_on <= day <= end:
                after += quantity
        a_before.append(before / days)
        a_after.append(after / after_days)
        c_before.append((running[adopted_on - one] - running[start - one]) / days / comparison)
        c_after.append((running[end] - running[adopted_on - one]) / after_days / comparison)
    adopters_before, adopters_after = _mean(a_before), _mean(a_after)
    comparison_before, comparison_after = _mean(c_before), _mean(c_after)
    adopters_change = adopters_after - adopters_before
    comparison_change = comparison_after - comparison_before
    return Effect(
        days=days,
        adopters=count_adopters,
        comparison=comparison,
        adopters_before=adopters_before,
        adopters_after=adopters_after,
        comparison_before=comparison_before,
        comparison_after=comparison_after,
        adopters_change=adopters_change,
        comparison_change=comparison_change,
        difference=adopters_change - comparison_change,
        enough=True,
    )


def chain_reach(adopters_by_practice: Mapping[int, set[int]], publishers: Mapping[int, int]) -> int:
    """How many distinct units a chain of practices reached: every publisher and adopter."""
    reached: set[int] = set(publishers.values())
    for units in adopters_by_practice.values():
        reached |= units
    return len(reached)
