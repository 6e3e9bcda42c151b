import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404

from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import Conflict, NotAllowed, StateError, ValidationFailed
from pacesetter.visits import actions
from pacesetter.visits.actions import FollowUpRow, VisitRow
from pacesetter.visits.models import FollowUpEvent, FollowUpTask, UnitVisitYear, Visit

DAY = dt.date(2024, 5, 2)


def visit(unit="W1", day=DAY, **extra):
    if "visitors" not in extra:
        extra.setdefault("guest_names", ["Kim Il"])
    return actions.record_visit(unit=unit, visited_on=day, purpose="See the harvest", **extra)


def test_record_a_visit_with_people_guests_and_follow_ups(units, people):
    with acting_as(actor_for(people["head"])):
        recorded = visit(
            findings="Threshers idle for want of belts.",
            visitors=["head", "organiser"],
            guest_names=["Ri Myong Su", " Ri  Myong Su ", "Pak"],
            follow_ups=[FollowUpRow("Send belts", "reporter", "2024-05-20")],
        )
    assert recorded.unit == units["W1"] and recorded.recorded_by == people["head"]
    assert {v.user.username for v in recorded.visitors.all()} == {"head", "organiser"}
    assert recorded.guest_names == ["Ri Myong Su", "Pak"]
    task = FollowUpTask.objects.get()
    assert (task.owner, task.due_on, task.done) == (people["reporter"], dt.date(2024, 5, 20), False)
    year = UnitVisitYear.objects.get()
    assert (year.unit_id, year.year, year.visits, year.first_on, year.last_on) == (
        units["W1"].pk,
        2024,
        1,
        DAY,
        DAY,
    )
    event = AuditEvent.objects.get(action="visits.record_visit")
    assert event.unit_path == units["W1"].path and event.user == people["head"]


def test_the_year_aggregate_keeps_count_first_and_last(units):
    for day in (dt.date(2024, 7, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1), dt.date(2023, 1, 9)):
        visit(day=day)
    rows = {r.year: (r.visits, r.first_on, r.last_on) for r in UnitVisitYear.objects.all()}
    assert rows == {
        2024: (3, dt.date(2024, 2, 1), dt.date(2024, 7, 1)),
        2023: (1, dt.date(2023, 1, 9), dt.date(2023, 1, 9)),
    }


@pytest.mark.parametrize(
    "who, unit, outcome",
    [
        ("head", "C1", None),  # own unit
        ("head", "W2", None),  # below
        ("organiser", "W3", None),  # organiser of P1 over C2's branch
        ("head", "P1", Http404),  # above the head: cannot see it
        ("head_c2", "W1", Http404),  # a sibling branch
        ("reporter", "W1", NotAllowed),  # sees W1, is no official
        ("member", "W1", NotAllowed),
        ("verifier", "W1", NotAllowed),
        ("viewer", "W1", NotAllowed),
    ],
)
def test_who_may_record_a_visit(units, people, who, unit, outcome):
    """The action names the unit as a row error: unknown (hidden) and not allowed both 422,
    told apart by the row's code; an API or page asks permission first (see test_api)."""
    with acting_as(actor_for(people[who])):
        if outcome is None:
            assert visit(unit=unit).unit == units[unit]
            return
        with pytest.raises(ValidationFailed) as refused:
            visit(unit=unit)
    error = refused.value.errors[0]
    assert error.field == "unit"
    assert error.code == ("not_allowed" if outcome is NotAllowed else "invalid")
    assert not Visit.objects.exists() and not UnitVisitYear.objects.exists()


