import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacesetter.movements.period_series import EVERY, WEEKDAYS, series, span_label

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))


@given(
    start=days,
    length=st.integers(0, 800),
    every=st.sampled_from(EVERY),
    week_starts=st.sampled_from(WEEKDAYS),
)
def test_a_series_tiles_the_span_without_gap_or_overlap(start, length, every, week_starts):
    end = start + dt.timedelta(days=length)
    if every == "day" and length > 400:
        end = start + dt.timedelta(days=400)
    periods = series(start, end, every, week_starts)
    assert periods[0].starts_on == start and periods[-1].ends_on == end
    for before, after in itertools.pairwise(periods):
        assert after.starts_on == before.ends_on + dt.timedelta(days=1)
    assert all(p.starts_on <= p.ends_on for p in periods)
    assert len({p.name for p in periods}) == len(periods)
    # Every period but the first starts where the calendar starts one.
    for period in periods[1:]:
        day = period.starts_on
        assert {
            "day": True,
            "week": day.weekday() == WEEKDAYS.index(week_starts),
            "month": day.day == 1,
            "quarter": day.day == 1 and day.month in (1, 4, 7, 10),
            "year": (day.month, day.day) == (1, 1),
        }[every]
    # Only the first and the last can be shorter than the calendar's period.
    if every == "week":
        assert all(p.ends_on - p.starts_on == dt.timedelta(days=6) for p in periods[1:-1])


def test_weeks_are_numbered_and_name_their_days():
    weeks = series(dt.date(2025, 3, 5), dt.date(2025, 3, 20), "week")
    assert [(w.name, w.starts_on, w.ends_on) for w in weeks] == [
        ("Week 1 (5–9 Mar)", dt.date(2025, 3, 5), dt.date(2025, 3, 9)),
        ("Week 2 (10–16 Mar)", dt.date(2025, 3, 10), dt.date(2025, 3, 16)),
        ("Week 3 (17–20 Mar)", dt.date(2025, 3, 17), dt.date(2025, 3, 20)),
    ]
    sunday = series(dt.date(2025, 2, 26), dt.date(2025, 3, 8), "week", "sunday")
    assert [w.name for w in sunday] == ["Week 1 (26 Feb–1 Mar)", "Week 2 (2–8 Mar)"]


def test_clipped_calendar_periods_say_so_in_their_names():
    assert [p.name for p in series(dt.date(2025, 1, 15), dt.date(2025, 4, 10), "month")] == [
        "January 2025 (15–31 Jan)",
        "February 2025",
        "March 2025",
        "April 2025 (1–10 Apr)",
    ]
    assert [p.name for p in series(dt.date(2025, 2, 3), dt.date(2026, 1, 1), "quarter")] == [
        "Q1 2025 (3 Feb–31 Mar)",
        "Q2 2025",
        "Q3 2025",
        "Q4 2025",
        "Q1 2026 (1 Jan)",
    ]
    assert [p.name for p in series(dt.date(2025, 3, 1), dt.date(2026, 12, 31), "year")] == [
        "2025 (1 Mar–31 Dec)",
        "2026",
    ]
    assert [p.name for p in series(dt.date(2025, 12, 31), dt.date(2026, 1, 1), "day")] == [
        "31 Dec 2025",
        "1 Jan 2026",
    ]
    assert span_label(dt.date(2025, 12, 29), dt.date(2026, 1, 4)) == "29 Dec 2025–4 Jan 2026"


def test_an_unknown_length_is_refused():
    with pytest.raises(ValueError, match="every must be one of"):
        series(dt.date(2025, 1, 1), dt.date(2025, 2, 1), "fortnight")
