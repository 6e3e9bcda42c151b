"""A series of periods of one length (day, week, month, quarter, year) tiling a movement's
span: pure date arithmetic, no Django.

The series starts on the movement's first day and ends on its last; calendar periods (weeks
from `week_starts`, months, quarters, years) are cut where the calendar cuts them, and the
first and last are clipped to the movement's dates. A clipped period says so in its name
("March 2025 (3–31 Mar)"); weeks always name their days ("Week 1 (3–9 Mar)"), numbered from
the movement's start. Names are unique within a series, so plans can name them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

EVERY = ("day", "week", "month", "quarter", "year")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class SeriesPeriod:
    name: str
    starts_on: dt.date
    ends_on: dt.date


def _day_month(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def span_label(starts_on: dt.date, ends_on: dt.date) -> str:
    """ "3–9 Mar", "28 Feb–6 Mar", "29 Dec 2025–4 Jan 2026": as short as stays unambiguous."""
    if starts_on.year != ends_on.year:
        return f"{_day_month(starts_on)} {starts_on.year}–{_day_month(ends_on)} {ends_on.year}"
    if starts_on.month != ends_on.month:
        return f"{_day_month(starts_on)}–{_day_month(ends_on)}"
    if starts_on == ends_on:
        return _day_month(starts_on)
    return f"{starts_on.day}–{_day_month(ends_on)}"


def _next_start(day: dt.date, every: str, week_starts: int) -> dt.date:
    """The first day of the calendar period after the one holding `day`."""
    if every == "day":
        return day + dt.timedelta(days=1)
    if every == "week":
        return day + dt.timedelta(days=(week_starts - day.weekday() - 1) % 7 + 1)
    if every == "month":
        return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    if every == "quarter":
        month = (day.month - 1) // 3 * 3 + 4
        return dt.date(day.year + (month > 12), (month - 1) % 12 + 1, 1)
    if every == "year":
        return dt.date(day.year + 1, 1, 1)
    raise ValueError(f"every must be one of {', '.join(EVERY)}")


def _name(every: str, number: int, starts_on: dt.date, ends_on: dt.date, clipped: bool) -> str:
    if every == "day":
        return f"{starts_on.day} {starts_on:%b %Y}"
    if every == "week":
        return f"Week {number} ({span_label(starts_on, ends_on)})"
    if every == "month":
        whole = f"{starts_on:%B %Y}"
    elif every == "quarter":
        whole = f"Q{(starts_on.month - 1) // 3 + 1} {starts_on.year}"
    else:
        whole = str(starts_on.year)
    return f"{whole} ({span_label(starts_on, ends_on)})" if clipped else whole


def series(
    starts_on: dt.date, ends_on: dt.date, every: str, week_starts: str = "monday"
) -> list[SeriesPeriod]:
    """The periods of length `every` tiling starts_on..ends_on: no gap, no overlap, in order."""
    if every not in EVERY:
        raise ValueError(f"every must be one of {', '.join(EVERY)}")
    if week_starts not in WEEKDAYS:
        raise ValueError(f"week_starts must be one of {', '.join(WEEKDAYS)}")
    if ends_on < starts_on:
        return []
    weekday = WEEKDAYS.index(week_starts)
    periods = []
    first = starts_on
    while first <= ends_on:
        following = _next_start(first, every, weekday)
        last = min(following - dt.timedelta(days=1), ends_on)
        # Clipped: the calendar period began before the movement or ends after it.
        clipped = _next_start(first - dt.timedelta(days=1), every, weekday) != first or (
            last != following - dt.timedelta(days=1)
        )
        periods.append(
            SeriesPeriod(_name(every, len(periods) + 1, first, last, clipped), first, last)
        )
        first = following
    return periods


def matching_series(
    starts_on: dt.date, ends_on: dt.date, periods: list[SeriesPeriod]
) -> dict[str, str] | None:
    """The spec ({"every", "week_starts"}) whose series is exactly `periods` (names and dates,
    in order), or None: what a setup file can write instead of the list."""
    if not periods:
        return None
    for every in EVERY:
        for week_starts in WEEKDAYS if every == "week" else ("monday",):
            if series(starts_on, ends_on, every, week_starts) == periods:
                return {"every": every, "week_starts": week_starts}
    return None
