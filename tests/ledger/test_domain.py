import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from pacesetter.ledger import domain

START = dt.date(2025, 1, 1)
series = st.dictionaries(st.integers(0, 40), st.integers(-50, 500), max_size=10).map(
    lambda d: sorted((START + dt.timedelta(days=k), v) for k, v in d.items())
)


@given(series=series, day=st.integers(-2, 45))
def test_running_sum_of_changes_is_the_level(series, day):
    target = START + dt.timedelta(days=day)
    changes = domain.level_changes(series)
    assert sum(v for d, v in changes.items() if d <= target) == domain.level_on(series, target)


@given(old=series, new=series, day=st.integers(-2, 45))
def test_deltas_turn_the_old_levels_into_the_new(old, new, day):
    target = START + dt.timedelta(days=day)
    deltas = domain.level_deltas(old, new)
    assert domain.level_on(old, target) + sum(
        v for d, v in deltas.items() if d <= target
    ) == domain.level_on(new, target)


def test_level_in_period_is_the_last_value_inside_it():
    values = [(dt.date(2025, 1, 5), 10), (dt.date(2025, 2, 3), 7)]
    assert domain.level_in_period(values, dt.date(2025, 1, 1), dt.date(2025, 1, 31)) == 10
    assert domain.level_in_period(values, dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == 7
    assert domain.level_in_period(values, dt.date(2025, 3, 1), dt.date(2025, 3, 31)) == 0
