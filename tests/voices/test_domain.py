from decimal import Decimal

import pytest

from pacesetter.voices import domain


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (None, "received", {"received": 1, "open": 1}),
        ("received", "assigned", {}),
        ("assigned", "answered", {"open": -1, "answered": 1}),
        ("answered", "resolved", {"answered": -1, "resolved": 1}),
        ("declined", "received", {"declined": -1, "open": 1}),
    ],
)
def test_each_step_moves_one_voice_between_figures(before, after, change):
    assert domain.delta(before, after) == change


def test_buckets_and_percentiles():
    assert [domain.bucket(h) for h in (0.2, 1, 1.01, 23, 200, 10_000)] == [1, 1, 2, 24, 240, 99999]
    counts = {1: 5, 24: 4, 168: 1}
    assert domain.percentile(counts, Decimal("0.5")) == 1
    assert domain.percentile(counts, Decimal("0.9")) == 24
    assert domain.percentile(counts, Decimal("0.91")) == 168
    assert domain.percentile({}, Decimal("0.5")) is None


def test_growth_puts_new_topics_first_then_the_fastest():
    rows = domain.growth({1: 4, 2: 9, 3: 2}, {1: 2, 2: 6, 4: 5}, [1, 2, 3, 4])
    assert [(t, change) for t, _now, _before, change in rows] == [
        (3, None),
        (1, Decimal(100)),
        (2, Decimal(50)),
        (4, Decimal(-100)),
    ]
