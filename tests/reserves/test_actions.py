from decimal import Decimal

import pytest
from django.db import IntegrityError, OperationalError, transaction
from django.http import Http404

from pacesetter.accounts.permissions import acting_as
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import NotAllowed, StateError, ValidationFailed
from pacesetter.reserves import actions, selectors
from pacesetter.reserves.models import Reserve, ReserveEvent, ReserveTotal, Status

from .conftest import actor


def propose(units, **kw):
    args = {
        "unit": units["W1"],
        "kind": "material",
        "description": "Reuse the offcuts of the formwork",
        "estimated": "12.5",
        "measure": "t of cement",
    }
    args.update(kw)
    return actions.propose_reserve(**args)


def fields(exc) -> set[str]:
    return {e.field for e in exc.value.errors}


def totals(unit, measure="t of cement"):
    return ReserveTotal.objects.filter(unit=unit, measure=measure).first()


def test_the_whole_lifecycle_moves_status_history_figures_and_audit(units, kim):
    r = propose(units, member=kim)
    assert r.status == Status.PROPOSED
    actions.review_reserve(r, note="looking")
    actions.accept_reserve(r)
    actions.implement_reserve(r)
    actions.verify_reserve(r, verified="10.25", measure="t of cement", note="weighed")
    r.refresh_from_db()
    assert r.status == Status.VERIFIED and r.verified == Decimal("10.25")
    history = list(r.events.values_list("from_status", "to_status"))
    assert history == [
        ("", "proposed"),
        ("proposed", "under_review"),
        ("under_review", "accepted"),
        ("accepted", "implemented"),
        ("implemented", "verified"),
    ]
    for code in ("W1", "C1", "P1", "KP"):
        t = totals(units[code])
        assert (t.proposed, t.implemented, t.verified) == (1, 1, 1)
        assert t.estimated_saving == Decimal("12.5") and t.verified_saving == Decimal("10.25")
        assert ReserveTotal.objects.get(unit=units[code], measure="").members_verified == 1
    assert totals(units["C2"]) is None
    audited = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "reserves.propose_reserve",
        "reserves.review_reserve",
        "reserves.accept_reserve",
        "reserves.implement_reserve",
        "reserves.verify_reserve",
    } <= audited


def test_accept_straight_from_proposed_and_decline_takes_the_estimate_out(units):
    r = propose(units)
    actions.accept_reserve(r)
    actions.decline_reserve(r, reason="the offcuts are already reused")
    r.refresh_from_db()
    assert r.status == Status.DECLINED
    assert r.events.last().note == "the offcuts are already reused"
    t = totals(units["KP"])
    assert (t.proposed, t.estimated_saving) == (1, Decimal(0))


@pytest.mark.parametrize(
    "steps, verb",
    [
        ([], "implement"),
        ([], "verify"),
        (["review"], "review"),
        (["accept"], "verify"),
        (["accept", "implement"], "decline"),
        (["accept", "implement", "verify"], "decline"),
        (["decline"], "accept"),
    ],
)
def test_a_transition_not_allowed_from_the_state_is_refused_and_nothing_changes(units, steps, verb):
    r = propose(units)
    for step in steps:
        if step == "verify":
            actions.verify_reserve(r, verified="1", measure="t of cement")
        elif step == "decline":
            actions.decline_reserve(r, reason="no")
        else:
            actions.ACTIONS[step](r)
    before = (Reserve.objects.get(pk=r.pk).status, ReserveEvent.objects.count())
    figures = list(ReserveTotal.objects.order_by("pk").values())
    with pytest.raises(StateError) as exc:
        if verb == "verify":
            actions.verify_reserve(r, verified="1", measure="t of cement")
        elif verb == "decline":
            actions.decline_reserve(r, reason="no")
        else:
            actions.ACTIONS[verb](r)
    assert fields(exc) == {"status"}
    assert (Reserve.objects.get(pk=r.pk).status, ReserveEvent.objects.count()) == before
    assert list(ReserveTotal.objects.order_by("pk").values()) == figures


def test_decline_needs_a_reason(units):
    r = propose(units)
    with pytest.raises(ValidationFailed) as exc:
        actions.decline_reserve(r, reason="  ")
    assert fields(exc) == {"reason"}
    assert Reserve.objects.get(pk=r.pk).status == Status.PROPOSED


