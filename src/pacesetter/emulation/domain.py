"""The rules of emulation: normalised values, weighted scores, ranks and what counts as an
overtaking. Pure Python, no Django; property-tested.

Values are exact `Fraction`s computed from integer quantities in minor units. To rank, a value
becomes a *goodness*: an integer, larger is better, that the database can index and order
("less is better" is turned round here, once). Goodness keeps a fixed number of decimals of
the value (GOODNESS_PLACES): two values closer than that are a tie. Ranks are competition
ranks ("1, 2, 2, 4") over goodness, with the figures app's `rank`.

Normalisations of one indicator's total over a unit's whole subtree:

| normalisation | value                          | better               |
| ------------- | ------------------------------ | -------------------- |
| raw           | the total                      | the indicator's way  |
| per_member    | total ÷ the unit's headcount   | the indicator's way  |
| per_capacity  | total ÷ the plan's rated capacity | the indicator's way |
| fulfilment    | total ÷ plan (plan ÷ total when less is better) | more, always |

A weighted score over several indicators normalises each one as above and then takes it as a
*share of the block's best*: value ÷ best when more is better, best ÷ value when less is
better, so the best unit gets 1 and the others less; a share that cannot be divided (no
positive best, or a zero value where less is better and it is not the best) is 0, and a unit
without a value for an indicator gets 0 for it. The score is 100 × Σ weight × share ÷ Σ weight
points: 100 means best on every indicator.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from pacesetter.figures.domain import rank as competition_rank

RAW = "raw"
PER_MEMBER = "per_member"
PER_CAPACITY = "per_capacity"
FULFILMENT = "fulfilment"
NORMALISATIONS = (RAW, PER_MEMBER, PER_CAPACITY, FULFILMENT)

# Decimals of the value a goodness keeps: totals and per-member figures to a millionth of a
# unit of measure, ratios (capacity, fulfilment: 1 = 100%) and scores to 10⁻¹².
GOODNESS_PLACES = {RAW: 6, PER_MEMBER: 6, PER_CAPACITY: 12, FULFILMENT: 12, "score": 12}
GOODNESS_MAX = 2**63 - 1
# "Less is better" fulfilment with nothing reported against a plan: nothing could be better.
UNBOUNDED = math.inf

OVERTOOK = "overtook"
DREW_LEVEL = "drew_level"


@dataclass(frozen=True, slots=True)
class Component:
    """One indicator of a scoring, as the arithmetic needs it."""

    normalisation: str
    less_is_better: bool
    decimal_places: int
    weight: Fraction = Fraction(1)

    @property
    def more_is_better(self) -> bool:
        """Which way the *normalised* value is better: fulfilment is already turned round."""
        return self.normalisation == FULFILMENT or not self.less_is_better


@dataclass(frozen=True, slots=True)
class Figure:
    """A unit's inputs for one component: its subtree total (minor units), how many reports
    it counts, and the denominator the normalisation needs (headcount, or rated capacity or
    plan in minor units; None when there is none)."""

    quantity_minor: int
    entries: int
    denominator: int | None = None


def normalised(component: Component, figure: Figure | None) -> Fraction | float | None:
    """The normalised value, or None when the unit has no figure to rank: it never reported
    (no report is not a figure of 0) or the normalisation has nothing to divide by."""
    if figure is None or figure.entries <= 0:
        return None
    total = Fraction(figure.quantity_minor, 10**component.decimal_places)
    kind = component.normalisation
    if kind == RAW:
        return total
    denominator = figure.denominator
    if denominator is None or denominator <= 0:
        return None
    if kind == PER_MEMBER:
        return total / denominator
    scaled = Fraction(denominator, 10**component.decimal_places)
    if kind == PER_CAPACITY:
        return total / scaled
    if kind == FULFILMENT:
        if component.less_is_better:
            return scaled / total if total > 0 else UNBOUNDED
        return total / scaled
    raise ValueError(f"unknown normalisation {kind!r}")


def goodness(value: Fraction | float | None, *, more_is_better: bool, places: int) -> int | None:
    """The value as an integer to order by, larger is better."""
    if value is None:
        return None
    if value == UNBOUNDED:
        return GOODNESS_MAX if more_is_better else -GOODNESS_MAX
    scaled = math.floor(value * 10**places + Fraction(1, 2))
    scaled = scaled if more_is_better else -scaled
    return max(-GOODNESS_MAX, min(GOODNESS_MAX, scaled))


def _rounded(numerator: int, denominator: int) -> int:
    """numerator ÷ denominator rounded half-up (denominator > 0), in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def single_goodness(component: Component, figure: Figure | None) -> int | None:
    """`goodness(normalised(...))` in integer arithmetic: an ingest computes it for every
    unit it touches, and Fractions cost several times more (property-tested equal)."""
    if figure is None:
        return None
    return goodness_rule(component)(figure.quantity_minor, figure.entries, figure.denominator)


