"""Fulfilment figures: pure functions over Decimals. No Django; property-tested.

Every percentage is a full-precision Decimal; rounding is the display's business
(pacesetter.core.quantities.round_percent). Over 100% is kept as it is, never capped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)


def percent(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """part ÷ whole × 100, or None when there is nothing to divide by."""
    if part is None or whole is None or whole == 0:
        return None
    return part * HUNDRED / whole


def fulfilment(
    actual: Decimal, planned: Decimal | None, *, less_is_better: bool = False
) -> Decimal | None:
    """Plan fulfilment. For "less is better" (cost, losses, days lost) it is plan ÷ actual:
    using 80 where 100 was allowed fulfils the plan by 125%."""
    if planned is None:
        return None
    if less_is_better:
        return percent(planned, actual)
    return percent(actual, planned)


def verified_share(verified: Decimal, actual: Decimal) -> Decimal | None:
    """How much of a figure is verified, in per cent; None when there is no figure to share.
    Never capped: a correction can leave the verified part above a smaller whole."""
    return percent(verified, actual)


def capacity_utilisation(actual: Decimal, rated_capacity: Decimal | None) -> Decimal | None:
    return percent(actual, rated_capacity)


def daily_assignment_rate(
    actual: Decimal, daily_assignment: Decimal | None, days_worked: int
) -> Decimal | None:
    """Output per day worked ÷ the daily assignment. "Overfulfilled by 300%" is a rate of 400%."""
    if daily_assignment is None or days_worked <= 0:
        return None
    return percent(actual / days_worked, daily_assignment)


@dataclass(frozen=True, slots=True)
class Growth:
    absolute: Decimal
    percent: Decimal | None


def growth(actual: Decimal, base: Decimal | None) -> Growth | None:
    if base is None:
        return None
    return Growth(absolute=actual - base, percent=percent(actual - base, base))


@dataclass(frozen=True, slots=True)
class Pace:
    elapsed_days: int
    period_days: int
    run_rate: Decimal | None  # per calendar day so far
    met_on: dt.date | None
    met_on_day: int | None  # 1 = the first day of the period
    projected_on: dt.date | None  # when the plan will be met at the run-rate (None: never)
    projected_within_period: bool
    days_ahead: Decimal | None  # > 0 ahead of a linear schedule, < 0 behind

    @property
    def whole_days_off(self) -> int | None:
        """Days ahead of (or behind) a linear schedule, whole, without sign: for display."""
        if self.days_ahead is None:
            return None
        return int(abs(self.days_ahead).to_integral_value(rounding=ROUND_HALF_UP))


def elapsed_days(start: dt.date, end: dt.date, as_of: dt.date) -> int:
    if as_of < start:
        return 0
    return (min(as_of, end) - start).days + 1


def pace(
    *,
    planned: Decimal | None,
    daily: list[tuple[dt.date, Decimal]],
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
) -> Pace | None:
    """Pace against a linear schedule from `start` to `end`.

    `daily` is the per-day quantity, sorted by day (for a "latest level" indicator, the day's
    change of level: the running sum is then the level).
    Days after `as_of` are ignored. Returns None without a positive plan.
    """
    if planned is None or planned <= 0:
        return None
    period_days = (end - start).days + 1
    elapsed = elapsed_days(start, end, as_of)
    total = Decimal(0)
    met_on = None
    for day, quantity in daily:
        if day > as_of or day > end:
            break
        if day < start:
            continue
        total += quantity
        if met_on is None and total >= planned:
            met_on = day
    if met_on is not None:
        met_on_day = (met_on - start).days + 1
        return Pace(
            elapsed_days=elapsed,
            period_days=period_days,
            run_rate=total / elapsed if elapsed else None,
            met_on=met_on,
            met_on_day=met_on_day,
            projected_on=met_on,
            projected_within_period=True,
            days_ahead=Decimal(period_days - met_on_day),
        )
    if elapsed == 0:
        return Pace(elapsed, period_days, None, None, None, None, False, None)
    run_rate = total / elapsed
    projected_on = None
    if run_rate > 0:
        days_needed = int((planned / run_rate).to_integral_value(rounding=ROUND_CEILING))
        projected_on = start + dt.timedelta(days=days_needed - 1)
    days_ahead = total * period_days / planned - elapsed
    return Pace(
        elapsed_days=elapsed,
        period_days=period_days,
        run_rate=run_rate,
        met_on=None,
        met_on_day=None,
        projected_on=projected_on,
        projected_within_period=projected_on is not None and projected_on <= end,
        days_ahead=days_ahead,
    )


def held(
    *,
    target: Decimal | None,
    daily: list[tuple[dt.date, Decimal]],
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
) -> bool | None:
    """Whether a "less is better" figure stayed at or below its target on every day of the
    period so far: the running figure (the running sum of `daily`, which for a "latest level"
    indicator is the level) never went over it. None without a target or before the period.

    Ground lost with a target of zero is held by a unit that lost none on any day; a total
    that came back under the target after a day over it was not held the whole period."""
    if target is None or as_of < start:
        return None
    running = Decimal(0)
    reported = False
    for day, quantity in daily:
        if day > as_of or day > end:
            break
        if day < start:
            continue
        reported = True
        running += quantity
        if running > target:
            return False
    return True if reported else None


def rank(values: dict[int, Decimal], *, less_is_better: bool = False) -> dict[int, int]:
    """Competition ranking ("1, 2, 2, 4"): equal values share a rank."""
    ordered = sorted(values.items(), key=lambda item: item[1], reverse=not less_is_better)
    ranks: dict[int, int] = {}
    previous = None
    for position, (key, value) in enumerate(ordered, start=1):
        if previous is None or value != previous[1]:
            previous = (position, value)
        ranks[key] = previous[0]
    return ranks