def test_every_bad_row_is_listed_and_nothing_is_written(units, people):
    rows = [
        VisitRow("W1", "2024-05-02", "ok", visitors=["head"]),
        VisitRow("NOPE", "2024-05-02", "x", visitors=["head"]),
        VisitRow("W1", "tomorrow", "x", visitors=["ghost"]),
        VisitRow("W1", dt.date.today() + dt.timedelta(days=3), "", guest_names=[]),
        VisitRow("W1", "2024-05-02", "x\x00", visitors=["head"], movement="nope"),
    ]
    with pytest.raises(ValidationFailed) as refused:
        actions.record_visits(rows=rows)
    found = {(e.row, e.field) for e in refused.value.errors}
    assert found == {
        (2, "unit"),
        (3, "visited_on"),
        (3, "visitors"),
        (4, "visited_on"),
        (4, "purpose"),
        (4, "visitors"),
        (5, "purpose"),
        (5, "movement"),
    }
    assert not Visit.objects.exists()


def test_a_date_is_today_somewhere(units):
    """Without a movement, the latest time zone on earth decides "not in the future": the
    evening of the 5th in Pyongyang is the 5th there, even while UTC is still on the 4th."""
    latest = actions._today(None)
    assert visit(day=latest).visited_on == latest
    with pytest.raises(ValidationFailed):
        visit(day=latest + dt.timedelta(days=1))


def test_a_key_replays_and_conflicts(units, people):
    with acting_as(actor_for(people["head"])):
        first = actions.record_visits(rows=[VisitRow("W1", DAY, "p", visitors=["head"], key="k1")])
        again = actions.record_visits(rows=[VisitRow("W1", DAY, "p", visitors=["head"], key="k1")])
        assert (again.created, again.replayed, again.visits[0].pk) == (0, 1, first.visits[0].pk)
        with pytest.raises(Conflict):
            actions.record_visits(rows=[VisitRow("W1", DAY, "other", visitors=["head"], key="k1")])
        with pytest.raises(Conflict):
            actions.record_visits(
                rows=[
                    VisitRow("W2", DAY, "p", visitors=["head"], key="k2"),
                    VisitRow("W2", DAY, "p", visitors=["head"], key="k2"),
                ]
            )
    # another caller's key is another caller's: the same key is a new visit
    with acting_as(actor_for(people["organiser"])):
        theirs = actions.record_visits(rows=[VisitRow("W1", DAY, "p", visitors=["head"], key="k1")])
    assert theirs.created == 1
    assert UnitVisitYear.objects.get(unit=units["W1"]).visits == 2


def test_follow_ups_are_marked_by_owner_or_official_as_events(units, people):
    recorded = visit()
    task = actions.add_follow_up(recorded, what="Belts", owner="reporter", due_on="2024-06-01")
    with acting_as(actor_for(people["member"])), pytest.raises(NotAllowed):
        actions.mark_follow_up(task, done=True)
    with acting_as(actor_for(people["head_c2"])), pytest.raises(Http404):
        actions.mark_follow_up(task, done=True)
    with acting_as(actor_for(people["reporter"])):
        assert actions.mark_follow_up(task, done=True, note_text="Sent").done is True
        with pytest.raises(StateError):
            actions.mark_follow_up(task, done=True)
    with acting_as(actor_for(people["head"])):
        actions.mark_follow_up(task, done=False, note_text="Wrong size")
    events = list(FollowUpEvent.objects.values_list("done", "by__username", "note"))
    assert events == [(True, "reporter", "Sent"), (False, "head", "Wrong size")]
    assert FollowUpTask.objects.get().done is False
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpEvent.objects.filter(pk=FollowUpEvent.objects.first().pk).update(note="x")


def test_follow_up_refusals(units, people):
    recorded = visit()
    with pytest.raises(ValidationFailed) as refused:
        actions.add_follow_up(recorded, what=" ", owner="head_c2", due_on="2024-01-01")
    assert {e.field for e in refused.value.errors} == {"what", "owner", "due_on"}
    with acting_as(actor_for(people["reporter"])), pytest.raises(NotAllowed):
        actions.add_follow_up(recorded, what="x", owner="reporter", due_on=DAY)
    with pytest.raises(ValidationFailed) as refused:
        visit(follow_ups=[FollowUpRow("x", "nobody", DAY)])
    assert refused.value.errors[0].field == "follow_ups.owner"
    assert Visit.objects.count() == 1  # the refused visit rolled back with its follow-up
