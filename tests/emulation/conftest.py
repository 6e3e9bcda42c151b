import datetime as dt

import pytest

from pacesetter.emulation import actions, selectors
from pacesetter.emulation.actions import challenges, standings
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from pacesetter.units import actions as unit_actions

DAY = dt.date(2025, 3, 10)


@pytest.fixture
def block(units):
    """The four workteams W1..W4 (headcount 10 each unless a test changes it)."""
    made = unit_actions.create_block(code="workteams", name="Workteams")
    return unit_actions.set_block_units(
        block=made, units=[units["W1"], units["W2"], units["W3"], units["W4"]]
    )


@pytest.fixture
def today(monkeypatch):
    """Set the movement's "today" (knowledge day) for the emulation app."""
    current = {"day": dt.date(2026, 1, 5)}

    def set_day(day: dt.date) -> dt.date:
        current["day"] = day
        return day

    # Where `_today` is looked up: the standings' batches and the challenges' deadlines.
    monkeypatch.setattr(standings, "_today", lambda movement: current["day"])
    monkeypatch.setattr(challenges, "_today", lambda movement: current["day"])
    monkeypatch.setattr(selectors, "movement_today", lambda movement: current["day"])
    return set_day


def record(movement, *rows, **kwargs):
    """Record reports: (unit, indicator, quantity[, day]) tuples, or ReportRow."""
    built = [
        row
        if isinstance(row, ReportRow)
        else ReportRow(
            unit=row[0], indicator=row[1], quantity=row[2], day=row[3] if len(row) > 3 else DAY
        )
        for row in rows
    ]
    return record_reports(movement=movement, rows=built, source="api", **kwargs)


def scoring(movement, block, *components, code="main", name="Main ranking"):
    return actions.create_scoring(
        movement=movement,
        block=block,
        code=code,
        name=name,
        components=[
            c if isinstance(c, actions.ComponentSpec) else actions.ComponentSpec(*c)
            for c in components
        ],
    )


def whole(movement):
    return movement.periods.get(is_whole=True)


def plan(movement, unit_code, indicator, **values):
    movement_actions.set_plans(
        movement=movement,
        rows=[movement_actions.PlanRow(unit_code=unit_code, indicator=indicator, **values)],
    )


def assert_events_give_the_order(before: dict, after: dict, events) -> None:
    """`events` name exactly the pairs of units ranked both times whose order changed from the
    pairwise order `before` to `after` (domain.pairwise), and replaying them on `before` gives
    `after`."""
    from pacesetter.emulation import domain

    changes = [domain.PairChange(e.ahead_id, e.behind_id, e.kind) for e in events]
    common = before.keys() & after.keys()
    changed = {pair for pair in common if before[pair] != after[pair]}
    assert sorted(tuple(sorted((c.ahead, c.behind))) for c in changes) == sorted(changed)
    assert domain.replay({p: before[p] for p in common}, changes) == {p: after[p] for p in common}
