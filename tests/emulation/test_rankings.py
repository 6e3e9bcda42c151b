"""Rankings by every normalisation and by weighted score, ties, "less is better", as_of."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pacesetter.emulation import selectors
from pacesetter.emulation.models import StandingSnapshot
from pacesetter.ledger.actions import correct_report
from pacesetter.units.models import Unit

from .conftest import plan, record, scoring, whole

pytestmark = pytest.mark.django_db


def board(s, movement):
    result = selectors.leaderboard(scoring=s, period=whole(movement))
    return [(row.unit.code, row.rank, row.display) for row in result.rows]


def test_raw_total_ranks_and_ties_are_competition_ranks(movement, block):
    record(
        movement,
        ("W1", "steel", "10"),
        ("W2", "steel", "30"),
        ("W3", "steel", "10"),
        ("W4", "steel", "5"),
    )
    s = scoring(movement, block, ("steel", "raw"))
    assert board(s, movement) == [
        ("W2", 1, "30.0 t"),
        ("W1", 2, "10.0 t"),
        ("W3", 2, "10.0 t"),
        ("W4", 4, "5.0 t"),
    ]


def test_units_that_never_reported_are_not_ranked(movement, block):
    s = scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "1"))
    result = selectors.leaderboard(scoring=s, period=whole(movement))
    assert [(r.unit.code, r.rank) for r in result.rows] == [("W1", 1)]
    assert result.ranked == 1 and result.unranked == 3


def test_per_member(movement, block):
    Unit.objects.filter(code="W1").update(headcount=4)
    Unit.objects.filter(code="W2").update(headcount=20)
    Unit.objects.filter(code="W3").update(headcount=0)  # nothing to divide by: not ranked
    record(
        movement,
        ("W1", "steel", "10"),
        ("W2", "steel", "30"),
        ("W3", "steel", "99"),
        ("W4", "steel", "15"),
    )
    s = scoring(movement, block, ("steel", "per_member"))
    # W4 has the default headcount of 10: 15 ÷ 10 = 30 ÷ 20, a tie shown as one rank.
    assert board(s, movement) == [
        ("W1", 1, "2.500 t per member"),
        ("W2", 2, "1.500 t per member"),
        ("W4", 2, "1.500 t per member"),
    ]


def test_per_rated_capacity(movement, block):
    plan(movement, "W1", "steel", rated_capacity="60000")
    plan(movement, "W2", "steel", rated_capacity="190000")
    record(movement, ("W1", "steel", "120000"), ("W2", "steel", "270000"), ("W3", "steel", "5"))
    s = scoring(movement, block, ("steel", "per_capacity"))
    assert board(s, movement) == [("W1", 1, "200.0%"), ("W2", 2, "142.1%")]


def test_plan_fulfilment_and_less_is_better(movement, block):
    plan(movement, "W1", "losses", planned="100")
    plan(movement, "W2", "losses", planned="100")
    plan(movement, "W3", "losses", planned="100")
    record(movement, ("W1", "losses", "80"), ("W2", "losses", "125"), ("W3", "losses", "0"))
    fulfilment = scoring(movement, block, ("losses", "fulfilment"), code="f")
    # plan ÷ actual: 80 against 100 allowed is 125%; nothing lost at all ranks first.
    assert board(fulfilment, movement) == [
        ("W3", 1, "nothing against the plan"),
        ("W1", 2, "125.0%"),
        ("W2", 3, "80.0%"),
    ]
    raw = scoring(movement, block, ("losses", "raw"), code="r")
    assert [code for code, _r, _d in board(raw, movement)] == ["W3", "W1", "W2"]


def test_weighted_score_shares_of_the_best(movement, block):
    Unit.objects.filter(code__in=["W1", "W2", "W3"]).update(headcount=10)
    record(
        movement,
        ("W1", "steel", "100"),
        ("W2", "steel", "50"),
        ("W3", "steel", "100"),
        ("W1", "losses", "10"),
        ("W2", "losses", "5"),
        ("W3", "losses", "20"),
    )
    s = scoring(movement, block, ("steel", "per_member", "3"), ("losses", "raw", "1"), code="w")
    # steel shares: W1 1, W2 0.5, W3 1; losses (less): W1 5/10, W2 1, W3 5/20.
    # score = 100 × (3 × steel + 1 × losses) ÷ 4
    assert board(s, movement) == [
        ("W1", 1, "87.5 points"),
        ("W3", 2, "81.3 points"),
        ("W2", 3, "62.5 points"),
    ]
    description = selectors.describe(s)
    assert description["weighted"] is True
    assert [c["weight_percent"] for c in description["components"]] == [Decimal(75), Decimal(25)]


def test_as_of_is_what_the_system_showed_that_day(movement, block, today):
    today(dt.date(2026, 1, 5))
    s = scoring(movement, block, ("steel", "raw"))
    first = record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))
    end_of_first_day = timezone.now()
    today(dt.date(2026, 1, 6))
    # Later: a report for an *earlier* day, and a correction of the first day's report.
    record(movement, ("W3", "steel", "15", dt.date(2025, 3, 1)))
    correct_report(
        report=__import__("pacesetter.ledger.models", fromlist=["Report"]).Report.objects.get(
            pk=first.report_ids[1]
        ),
        quantity="5",
        reason="typo",
        source="api",
    )
    period = whole(movement)
    past, count, source = selectors.ranking_as_of(
        scoring=s, period=period, as_of=dt.date(2026, 1, 5)
    )
    assert source == "snapshot" and count == 2
    assert [(r.unit_id, r.rank) for r in past] == [
        (Unit.objects.get(code="W2").pk, 1),
        (Unit.objects.get(code="W1").pk, 2),
    ]
    now, _count, source = selectors.ranking_as_of(
        scoring=s, period=period, as_of=dt.date(2026, 1, 6)
    )
    assert source == "current"
    codes = dict(Unit.objects.values_list("pk", "code"))
    assert [(codes[r.unit_id], r.rank) for r in now] == [("W3", 1), ("W1", 2), ("W2", 3)]
    # Before the scoring existed, the system showed nothing.
    assert selectors.ranking_as_of(scoring=s, period=period, as_of=dt.date(2026, 1, 4))[2] == "none"
    # The independent path from the ledger (reports recorded by the end of the first day)
    # gives the same order as the snapshot.
    from_ledger = selectors.standings_from_ledger(
        scoring=s, period=period, recorded_by=end_of_first_day
    )
    ranked = {u: g for u, g in from_ledger.items() if g is not None}
    assert sorted(ranked, key=lambda u: -ranked[u]) == [r.unit_id for r in past]
    assert StandingSnapshot.objects.filter(period=period).count() == 2


def test_leaderboard_queries_are_pinned_whatever_the_block(
    movement, block, django_assert_num_queries
):
    s = scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"), ("W3", "steel", "30"))
    s = selectors.scoring_or_none(movement, "main")
    period = whole(movement)
    # The facts, the page, and for yesterday and last week the snapshot day (there is none:
    # the ranking started today); never more than 6 whatever the block's size.
    with django_assert_num_queries(4):
        board = selectors.leaderboard(scoring=s, period=period, limit=2)
    assert [(r.unit.code, r.rank) for r in board.rows] == [("W3", 1), ("W2", 2)]
    assert (board.ranked, board.unranked) == (3, 1)
    with django_assert_num_queries(3):
        found = selectors.position(scoring=s, period=period, unit=board.rows[1].unit)
    assert (found.rank, found.of) == (2, 3)
