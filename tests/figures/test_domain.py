import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacesetter.core.quantities import (
    QuantityError,
    format_percent,
    from_minor,
    parse_quantity,
    round_percent,
    to_minor,
)
from pacesetter.figures import domain

D = Decimal
quantities = st.decimals(
    min_value=0, max_value=10**12, places=3, allow_nan=False, allow_infinity=False
)
positive = st.decimals(
    min_value=D("0.001"), max_value=10**12, places=3, allow_nan=False, allow_infinity=False
)


def test_the_figures_of_the_source_accounts():
    assert round_percent(domain.fulfilment(D(102500), D(100000))) == D("102.5")
    assert round_percent(domain.capacity_utilisation(D(120000), D(60000))) == D("200.0")
    assert round_percent(domain.capacity_utilisation(D(270000), D(190000))) == D("142.1")
    assert round_percent(domain.daily_assignment_rate(D(75), D("0.25"), 75)) == D("400.0")
    assert round_percent(domain.fulfilment(D(20000), D(7000))) == D("285.7")
    assert domain.growth(D(2070000), D(1900000)).absolute == D(170000)
    assert format_percent(domain.fulfilment(D(20000), D(7000))) == "285.7%"


def test_rounding_is_half_up_at_display_only():
    assert round_percent(D("2.45")) == D("2.5")  # banker's rounding would give 2.4
    assert round_percent(D("-2.45")) == D("-2.5")
    assert round_percent(None) is None
    assert format_percent(D("1234.56")) == "1,234.6%"


def test_less_is_better_inverts():
    assert domain.fulfilment(D(80), D(100), less_is_better=True) == D(125)
    assert domain.fulfilment(D(0), D(100), less_is_better=True) is None
    assert domain.fulfilment(D(5), None) is None


@given(actual=quantities, planned=positive, times=st.integers(1, 40))
def test_fulfilment_is_never_capped(actual, planned, times):
    value = domain.fulfilment(actual, planned)
    assert value == actual * 100 / planned
    assert (value > 100) == (actual > planned)
    assert domain.fulfilment(planned * times, planned) == 100 * times


@given(
    value=st.decimals(
        min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False
    ),
    places=st.integers(4, 6),
)
def test_minor_units_round_trip_exactly(value, places):
    assert from_minor(to_minor(parse_quantity(str(value), places), places), places) == value


@given(values=st.dictionaries(st.integers(1, 50), st.integers(0, 5), min_size=1))
def test_rank_shares_places_on_ties(values):
    ranks = domain.rank({k: D(v) for k, v in values.items()})
    for key, value in values.items():
        better = sum(1 for other in values.values() if other > value)
        assert ranks[key] == better + 1
    less = domain.rank({k: D(v) for k, v in values.items()}, less_is_better=True)
    for key, value in values.items():
        assert less[key] == sum(1 for other in values.values() if other < value) + 1


START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def test_pace_when_met_counts_days_ahead_of_the_period_end():
    daily = [(START + dt.timedelta(days=n), D(1)) for n in range(75)]
    pace = domain.pace(planned=D(75), daily=daily, start=START, end=END, as_of=END)
    assert (pace.met_on, pace.met_on_day, pace.days_ahead) == (
        START + dt.timedelta(days=74),
        75,
        D(365 - 75),
    )


def test_pace_projects_the_finish_at_the_run_rate():
    daily = [(START + dt.timedelta(days=n), D(2)) for n in range(10)]
    pace = domain.pace(
        planned=D(100), daily=daily, start=START, end=END, as_of=START + dt.timedelta(days=9)
    )
    assert pace.run_rate == D(2) and pace.met_on is None
    assert pace.projected_on == START + dt.timedelta(days=49) and pace.projected_within_period
    # Linear schedule: 100 over 365 days; 20 done is 73 days' worth, 10 days elapsed.
    assert pace.days_ahead == D(20) * 365 / 100 - 10
    behind = domain.pace(
        planned=D(10000), daily=daily, start=START, end=END, as_of=START + dt.timedelta(days=9)
    )
    assert behind.days_ahead < 0 and not behind.projected_within_period


def test_pace_ignores_days_after_as_of_and_needs_a_plan():
    daily = [(START, D(5)), (START + dt.timedelta(days=20), D(500))]
    pace = domain.pace(
        planned=D(100), daily=daily, start=START, end=END, as_of=START + dt.timedelta(days=1)
    )
    assert pace.met_on is None and pace.run_rate == D("2.5")
    assert domain.pace(planned=None, daily=daily, start=START, end=END, as_of=END) is None
    before = domain.pace(
        planned=D(1), daily=[], start=START, end=END, as_of=START - dt.timedelta(days=3)
    )
    assert before.elapsed_days == 0 and before.projected_on is None


