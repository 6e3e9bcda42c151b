"""The pure rules: normalisations, shares of the best, goodness, ranks, order changes."""

import bisect
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pacesetter.emulation import domain
from pacesetter.emulation.domain import Component, Figure

MORE = Component(domain.RAW, less_is_better=False, decimal_places=1)


def test_normalisations():
    figure = Figure(quantity_minor=1200, entries=3, denominator=None)  # 120.0 t
    assert domain.normalised(MORE, figure) == 120
    per_member = Component(domain.PER_MEMBER, False, 1)
    assert domain.normalised(per_member, Figure(1200, 1, 40)) == 3
    capacity = Component(domain.PER_CAPACITY, False, 0)
    assert domain.normalised(capacity, Figure(120000, 1, 60000)) == 2
    fulfilment = Component(domain.FULFILMENT, False, 0)
    assert domain.normalised(fulfilment, Figure(20000, 1, 7000)) == Fraction(20, 7)
    less = Component(domain.FULFILMENT, True, 0)
    assert domain.normalised(less, Figure(80, 1, 100)) == Fraction(5, 4)
    assert domain.normalised(less, Figure(0, 1, 100)) == domain.UNBOUNDED
    assert less.more_is_better  # fulfilment is turned round already


def test_no_figure_is_not_ranked():
    assert domain.normalised(MORE, Figure(0, 0)) is None
    assert domain.normalised(Component(domain.PER_MEMBER, False, 0), Figure(5, 1, 0)) is None
    assert domain.normalised(Component(domain.FULFILMENT, False, 0), Figure(5, 1, None)) is None


def test_goodness_turns_less_is_better_round_and_keeps_ties():
    less = Component(domain.RAW, True, 0)
    assert domain.single_goodness(less, Figure(5, 1)) > domain.single_goodness(less, Figure(6, 1))
    per_member = Component(domain.PER_MEMBER, False, 0)
    assert domain.single_goodness(per_member, Figure(10, 1, 3)) == domain.single_goodness(
        per_member, Figure(20, 1, 6)
    )


def test_ranks_are_competition_ranks():
    assert domain.ranks({1: 30, 2: 10, 3: 10, 4: 5, 5: None}) == {1: 1, 2: 2, 3: 2, 4: 4}


def test_share_of_best():
    assert domain.share_of_best(Fraction(5), Fraction(10), more_is_better=True) == Fraction(1, 2)
    assert domain.share_of_best(Fraction(20), Fraction(5), more_is_better=False) == Fraction(1, 4)
    assert domain.share_of_best(Fraction(3), Fraction(0), more_is_better=False) == 0
    assert domain.share_of_best(None, Fraction(1), more_is_better=True) == 0


def test_weighted_scores():
    steel = Component(domain.RAW, False, 0, weight=Fraction(3))
    losses = Component(domain.RAW, True, 0, weight=Fraction(1))
    scores = domain.weighted_scores(
        [steel, losses],
        {1: [Figure(100, 1), Figure(10, 1)], 2: [Figure(50, 1), Figure(5, 1)], 3: [None, None]},
    )
    assert scores == {1: Fraction(175, 2), 2: Fraction(125, 2), 3: None}


def test_as_decimal_rounds_half_up():
    assert domain.as_decimal(Fraction(2, 3), 3) == Decimal("0.667")
    assert domain.as_decimal(None) is None


goodness_maps = st.dictionaries(
    st.integers(1, 8), st.one_of(st.none(), st.integers(-3, 3)), min_size=0, max_size=6
)


@given(before=goodness_maps, after=goodness_maps)
def test_order_changes_are_exactly_the_changed_pairs(before, after):
    changes = domain.order_changes(before, after)
    old, new = domain.pairwise(before), domain.pairwise(after)
    common = old.keys() & new.keys()
    assert sorted(tuple(sorted((c.ahead, c.behind))) for c in changes) == sorted(
        p for p in common if old[p] != new[p]
    )
    assert domain.replay({p: old[p] for p in common}, changes) == {p: new[p] for p in common}


def test_order_changes_name_the_nearest_when_a_unit_passes_many():
    before = {u: u * 10 for u in range(1, 101)}
    after = {**before, 1: 10_000}  # the last passes 99 units at once
    changes = domain.order_changes(before, after, named_per_unit=5)
    assert [c.behind for c in changes] == [96, 97, 98, 99, 100]
    assert {c.ahead for c in changes} == {1}


@given(
    normalisation=st.sampled_from(domain.NORMALISATIONS),
    less=st.booleans(),
    places=st.integers(0, 3),
    quantity=st.integers(-(10**12), 10**12),
    entries=st.integers(0, 3),
    denominator=st.one_of(st.none(), st.integers(-5, 10**9)),
)
def test_integer_goodness_equals_the_exact_rule(
    normalisation, less, places, quantity, entries, denominator
):
    component = Component(normalisation, less, places)
    figure = Figure(quantity, entries, denominator)
    exact = domain.goodness(
        domain.normalised(component, figure),
        more_is_better=component.more_is_better,
        places=domain.GOODNESS_PLACES[normalisation],
    )
    assert domain.single_goodness(component, figure) == exact


def _reference_order_changes(before, after, *, named_per_unit, exact_movers, mover_window):
    """order_changes as first written, a function call per compared pair: the inlined loops
    must name exactly the same pairs."""
    both = [u for u, g in after.items() if g is not None and before.get(u) is not None]
    movers = [u for u in both if before[u] != after[u]]
    still = sorted((after[u], u) for u in both if before[u] == after[u])
    still_goodness = [g for g, _u in still]
    found = {}
    by_new = sorted(movers, key=lambda u: (after[u], u))
    position = {u: index for index, u in enumerate(by_new)}
    exact = len(movers) <= exact_movers
    if not exact:
        named_per_unit = 1
    for u in movers:
        low, high = sorted((before[u], after[u]))
        start = bisect.bisect_left(still_goodness, low)
        end = bisect.bisect_right(still_goodness, high)
        if after[u] > before[u]:
            candidates = [v for _g, v in still[max(start, end - named_per_unit) : end]]
        else:
            candidates = [v for _g, v in still[start : min(end, start + named_per_unit)]]
        if exact:
            others = movers
        else:
            index = position[u]
            others = by_new[max(0, index - mover_window) : index + mover_window + 1]
        candidates += [
            v for v in others if v != u and domain._change(u, v, before, after) is not None
        ]
        target = after[u]
        for v in sorted(candidates, key=lambda v: (abs(after[v] - target), v))[:named_per_unit]:
            change = domain._change(u, v, before, after)
            if change is not None:
                found[(min(u, v), max(u, v))] = change
    return sorted(found.values(), key=lambda c: (c.ahead, c.behind))


pairs = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(-30, 30)), st.one_of(st.none(), st.integers(-30, 30))
    ),
    min_size=5,
    max_size=60,
)


@settings(max_examples=300)
@given(
    goodness=pairs,
    named=st.integers(1, 4),
    exact_movers=st.integers(0, 8),
    window=st.integers(0, 4),
)
def test_order_changes_with_many_movers_names_the_same_pairs_as_the_reference(
    goodness, named, exact_movers, window
):
    before = {unit: was for unit, (was, _now) in enumerate(goodness, 1)}
    after = {unit: now for unit, (_was, now) in enumerate(goodness, 1)}
    options = {"named_per_unit": named, "exact_movers": exact_movers, "mover_window": window}
    expected = _reference_order_changes(before, after, **options)
    assert domain.order_changes(before, after, named_when_many=1, **options) == expected
