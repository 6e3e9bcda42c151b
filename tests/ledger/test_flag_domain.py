"""The plausibility checks (ledger.flag_domain), without a database: each at its threshold
(no flag) and just past it (a flag), and properties of the robust statistics."""

import datetime as dt
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from pacesetter.ledger import flag_domain as domain

RULES = domain.DEFAULTS


def test_over_capacity_at_and_past_the_factor():
    rule = RULES[domain.OVER_CAPACITY]  # 1.5 times the capacity per day
    # 3,100 t over a 31-day month is 100 t a day: 150 is at the factor, 150.1 past it.
    at = domain.over_capacity(
        D("150"), rated_capacity=D(3100), period_days=31, latest=False, rule=rule
    )
    past = domain.over_capacity(
        D("150.1"), rated_capacity=D(3100), period_days=31, latest=False, rule=rule
    )
    assert at is None
    assert past["capacity_per_day"] == D("100") and past["ratio"] == D("1.5010")
    # A level is compared with the capacity itself.
    assert domain.over_capacity(
        D("151"), rated_capacity=D(100), period_days=31, latest=True, rule=rule
    )


def test_jump_needs_its_minimum_history_and_is_past_the_factor():
    rule = RULES[domain.JUMP]  # 3 times the median, 5 days of history
    history = [D(10), D(9), D(11), D(10), D(10)]
    assert domain.jump(D(30), history, less=False, rule=rule) is None
    assert domain.jump(D("30.1"), history, less=False, rule=rule)["median"] == D(10)
    assert domain.jump(D(1000), history[:4], less=False, rule=rule) is None  # too little history
    # Less is better: a fall below a third of the median.
    assert domain.jump(D("3.34"), history, less=True, rule=rule) is None
    assert domain.jump(D("3.3"), history, less=True, rule=rule)


def _outlier(value, peers, rule, less=False):
    group = [*peers, value]
    return domain.block_outlier(
        value, domain.robust_spread(group), len(group), less=less, rule=rule
    )


def test_block_outlier_at_and_past_the_robust_z():
    peers = [D(8), D(10), D(10), D(12)]
    # median 10, MAD 2: z of 30 is 0.6745 × 20 / 2 = 6.745 exactly.
    rule = domain.Rule(True, D("6.745"), minimum=5)
    assert _outlier(D(30), peers, rule) is None
    flagged = _outlier(D("30.1"), peers, rule)
    assert flagged["z"] == D("6.7787") and flagged["units"] == 5
    assert _outlier(D(30), peers[1:], rule) is None  # 4 < minimum 5
    # The favourable side only.
    assert _outlier(D(-100), peers, rule) is None
    assert _outlier(D(-100), peers, rule, less=True)
    # All equal but one: by the mean absolute deviation; all equal: no spread, no flag.
    assert _outlier(D(20), [D(10)] * 5, domain.Rule(True, D(3), minimum=5))
    assert _outlier(D(10), [D(10)] * 5, domain.Rule(True, D(3), minimum=5)) is None


def test_late_past_its_days():
    rule = RULES[domain.LATE]  # 7 days
    day = dt.date(2025, 3, 1)
    assert domain.late(day, dt.date(2025, 3, 8), rule=rule) is None
    assert domain.late(day, dt.date(2025, 3, 9), rule=rule)["days"] == 8


def test_many_corrections_past_the_count():
    rule = RULES[domain.CORRECTIONS]  # 3
    assert domain.many_corrections(3, dt.date(2025, 3, 1), rule=rule) is None
    assert domain.many_corrections(4, dt.date(2025, 3, 1), rule=rule)["count"] == 4


def test_round_numbers():
    assert [domain.is_round(D(v)) for v in ("50", "1200", "30000", "120000", "10")] == [True] * 5
    assert not any(domain.is_round(D(v)) for v in ("45", "1250", "5", "0", "50.5", "125000"))


def test_heaping_past_the_share():
    rule = RULES[domain.HEAPING]  # more than half of at least 10 days
    five_of_ten = [D(v) for v in (10, 20, 30, 40, 11, 12, 13, 14, 15, 60)]
    assert domain.heaping(D(60), five_of_ten, rule=rule) is None
    six_of_eleven = [*five_of_ten, D(70)]
    assert domain.heaping(D(70), six_of_eleven, rule=rule)["round"] == 6
    six_of_ten = [v for v in six_of_eleven if v != 11]
    assert domain.heaping(D(70), six_of_ten, rule=rule)["share"] == D("0.6")
    assert domain.heaping(D(15), six_of_eleven, rule=rule) is None  # not itself round
    assert domain.heaping(D(70), six_of_eleven[:9], rule=rule) is None  # under 10 days


def test_rules_fill_in_the_defaults_and_check_their_range():
    rule = domain.rule_of(domain.JUMP, enabled=False, threshold=D(4))
    assert rule == domain.Rule(False, D(4), window_days=28, minimum=5)
    assert domain.rule_of(domain.LATE, window_days=3).window_days is None  # not read
    assert domain.rule_problems(domain.HEAPING, domain.Rule(True, D(1))) == [
        ("threshold", "a share between 0 and 1 (0.5 is half the days)")
    ]
    assert domain.rule_problems(domain.JUMP, domain.Rule(True, D("0.5"), 0, 5)) == [
        ("threshold", "a factor of at least 1"),
        ("window_days", "between 1 and 366 days"),
    ]


values = st.lists(st.integers(-10_000, 10_000).map(D), min_size=1, max_size=30)


@given(values)
def test_the_median_splits_the_values(items):
    middle = domain.median(items)
    assert sum(v < middle for v in items) <= len(items) // 2
    assert sum(v > middle for v in items) <= len(items) // 2


@given(values, st.integers(-10_000, 10_000), st.integers(1, 1_000))
def test_the_robust_z_ignores_shifts_and_scales(items, shift, scale):
    """The same values moved and stretched give the same z for the same value."""
    first = domain.robust_z(items[0], items)
    moved = [v * scale + shift for v in items]
    second = domain.robust_z(moved[0], moved)
    assert (first is None) == (second is None)
    if first is not None:
        assert abs(first - second) < D("1e-20")


@given(values, st.integers(0, 10_000))
def test_a_higher_value_never_lowers_the_z(items, extra):
    """Robustness: adding to the value judged can only raise its z among the same peers."""
    spread = domain.robust_spread(items)
    if spread is not None:
        middle, deviation, scale = spread
        low = scale * (items[0] - middle) / deviation
        high = scale * (items[0] + extra - middle) / deviation
        assert high >= low
