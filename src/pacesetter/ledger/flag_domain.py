"""Pure rules of the plausibility flags; no Django. Property-tested.

Each check takes the numbers it needs (quantities as Decimals in the indicator's unit) and
gives back the numbers a flag shows, or None when nothing looks implausible. A measure is
flagged only when it is *past* its threshold: at the threshold, nothing.

What `threshold`, `window_days` and `minimum` mean for each kind (`DEFAULTS` holds what a
movement without a rule of that kind uses):

- over_capacity: threshold = the factor of the rated capacity per day a unit's day total may
  reach (1.5). Rated capacity is set per period on a plan, as capacity utilisation reads it
  (actual ÷ rated capacity over the period), so a day's share is capacity ÷ the period's days;
  for a "latest level" indicator the level itself is compared with the capacity.
- jump: threshold = the factor of the unit's own median over its reported days in the
  `window_days` before the day (3), once it has at least `minimum` such days (5). For a "less
  is better" indicator, a fall to below the median ÷ the factor.
- block_outlier: threshold = the robust z-score (0.6745 × (x − median) ÷ MAD, Iglewicz and
  Hoaglin) against the units of the same block that reported that day (3.5), with at least
  `minimum` of them (5). On the favourable side only (high if more is better, low if less).
- late: threshold = days between the report's day and the day it was entered, in the
  movement's time zone (7). Originals only: a correction is late by nature.
- corrections: threshold = how many corrections a unit may have for its days within
  `window_days` up to the corrected day (3).
- heaping: threshold = the share of a unit's reported days in `window_days` (up to the day)
  whose totals are round numbers (0.5), once it has `minimum` such days (10). Round: whole,
  ending in 0, at most two significant digits (50, 1,200, 30,000; not 45 or 1,250).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

OVER_CAPACITY = "over_capacity"
JUMP = "jump"
BLOCK_OUTLIER = "block_outlier"
LATE = "late"
CORRECTIONS = "corrections"
HEAPING = "heaping"
KINDS = (OVER_CAPACITY, JUMP, BLOCK_OUTLIER, LATE, CORRECTIONS, HEAPING)

# The consistency constant of the median absolute deviation (MAD ≈ 0.6745 σ for a normal
# distribution), and of the mean absolute deviation used when the MAD is 0 (≈ 0.7979 σ).
MAD_SCALE = Decimal("0.6745")
MEAN_AD_SCALE = Decimal("1.253314")
FOUR_PLACES = Decimal("0.0001")
MAX_THRESHOLD = Decimal(100_000_000)  # what FlagRule.threshold holds (12 digits, 4 decimals)


@dataclass(frozen=True, slots=True)
class Rule:
    enabled: bool
    threshold: Decimal
    window_days: int | None = None
    minimum: int | None = None


DEFAULTS: dict[str, Rule] = {
    OVER_CAPACITY: Rule(True, Decimal("1.5")),
    JUMP: Rule(True, Decimal("3"), window_days=28, minimum=5),
    BLOCK_OUTLIER: Rule(True, Decimal("3.5"), minimum=5),
    LATE: Rule(True, Decimal("7")),
    CORRECTIONS: Rule(True, Decimal("3"), window_days=30),
    HEAPING: Rule(True, Decimal("0.5"), window_days=28, minimum=10),
}

# Which settings a kind reads (the others are left empty).
USES: dict[str, tuple[str, ...]] = {
    kind: ("threshold",)
    + (("window_days",) if rule.window_days is not None else ())
    + (("minimum",) if rule.minimum is not None else ())
    for kind, rule in DEFAULTS.items()
}


def rule_of(
    kind: str,
    *,
    enabled: bool | None = None,
    threshold: Decimal | None = None,
    window_days: int | None = None,
    minimum: int | None = None,
) -> Rule:
    """A stored rule with the kind's defaults where it leaves a setting empty (and only the
    settings the kind reads)."""
    default = DEFAULTS[kind]
    uses = USES[kind]
    return Rule(
        enabled=default.enabled if enabled is None else bool(enabled),
        threshold=default.threshold if threshold is None else Decimal(threshold),
        window_days=(
            (default.window_days if window_days is None else window_days)
            if "window_days" in uses
            else None
        ),
        minimum=(default.minimum if minimum is None else minimum) if "minimum" in uses else None,
    )


def rule_problems(kind: str, rule: Rule) -> list[tuple[str, str]]:
    """(field, what is wrong) for settings out of range."""
    problems = []
    if kind not in DEFAULTS:
        return [("kind", f"expected one of {', '.join(KINDS)}")]
    if not rule.threshold.is_finite() or not 0 < rule.threshold < MAX_THRESHOLD:
        problems.append(("threshold", "a number above 0 and below 100,000,000"))
    elif kind == HEAPING and rule.threshold >= 1:
        problems.append(("threshold", "a share between 0 and 1 (0.5 is half the days)"))
    elif kind in (OVER_CAPACITY, JUMP) and rule.threshold < 1:
        problems.append(("threshold", "a factor of at least 1"))
    if rule.window_days is not None and not 1 <= rule.window_days <= 366:
        problems.append(("window_days", "between 1 and 366 days"))
    if rule.minimum is not None and not 1 <= rule.minimum <= 1000:
        problems.append(("minimum", "between 1 and 1,000"))
    return problems


def median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


def _four(value: Decimal) -> Decimal:
    return value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def over_capacity(
    value: Decimal, *, rated_capacity: Decimal, period_days: int, latest: bool, rule: Rule
) -> dict | None:
    per_day = rated_capacity if latest else rated_capacity / period_days
    if per_day <= 0 or value <= rule.threshold * per_day:
        return None
    return {
        "value": value,
        "rated_capacity": rated_capacity,
        "period_days": period_days,
        "capacity_per_day": _four(per_day),
        "ratio": _four(value / per_day),
        "threshold": rule.threshold,
    }


def jump(value: Decimal, history: Sequence[Decimal], *, less: bool, rule: Rule) -> dict | None:
    """`history`: the unit's totals on its reported days in the window before the day."""
    if len(history) < (rule.minimum or 1):
        return None
    middle = median(history)
    if middle <= 0:
        return None
    if less:
        if value * rule.threshold >= middle:
            return None
    elif value <= rule.threshold * middle:
        return None
    return {
        "value": value,
        "median": _four(middle),
        "days": len(history),
        "window_days": rule.window_days,
        "ratio": _four(value / middle),
        "threshold": rule.threshold,
    }