def test_verify_in_another_measure_or_with_too_many_decimals_is_refused(units):
    r = propose(units)
    actions.accept_reserve(r)
    actions.implement_reserve(r)
    with pytest.raises(ValidationFailed) as exc:
        actions.verify_reserve(r, verified="3", measure="kg of cement")
    assert fields(exc) == {"measure"}
    with pytest.raises(ValidationFailed) as exc:
        actions.verify_reserve(r, verified="3.1234", measure="t of cement")
    assert fields(exc) == {"verified"}
    assert Reserve.objects.get(pk=r.pk).status == Status.IMPLEMENTED
    assert totals(units["W1"]).verified == 0


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"estimated": "1.2345"}, "estimated"),
        ({"estimated": "-3"}, "estimated"),
        ({"estimated": "lots"}, "estimated"),
        ({"kind": "money", "measure": "EUR", "estimated": "10.005"}, "estimated"),
        ({"kind": "money", "measure": "euros"}, "measure"),
        ({"measure": ""}, "measure"),
        ({"description": " "}, "description"),
        ({"kind": "luck"}, "kind"),
        ({"kind": "indicator"}, "indicator"),
    ],
)
def test_bad_proposals_are_refused_naming_the_field(units, kw, field):
    with pytest.raises(ValidationFailed) as exc:
        propose(units, **kw)
    assert field in fields(exc)
    assert not Reserve.objects.exists() and not ReserveTotal.objects.exists()


def test_an_indicator_reserve_takes_the_indicators_measure_and_places(units, movement):
    steel = movement.indicators.get(code="steel")  # t, one decimal
    r = propose(units, kind="indicator", indicator=steel, measure="ignored", estimated="4.5")
    assert (r.measure, r.movement_id) == ("t", movement.pk)
    with pytest.raises(ValidationFailed) as exc:
        propose(units, kind="indicator", indicator=steel, estimated="4.55")
    assert fields(exc) == {"estimated"}


def test_a_member_of_another_unit_cannot_be_named(units, kim):
    with pytest.raises(ValidationFailed) as exc:
        propose(units, unit=units["W3"], member=kim)
    assert fields(exc) == {"member"}


def test_members_with_one_and_with_more_than_one_verified_reserve(units, kim):
    from pacesetter.units.actions import create_member

    create_member(unit=units["W2"], full_name="Ri", external_id="M-2")
    for _ in range(3):
        r = propose(units, member=kim)
        actions.accept_reserve(r)
        actions.implement_reserve(r)
        actions.verify_reserve(r, verified="1", measure="t of cement")
    f = selectors.figures(units["C1"])
    assert (f.members, f.members_verified, f.members_repeat) == (2, 1, 1)
    assert f.share_verified == Decimal(50) and f.verified == 3
    assert selectors.figures(units["W2"]).members_verified == 0


def test_events_are_append_only_at_the_database(units):
    r = propose(units)
    with pytest.raises((IntegrityError, OperationalError)), transaction.atomic():
        ReserveEvent.objects.filter(reserve=r).update(note="rewritten")
    with pytest.raises(ValueError):
        r.events.first().delete()


def test_a_moved_unit_takes_its_figures_along(units):
    from pacesetter.units.actions import move_unit

    r = propose(units)
    actions.accept_reserve(r)
    move_unit(unit=units["C1"], new_parent=units["P2"])
    assert totals(units["P1"]).proposed == 0
    assert totals(units["P2"]).proposed == 1
    assert totals(units["KP"]).proposed == 1
    assert totals(units["W1"]).proposed == 1