def goodness_rule(component: Component) -> Callable[[int, int, int | None], int | None]:
    """single_goodness for one component as a function of (quantity, entries, denominator),
    with what depends only on the component worked out once: an ingest applies it to every
    unit of a block it moves."""
    kind = component.normalisation
    unit = 10**component.decimal_places
    places = 10 ** GOODNESS_PLACES[kind]
    sign = 1 if component.more_is_better else -1
    inverse = kind == FULFILMENT and component.less_is_better

    def rule(quantity: int, entries: int, denominator: int | None) -> int | None:
        if entries <= 0:
            return None
        if kind == RAW:
            scaled = (2 * quantity * places + unit) // (2 * unit)
        elif denominator is None or denominator <= 0:
            return None
        elif kind == PER_MEMBER:
            scaled = _rounded(quantity * places, unit * denominator)
        elif not inverse:
            scaled = _rounded(quantity * places, denominator)
        elif quantity <= 0:
            return GOODNESS_MAX
        else:
            scaled = _rounded(denominator * places, quantity)
        scaled *= sign
        return GOODNESS_MAX if scaled > GOODNESS_MAX else max(-GOODNESS_MAX, scaled)

    return rule


def share_of_best(value, best, *, more_is_better: bool) -> Fraction:
    """A value as a share of the block's best (1 for the best); see the module docstring."""
    if value is None or best is None:
        return Fraction(0)
    if value == best:
        return Fraction(1)
    if value == UNBOUNDED or best == UNBOUNDED:
        return Fraction(0)
    if more_is_better:
        return Fraction(max(value, 0)) / best if best > 0 else Fraction(0)
    return Fraction(best) / value if value > 0 and best >= 0 else Fraction(0)


def weighted_scores(
    components: Sequence[Component], figures: Mapping[int, Sequence[Figure | None]]
) -> dict[int, Fraction | None]:
    """Score in points (0–100) per unit; None for a unit with no value on any component."""
    values = {
        unit: [normalised(c, f) for c, f in zip(components, unit_figures, strict=True)]
        for unit, unit_figures in figures.items()
    }
    bests = []
    for index, component in enumerate(components):
        present = [v[index] for v in values.values() if v[index] is not None]
        if not present:
            bests.append(None)
        else:
            bests.append(max(present) if component.more_is_better else min(present))
    total_weight = sum((c.weight for c in components), Fraction(0))
    scores: dict[int, Fraction | None] = {}
    for unit, unit_values in values.items():
        if all(v is None for v in unit_values) or total_weight <= 0:
            scores[unit] = None
            continue
        points = sum(
            (
                c.weight * share_of_best(v, best, more_is_better=c.more_is_better)
                for c, v, best in zip(components, unit_values, bests, strict=True)
            ),
            Fraction(0),
        )
        scores[unit] = 100 * points / total_weight
    return scores


def goodness_of_all(
    components: Sequence[Component], figures: Mapping[int, Sequence[Figure | None]]
) -> dict[int, int | None]:
    """Goodness per unit: of its one component's normalised value, or of its weighted score."""
    if len(components) == 1:
        component = components[0]
        return {unit: single_goodness(component, f[0]) for unit, f in figures.items()}
    return {
        unit: goodness(score, more_is_better=True, places=GOODNESS_PLACES["score"])
        for unit, score in weighted_scores(components, figures).items()
    }


def ranks(goodness_by_unit: Mapping[int, int | None]) -> dict[int, int]:
    """Competition ranks of the units that have a goodness (the others are not ranked)."""
    return competition_rank({u: g for u, g in goodness_by_unit.items() if g is not None})


def rank_in(sorted_goodness: Sequence[int], value: int) -> int:
    """The competition rank `value` has among `sorted_goodness` (ascending): 1 + how many are
    strictly better."""
    return len(sorted_goodness) - bisect_right(sorted_goodness, value) + 1


# --- overtaking ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairChange:
    """How the order of two units changed. `kind` OVERTOOK: `ahead` is now strictly ahead of
    `behind`, which was ahead or level before. DREW_LEVEL: the two are level now and `ahead`
    (the one that drew level) was behind before."""

    ahead: int
    behind: int
    kind: str


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _change(u: int, v: int, before: Mapping[int, int], after: Mapping[int, int]):
    was, now = _sign(before[u] - before[v]), _sign(after[u] - after[v])
    if was == now:
        return None
    if now > 0:
        return PairChange(u, v, OVERTOOK)
    if now < 0:
        return PairChange(v, u, OVERTOOK)
    return PairChange(v, u, DREW_LEVEL) if was > 0 else PairChange(u, v, DREW_LEVEL)


NAMED_PER_UNIT = 5
EXACT_MOVERS = 300
# Past EXACT_MOVERS movers in one ranking and batch: each names the one unit it now stands
# nearest to, among the movers within MOVER_WINDOW places and every unit that did not move.
NAMED_WHEN_MANY = 1
MOVER_WINDOW = 10