@given(amounts=st.lists(st.integers(0, 50), min_size=1, max_size=60), planned=st.integers(1, 500))
def test_pace_met_day_is_the_first_day_the_total_reaches_the_plan(amounts, planned):
    daily = [(START + dt.timedelta(days=n), D(a)) for n, a in enumerate(amounts)]
    pace = domain.pace(planned=D(planned), daily=daily, start=START, end=END, as_of=END)
    running, first = 0, None
    for n, amount in enumerate(amounts, start=1):
        running += amount
        if first is None and running >= planned:
            first = n
    assert pace.met_on_day == first
    if first is None:
        assert pace.days_ahead == D(running) * 365 / planned - 365


@pytest.mark.parametrize(
    ("text", "places", "expected"),
    [
        ("1,234.5", 1, D("1234.5")),
        ("1 234 567", 0, D(1234567)),
        ("\u00a012.50 ", 1, D("12.5")),
        ("-3", 0, D(-3)),
        ("2e3", 0, D(2000)),
    ],
)
def test_quantities_people_type(text, places, expected):
    assert parse_quantity(text, places) == expected


@pytest.mark.parametrize(
    ("text", "places", "message"),
    [
        ("12,5", 2, "'12,5' is not a number (use a point for decimals)"),
        ("1 000,50", 2, "'1 000,50' is not a number"),
        ("1e9999999", 0, "'1e9999999' is not a number"),
        (
            "0.99999999999999999999999999999",
            0,
            "0.99999999999999999999999999999 has more than 0 decimal places",
        ),
        ("1e-9999", 0, "'1e-9999' is not a number"),
        ("1,23", 0, "'1,23' is not a number (use a point for decimals)"),
        ("inf", 0, "'inf' is not a finite number"),
    ],
)
def test_ambiguous_or_absurd_quantities_are_refused(text, places, message):
    with pytest.raises(QuantityError) as caught:
        to_minor(parse_quantity(text, places), places)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("days_ahead", "words"),
    [
        (Decimal("-1"), "1 day behind"),
        (Decimal("-0.6"), "1 day behind"),
        (Decimal("-2.5"), "3 days behind"),
        (Decimal("0"), "0 days ahead"),
        (Decimal("1.2"), "1 day ahead"),
        (Decimal("1021"), "1,021 days ahead"),
    ],
)
def test_pace_is_told_in_whole_days_without_a_sign(days_ahead, words):
    """The whole movement's Pace and the per-period table share the wording: "1 day behind",
    never "-1 days behind"."""
    from django.template.loader import render_to_string

    pace = domain.Pace(10, 28, Decimal(1), None, None, None, False, days_ahead)
    assert render_to_string("figures/_days_off.html", {"pace": pace}) == words


def test_held_is_at_or_below_the_target_every_day_of_the_period():
    start, end = dt.date(2025, 4, 1), dt.date(2025, 4, 30)
    days = [(dt.date(2025, 4, n), Decimal(q)) for n, q in ((1, 0), (8, 2), (15, -2))]
    held = domain.held
    # Over the target on the 8th, back under it on the 15th: not held the whole period.
    assert held(target=Decimal(0), daily=days, start=start, end=end, as_of=end) is False
    assert held(target=Decimal(0), daily=days, start=start, end=end, as_of=dt.date(2025, 4, 7))
    assert held(target=Decimal(2), daily=days, start=start, end=end, as_of=end) is True
    # No target, no report in the period, or the period not begun: nothing to say.
    assert held(target=None, daily=days, start=start, end=end, as_of=end) is None
    assert held(target=Decimal(0), daily=[], start=start, end=end, as_of=end) is None
    assert (
        held(target=Decimal(0), daily=days, start=start, end=end, as_of=dt.date(2025, 3, 1)) is None
    )


@given(amounts=st.lists(st.integers(0, 50), min_size=1, max_size=40), target=st.integers(0, 500))
def test_held_without_negative_days_is_the_total_within_the_target(amounts, target):
    start = dt.date(2025, 1, 1)
    daily = [(start + dt.timedelta(days=n), Decimal(q)) for n, q in enumerate(amounts)]
    end = daily[-1][0]
    assert domain.held(target=Decimal(target), daily=daily, start=start, end=end, as_of=end) is (
        sum(amounts) <= target
    )
