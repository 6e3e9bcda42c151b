"""A setup file's periods as a generated series (`periods: {every: week}`): applied twice it
changes nothing, exported it is written back as the series, and that export recreates the same
periods."""

import yaml

from pacesetter.movements.models import Movement
from tests.setup.test_apply import SETUP, _apply

WEEKLY = SETUP.replace(
    """    periods:
      - {name: Week 1, starts_on: 2025-10-01, ends_on: 2025-10-07}
      - {name: Week 2, starts_on: 2025-10-08, ends_on: 2025-10-14}
""",
    "    periods: {every: week}\n",
).replace("period: Week 1,", "period: 'Week 1 (1–5 Oct)',")
WEEKS = [
    ("Week 1 (1–5 Oct)", "2025-10-01", "2025-10-05"),
    ("Week 2 (6–12 Oct)", "2025-10-06", "2025-10-12"),
    ("Week 3 (13–19 Oct)", "2025-10-13", "2025-10-19"),
    ("Week 4 (20–26 Oct)", "2025-10-20", "2025-10-26"),
    ("Week 5 (27–28 Oct)", "2025-10-27", "2025-10-28"),
]


def _periods(slug):
    return [
        (p.name, p.starts_on.isoformat(), p.ends_on.isoformat())
        for p in Movement.objects.get(slug=slug).periods.filter(is_whole=False)
    ]


def test_a_weekly_series_applied_twice_changes_nothing(cli, units, tmp_path):
    first = _apply(cli, tmp_path, WEEKLY)
    assert first.code == 0, first.out + first.err
    assert "create movement kiln-repair: 1 indicators, 5 periods, 2 plans" in first.out
    assert _periods("kiln-repair") == WEEKS
    again = _apply(cli, tmp_path, WEEKLY)
    assert (again.code, "no change" in again.out) == (0, True), again.out


def test_a_series_is_added_to_a_draft_and_a_crossing_one_refused_by_its_line(cli, units, tmp_path):
    draft = WEEKLY.replace("launch: true", "launch: false").replace(
        "      - {unit: BT-S, indicator: repairs, period: 'Week 1 (1–5 Oct)', planned: 2}\n", ""
    )
    assert _apply(cli, tmp_path, draft.replace("{every: week}", "[]")).code == 0
    sundays = draft.replace("{every: week}", "{every: week, week_starts: sunday}")
    added = _apply(cli, tmp_path, sundays)
    assert added.code == 0, added.out + added.err
    assert "add 5 periods every week to kiln-repair" in added.out
    assert _periods("kiln-repair")[1] == ("Week 2 (5–11 Oct)", "2025-10-05", "2025-10-11")
    assert "no change" in _apply(cli, tmp_path, sundays).out
    mondays = _apply(cli, tmp_path, draft)
    assert mondays.code == 1
    assert "movements[1].periods" in mondays.out
    assert "crosses the existing period" in mondays.out
    assert len(_periods("kiln-repair")) == 5


def test_a_bad_series_is_named_by_its_place(cli, units, tmp_path):
    outcome = _apply(cli, tmp_path, WEEKLY.replace("{every: week}", "{every: fortnight, day: 1}"))
    assert outcome.code == 1
    assert "movements[1].periods.every" in outcome.out and "one of day, week" in outcome.out
    assert "movements[1].periods.day" in outcome.out


def test_export_writes_the_series_and_it_recreates_the_same_periods(cli, units, tmp_path):
    assert _apply(cli, tmp_path, WEEKLY).code == 0
    exported = cli("export", "kiln-repair")
    document = yaml.safe_load(exported.out)
    assert document["movements"][0]["periods"] == {"every": "week", "week_starts": "monday"}
    assert "no change" in _apply(cli, tmp_path, exported.out).out
    # The same file for another movement (a fresh one): the same periods.
    fresh = exported.out.replace("slug: kiln-repair", "slug: kiln-repair-again")
    assert _apply(cli, tmp_path, fresh).code == 0
    assert _periods("kiln-repair-again") == WEEKS


def test_periods_not_a_series_are_exported_as_the_list(cli, units, tmp_path):
    assert _apply(cli, tmp_path, SETUP).code == 0
    exported = yaml.safe_load(cli("export", "kiln-repair").out)
    assert exported["movements"][0]["periods"] == [
        {"name": "Week 1", "starts_on": "2025-10-01", "ends_on": "2025-10-07"},
        {"name": "Week 2", "starts_on": "2025-10-08", "ends_on": "2025-10-14"},
    ]