def order_changes(
    before: Mapping[int, int | None],
    after: Mapping[int, int | None],
    *,
    named_per_unit: int = NAMED_PER_UNIT,
    exact_movers: int = EXACT_MOVERS,
    named_when_many: int = NAMED_WHEN_MANY,
    mover_window: int = MOVER_WINDOW,
) -> list[PairChange]:
    """The pairs of units whose order changed between two goodness maps.

    Only units ranked both before and after count: entering the ranking (a first report) or
    leaving it is not overtaking anyone. For each unit whose goodness changed (a *mover*), the
    changes are found against every unit that did not move (by bisection: exactly those whose
    goodness lies between the mover's old and new) and against the other movers — all of them
    when there are at most `exact_movers`, else those within `mover_window` places of it in
    the new order. Of a mover's changes the `named_per_unit` nearest to its new place are kept
    (`named_when_many` past `exact_movers` movers): a unit that jumps past thousands is
    reported passing the few it now stands just ahead of, so the result stays small whatever
    the block's size. When no mover has more than
    `named_per_unit` changes and there are at most `exact_movers` movers, the result is
    exactly every pair whose order changed.
    """
    both = [u for u, g in after.items() if g is not None and before.get(u) is not None]
    movers = [u for u in both if before[u] != after[u]]
    if not movers:
        return []
    still = sorted((after[u], u) for u in both if before[u] == after[u])
    still_goodness = [g for g, _u in still]
    found: dict[tuple[int, int], PairChange] = {}
    by_new = sorted(movers, key=lambda u: (after[u], u))
    exact = len(movers) <= exact_movers
    if not exact:
        named_per_unit = named_when_many
    # An ingest can move thousands of units of a block: the loops below compare goodness
    # inline (the comparisons _change makes) rather than call a function per pair.
    for index, u in enumerate(by_new):
        was, now = before[u], after[u]
        low, high = (was, now) if was < now else (now, was)
        start, end = bisect_left(still_goodness, low), bisect_right(still_goodness, high)
        # Every unit in [start, end) changed order with u; the nearest to u's new goodness
        # lie at the end it moved to.
        if now > was:
            candidates = [v for _g, v in still[max(start, end - named_per_unit) : end]]
        else:
            candidates = [v for _g, v in still[start : min(end, start + named_per_unit)]]
        others = (
            by_new if exact else by_new[max(0, index - mover_window) : index + mover_window + 1]
        )
        for v in others:
            other_was, other_now = before[v], after[v]
            if (was > other_was) - (was < other_was) != (now > other_now) - (now < other_now):
                candidates.append(v)  # u itself compares equal both times: never added
        if named_per_unit == 1 and candidates:
            nearest = [min(candidates, key=lambda v: (abs(after[v] - now), v))]
        else:
            nearest = sorted(candidates, key=lambda v: (abs(after[v] - now), v))[:named_per_unit]
        for v in nearest:
            change = _change(u, v, before, after)
            if change is not None:
                found[(min(u, v), max(u, v))] = change
    return sorted(found.values(), key=lambda c: (c.ahead, c.behind))


def replay(
    order: Mapping[tuple[int, int], int], changes: Iterable[PairChange]
) -> dict[tuple[int, int], int]:
    """Apply changes to a pairwise order {(u, v): sign(u − v), u < v} (for tests and checks:
    replaying the events from an earlier order gives the later one)."""
    result = dict(order)
    for change in changes:
        u, v = sorted((change.ahead, change.behind))
        sign = 0 if change.kind == DREW_LEVEL else 1
        result[(u, v)] = sign if change.ahead == u else -sign
    return result


def pairwise(goodness_by_unit: Mapping[int, int | None]) -> dict[tuple[int, int], int]:
    """The pairwise order of the ranked units: {(u, v): sign(goodness u − goodness v), u < v}."""
    ranked = sorted(u for u, g in goodness_by_unit.items() if g is not None)
    return {
        (u, v): _sign(goodness_by_unit[u] - goodness_by_unit[v])
        for i, u in enumerate(ranked)
        for v in ranked[i + 1 :]
    }


def as_decimal(value: Fraction | float | None, places: int = 12) -> Decimal | None:
    """A value for display and storage: exact to `places` decimals (rounded half-up)."""
    if value is None:
        return None
    if value == UNBOUNDED:
        return None
    scaled = math.floor(Fraction(value) * 10**places + Fraction(1, 2))
    return Decimal(scaled).scaleb(-places).normalize()


# --- learning from the better -----------------------------------------------------------


def similarity(size: int | None, other: int | None) -> float:
    """How far apart two units' sizes (headcount or capacity) are, as a ratio ≥ 1; units
    without a size are as far as can be."""
    if not size or not other or size <= 0 or other <= 0:
        return math.inf
    return max(size, other) / min(size, other)