def robust_spread(values: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal] | None:
    """(median, spread, scale) of a group, so that a value's modified z-score is
    scale × (value − median) ÷ spread: by the median absolute deviation, or by the mean
    absolute deviation when more than half the values are equal (MAD 0); None when all are
    equal (no spread to judge by). Computed once per group, whichever of its values is
    judged."""
    middle = median(values)
    deviations = [abs(Decimal(v) - middle) for v in values]
    mad = median(deviations)
    if mad > 0:
        return middle, mad, MAD_SCALE
    mean_deviation = sum(deviations, Decimal(0)) / len(deviations)
    if mean_deviation == 0:
        return None
    return middle, mean_deviation, 1 / MEAN_AD_SCALE


def robust_z(value: Decimal, values: Sequence[Decimal]) -> Decimal | None:
    spread = robust_spread(values)
    if spread is None:
        return None
    middle, deviation, scale = spread
    return scale * (value - middle) / deviation


def block_outlier(
    value: Decimal,
    spread: tuple[Decimal, Decimal, Decimal] | None,
    units: int,
    *,
    less: bool,
    rule: Rule,
) -> dict | None:
    """`spread`: `robust_spread` of the day totals of the block's `units` that reported that
    day, the unit's own among them."""
    if units < (rule.minimum or 1) or spread is None:
        return None
    middle, deviation, scale = spread
    z = scale * (value - middle) / deviation
    if (-z if less else z) <= rule.threshold:
        return None
    return {
        "value": value,
        "median": _four(middle),
        "spread": _four(deviation),
        "units": units,
        "z": _four(z),
        "threshold": rule.threshold,
    }


def late(day: dt.date, entered_on: dt.date, *, rule: Rule) -> dict | None:
    days = (entered_on - day).days
    if days <= rule.threshold:
        return None
    return {"entered_on": entered_on, "days": days, "threshold": rule.threshold}


def many_corrections(count: int, since: dt.date, *, rule: Rule) -> dict | None:
    if count <= rule.threshold:
        return None
    return {
        "count": count,
        "since": since,
        "window_days": rule.window_days,
        "threshold": rule.threshold,
    }


def is_round(value: Decimal) -> bool:
    """Whole, at least 10, ending in 0, with at most two significant digits."""
    if value != value.to_integral_value() or abs(value) < 10:
        return False
    digits = str(abs(int(value)))
    zeros = len(digits) - len(digits.rstrip("0"))
    return zeros >= 1 and len(digits) - zeros <= 2


def heaping(value: Decimal, days: Sequence[Decimal], *, rule: Rule) -> dict | None:
    """`days`: the unit's totals on its reported days in the window up to the day (the day
    itself among them). Only a round value is flagged."""
    if len(days) < (rule.minimum or 1) or not is_round(value):
        return None
    rounds = sum(1 for v in days if is_round(v))
    share = Decimal(rounds) / len(days)
    if share <= rule.threshold:
        return None
    return {
        "value": value,
        "round": rounds,
        "days": len(days),
        "window_days": rule.window_days,
        "share": _four(share),
        "threshold": rule.threshold,
    }