# --- permissions per role and place in the tree ------------------------------------------


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("member", True),
        ("reporter", True),
        ("head", True),
        ("head_above", True),
        ("organiser", True),
        ("viewer", False),
        ("verifier", False),
        ("outsider", None),  # cannot see W1: 404
    ],
)
def test_who_may_propose(units, people, who, allowed):
    with acting_as(actor(people[who])):
        if allowed:
            r = propose(units)
            assert r.proposed_by == people[who]
        else:
            with pytest.raises(NotAllowed if allowed is False else Http404):
                propose(units)


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("head", True),
        ("head_above", True),
        ("organiser", True),
        ("member", False),
        ("reporter", False),
        ("verifier", False),
        ("outsider", None),
    ],
)
def test_who_may_review_accept_implement_decline(units, people, who, allowed):
    r = propose(units)
    with acting_as(actor(people[who])):
        for verb in ("review", "accept", "implement"):
            if allowed:
                actions.ACTIONS[verb](r)
            else:
                with pytest.raises(NotAllowed if allowed is False else Http404):
                    actions.ACTIONS[verb](r)
    r.refresh_from_db()
    assert r.status == (Status.IMPLEMENTED if allowed else Status.PROPOSED)


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("verifier", True),
        ("organiser", True),
        ("head", False),
        ("head_above", False),
        ("member", False),
        ("outsider", None),
    ],
)
def test_who_may_verify(units, people, who, allowed):
    r = propose(units)
    actions.accept_reserve(r)
    actions.implement_reserve(r)
    with acting_as(actor(people[who])):
        if allowed:
            actions.verify_reserve(r, verified="2", measure="t of cement")
        else:
            with pytest.raises(NotAllowed if allowed is False else Http404):
                actions.verify_reserve(r, verified="2", measure="t of cement")
    assert Reserve.objects.get(pk=r.pk).status == (
        Status.VERIFIED if allowed else Status.IMPLEMENTED
    )


def test_the_proposer_does_not_verify_their_own_reserve(units, people):
    with acting_as(actor(people["organiser"])):
        r = propose(units)
        actions.accept_reserve(r)
        actions.implement_reserve(r)
        with pytest.raises(NotAllowed):
            actions.verify_reserve(r, verified="2", measure="t of cement")
    assert Reserve.objects.get(pk=r.pk).status == Status.IMPLEMENTED


def test_allowed_verbs_follow_state_and_role(units, people):
    r = propose(units, unit=units["W1"])
    assert selectors.allowed_verbs(actor(people["head"]), r) == ["review", "accept", "decline"]
    assert selectors.allowed_verbs(actor(people["member"]), r) == []
    actions.accept_reserve(r)
    actions.implement_reserve(r)
    r.refresh_from_db()
    assert selectors.allowed_verbs(actor(people["verifier"]), r) == ["verify"]
    assert selectors.allowed_verbs(actor(people["head"]), r) == []


def test_a_step_taken_on_paper_is_recorded_at_its_time_and_checked(units, kim):
    """`at` (what import-reserves passes for a dated row): the step is recorded then, never
    in the future nor before the reserve's last step; without it, the step is stamped now."""
    import datetime as dt

    from django.utils import timezone

    proposed_at = dt.datetime(1958, 3, 1, 12, tzinfo=dt.UTC)
    r = propose(units, member=kim, at=proposed_at)
    r.refresh_from_db()
    assert r.proposed_at == proposed_at and r.events.get().at == proposed_at
    audit = AuditEvent.objects.get(action="reserves.propose_reserve")
    assert audit.after["at"] == proposed_at.isoformat() and audit.at > proposed_at
    with pytest.raises(ValidationFailed) as earlier:
        actions.accept_reserve(r, at=proposed_at - dt.timedelta(days=1))
    assert fields(earlier) == {"at"} and "before the reserve's last step" in str(earlier.value)
    with pytest.raises(ValidationFailed) as future:
        actions.accept_reserve(r, at=timezone.now() + dt.timedelta(hours=1))
    assert fields(future) == {"at"} and "in the future" in str(future.value)
    with pytest.raises(ValidationFailed) as naive:
        actions.accept_reserve(r, at=dt.datetime(1958, 3, 2, 12))
    assert fields(naive) == {"at"}
    actions.accept_reserve(r, at=proposed_at)  # the same moment is not before it
    actions.implement_reserve(r, at=dt.datetime(1958, 4, 1, 12, tzinfo=dt.UTC))
    verified_at = dt.datetime(1958, 6, 30, 12, tzinfo=dt.UTC)
    actions.verify_reserve(r, verified="10", measure="t of cement", at=verified_at)
    r.refresh_from_db()
    assert r.verified_at == verified_at
    assert [e.at.year for e in r.events.all()] == [1958] * 4
    with pytest.raises(ValidationFailed) as future_proposal:
        propose(units, at=timezone.now() + dt.timedelta(minutes=5))
    assert fields(future_proposal) == {"at"}
    before = timezone.now()
    live = propose(units)
    assert before <= live.proposed_at <= timezone.now()
    proposals = AuditEvent.objects.filter(action="reserves.propose_reserve")
    assert "at" not in proposals.get(target_id=str(live.pk)).after
