"""Overtaking: an event exactly when the order changes, corrections included; notifications."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacesetter.emulation import domain, selectors
from pacesetter.emulation.models import Notification, OvertakingEvent, Standing
from pacesetter.ledger.actions import correct_report
from pacesetter.ledger.models import Report

from .conftest import assert_events_give_the_order, record, scoring, whole

pytestmark = pytest.mark.django_db


def codes(events):
    return [(e.ahead.code, e.kind, e.behind.code) for e in events]


def test_passing_records_who_passed_whom_by_how_much_and_notifies(movement, block, units):
    s = scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"), ("W3", "steel", "30"))
    assert not OvertakingEvent.objects.exists()  # entering the ranking passes nobody
    result = record(movement, ("W1", "steel", "15.5"))  # W1: 25.5 passes W2 (20)
    events = list(
        OvertakingEvent.objects.filter(period=whole(movement)).select_related("ahead", "behind")
    )
    assert codes(events) == [("W1", "overtook", "W2")]
    event = events[0]
    assert (event.ahead_rank, event.behind_rank) == (2, 3)
    assert str(event.margin.normalize()) == "5.5"
    assert event.cause == "reports" and event.report_ids == result.report_ids
    notified = {(n.unit.code, n.kind) for n in Notification.objects.select_related("unit")}
    # W2 and its parent C1, for the whole period and for March
    assert notified == {("W2", "overtaken"), ("C1", "child_overtaken")}
    assert "Unit W1 overtook you" in Notification.objects.filter(unit=units["W2"]).first().message
    # Only the scoring's block is ranked: the ancestors' totals changed too, but no event.
    assert Standing.objects.filter(unit=units["C1"]).count() == 0
    assert s.pk == event.scoring_id


def test_each_unit_passed_and_its_parent_are_told_once_per_ingest(movement, block, units):
    scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"), ("W3", "steel", "5"))
    record(movement, ("W3", "steel", "30"))  # W3: 35 passes both of C1's teams
    (told,) = Notification.objects.filter(unit=units["C1"])
    assert told.message == (
        "2 of your units were passed in “Main ranking”: "
        "Unit W2 (now 2nd in March 2025 and 2nd in Whole movement), "
        "Unit W1 (now 3rd in March 2025 and 3rd in Whole movement)."
    )
    (passed,) = Notification.objects.filter(unit=units["W1"])
    assert passed.message == (
        "Unit W3 overtook you in “Main ranking”; you are now 3rd in March 2025 and 3rd in "
        "Whole movement."
    )
    assert passed.event.behind_id == units["W1"].pk
    # one for each team passed and one for C1; none for C2, whose team passed them
    assert Notification.objects.filter(unit=units["C2"]).count() == 0
    assert Notification.objects.count() == 3


def test_an_event_names_the_reports_that_moved_the_unit_in_its_period(movement, block):
    scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))  # both in March
    february = ("W1", "steel", "5", dt.date(2025, 2, 3))
    result = record(movement, february, ("W1", "steel", "15"))  # W1: 30 (whole), 25 (March)
    feb_id, march_id = result.report_ids
    events = {
        e.period.name: e
        for e in OvertakingEvent.objects.select_related("period", "ahead", "behind")
    }
    assert sorted(events) == ["March 2025", "Whole movement"]  # W2 has nothing in February
    assert events["Whole movement"].report_ids == [feb_id, march_id]
    assert events["March 2025"].report_ids == [march_id]
    assert {codes([e])[0] for e in events.values()} == {("W1", "overtook", "W2")}
    # The day of the figures compared: the latest day of the reports that moved it (for a
    # ledger imported long after its days, not the day it was recorded).
    march_day = Report.objects.get(pk=march_id).day
    assert events["Whole movement"].figures_day == march_day
    assert events["March 2025"].figures_day == march_day
    late = record(movement, ("W2", "steel", "12", dt.date(2025, 2, 20)))  # W2: 32 (whole)
    passed = OvertakingEvent.objects.get(period=whole(movement), ahead__code="W2")
    assert (passed.figures_day, passed.report_ids) == (dt.date(2025, 2, 20), late.report_ids)


def test_no_event_when_the_order_does_not_change(movement, block):
    scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))
    record(movement, ("W2", "steel", "5"), ("W1", "steel", "1"))
    assert not OvertakingEvent.objects.exists()


def test_drawing_level_and_breaking_a_tie(movement, block):
    scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))
    record(movement, ("W1", "steel", "10"))
    record(movement, ("W2", "steel", "1"))
    period = whole(movement)
    assert codes(OvertakingEvent.objects.filter(period=period).order_by("id")) == [
        ("W1", "drew_level", "W2"),
        ("W2", "overtook", "W1"),
    ]


def test_a_correction_that_undoes_an_overtaking_is_an_event_too(movement, block):
    scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))
    inflated = record(movement, ("W1", "steel", "100"))
    correct_report(
        report=Report.objects.get(pk=inflated.report_ids[0]),
        quantity="0",
        reason="inflated",
        source="api",
    )
    events = list(OvertakingEvent.objects.filter(period=whole(movement)).order_by("id"))
    assert codes(events) == [("W1", "overtook", "W2"), ("W2", "overtook", "W1")]
    assert [e.cause for e in events] == ["reports", "correction"]
    # History is never rewritten: the first event stays.
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        OvertakingEvent.objects.filter(pk=events[0].pk).delete()


def test_less_is_better_overtaking(movement, block):
    scoring(movement, block, ("losses", "raw"))
    record(movement, ("W1", "losses", "10"), ("W2", "losses", "20"))
    record(movement, ("W1", "losses", "15"))  # W1 now 25: W2 (20) is better
    assert codes(OvertakingEvent.objects.filter(period=whole(movement))) == [
        ("W2", "overtook", "W1")
    ]


def test_feed_lists_newest_first_in_two_queries(movement, block, django_assert_num_queries):
    scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"), ("W3", "steel", "30"))
    record(movement, ("W1", "steel", "15"))
    record(movement, ("W1", "steel", "10"))
    with django_assert_num_queries(2):
        feed = selectors.overtaking_feed(movement=movement, limit=10)
        [(e.ahead.code, e.behind.code, e.scoring.name, e.period.name) for e in feed]
    assert feed[0].behind.code == "W3"
    assert selectors.margin_display(feed[0]) == "5.0 t"  # W1 35 against W3 30


# --- property: over random sequences of reports and corrections --------------------------------

UNITS = ["W1", "W2", "W3", "W4"]

# One ingest per step: a batch of reports, or one correction (of the n-th report so far).
step = st.one_of(
    st.lists(st.tuples(st.sampled_from(UNITS), st.integers(0, 30)), min_size=1, max_size=3),
    st.tuples(st.integers(0, 50), st.integers(0, 30)),
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=7))
def test_events_exactly_when_the_order_changes(movement, block, steps):
    """For every ingest: an event for each pair of ranked units whose order changed and for
    no other pair; replaying the events on the order before gives the order after."""
    code = f"p{Standing.objects.count()}-{OvertakingEvent.objects.count()}"
    s = scoring(movement, block, ("losses", "raw"), code=code)
    period = whole(movement)
    losses = movement.indicators.get(code="losses")

    def order():
        return domain.pairwise(
            dict(
                Standing.objects.filter(scoring=s, period=period).values_list("unit_id", "goodness")
            )
        )

    for entry in steps:
        before = order()
        seen = OvertakingEvent.objects.filter(scoring=s, period=period).count()
        if isinstance(entry, list):
            record(movement, *[(unit, "losses", str(quantity)) for unit, quantity in entry])
        else:
            originals = list(
                Report.objects.filter(movement=movement, indicator=losses, corrects__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if not originals:
                continue
            report = Report.objects.get(pk=originals[entry[0] % len(originals)])
            current = report.quantity_minor + sum(
                c.quantity_minor for c in report.corrections.all()
            )
            if current == entry[1]:
                continue  # not a change: the ledger refuses it
            correct_report(report=report, quantity=str(entry[1]), reason="check", source="api")
        after = order()
        events = list(
            OvertakingEvent.objects.filter(scoring=s, period=period).order_by("id")[seen:]
        )
        assert_events_give_the_order(before, after, events)


def test_a_move_re_ranks_the_ancestors_it_changes(movement, units):
    from pacesetter.units.actions import create_block, move_unit

    counties = create_block(code="counties", name="Counties", units=[units["C1"], units["C2"]])
    scoring(movement, counties, ("steel", "raw"), code="counties")
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "10"), ("W3", "steel", "30"))
    period = whole(movement)
    board = selectors.leaderboard(
        scoring=selectors.scoring_or_none(movement, "counties"), period=period
    )
    assert [r.unit.code for r in board.rows] == ["C2", "C1"]
    move_unit(unit=units["W3"], new_parent=units["C1"])  # C1 now 50, C2 nothing
    board = selectors.leaderboard(
        scoring=selectors.scoring_or_none(movement, "counties"), period=period
    )
    assert [(r.unit.code, r.display) for r in board.rows] == [("C1", "50.0 t")]
    assert not OvertakingEvent.objects.filter(period=period).exists()  # C2 left the ranking


def test_refresh_after_a_headcount_change_re_ranks_as_a_rescoring(movement, block, units):
    from pacesetter.emulation import actions
    from pacesetter.units.models import Unit

    s = scoring(movement, block, ("steel", "per_member"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"))  # 1.0 and 2.0 per member
    Unit.objects.filter(code="W2").update(headcount=40)  # now 0.5 per member
    actions.refresh_scoring(scoring=s)
    event = OvertakingEvent.objects.filter(period=whole(movement)).select_related("ahead").get()
    assert (event.ahead.code, event.cause, event.report_ids) == ("W1", "rescoring", [])
    assert event.figures_day is None  # no report moved it


def test_a_unit_that_leaves_the_block_is_ranked_no_more_after_a_refresh(movement, block, units):
    from pacesetter.emulation import actions
    from pacesetter.units import actions as unit_actions

    s = scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"), ("W3", "steel", "30"))
    unit_actions.set_block_units(block=block, units=[units["W1"], units["W2"], units["W4"]])
    before = OvertakingEvent.objects.count()
    actions.refresh_scoring(scoring=s)
    ranked = set(Standing.objects.filter(scoring=s).values_list("unit__code", flat=True))
    assert "W3" not in ranked and {"W1", "W2"} <= ranked
    assert OvertakingEvent.objects.count() == before  # leaving passes nobody
