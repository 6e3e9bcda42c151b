import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from pacesetter.accounts import actions as account_actions
from pacesetter.accounts.models import Role
from pacesetter.accounts.permissions import ANONYMOUS, acting_as, actor_for
from pacesetter.core.errors import StateError, ValidationFailed
from pacesetter.drives import actions, selectors
from pacesetter.drives.models import SignUp, SignUpTotal, VolunteerCall
from pacesetter.ledger.models import SubtreePeriodTotal
from tests.drives.conftest import make_call, person
from tests.factories import UserFactory


def test_sign_up_gives_a_code_and_counts_live(call):
    result = actions.sign_up(call=call, rows=[person(1, role="medic", gender="female")], post=True)
    (code,) = result.codes
    assert len(code) == 10 and result.statuses == ["signed_up"]
    call.refresh_from_db()
    assert call.active_count == 1
    overview = selectors.call_overview(call=call, unit=call.movement.organiser)
    assert overview.total == 1
    assert overview.breakdowns == {"gender": [("female", 1)], "role": [("medic", 1)]}
    # ...and the movement's ledger counts the volunteer where they live, up the tree.
    assert (
        SubtreePeriodTotal.objects.get(
            unit__code="P1", indicator=call.signups_indicator, period__is_whole=True
        ).quantity_minor
        == 1
    )


def test_fields_the_call_does_not_ask_for_are_not_kept(units):
    call = make_call(units, "plain")
    actions.sign_up(call=call, rows=[person(1, gender="female", age=30, skill="x")])
    signup = SignUp.objects.get()
    assert (signup.gender, signup.age_band, signup.skill) == ("", "", "")


def test_duplicates_are_refused_however_the_contact_is_written(call):
    actions.sign_up(call=call, rows=[person(1, role="medic", gender="male")])
    again = person(1, role="medic", gender="male", contact="+8502000-0001")
    with pytest.raises(ValidationFailed) as refused:
        actions.sign_up(call=call, rows=[again])
    assert refused.value.errors[0].code == "duplicate"
    with pytest.raises(ValidationFailed) as in_batch:
        actions.sign_up(
            call=call,
            rows=[person(2, role="medic", gender="male"), person(2, role="medic", gender="male")],
        )
    assert in_batch.value.errors[0].row == 2
    assert SignUp.objects.count() == 1


def test_the_database_refuses_a_duplicate_too(call):
    actions.sign_up(call=call, rows=[person(1, role="medic", gender="male")])
    first = SignUp.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SignUp.objects.create(
            call=call,
            code="ZZZZZZZZZZ",
            identity=first.identity,
            full_name="Again",
            unit=first.unit,
            day=first.day,
            signed_up_at=first.signed_up_at,
            idempotency_key="other",
        )


def test_a_retried_submission_gets_the_same_code(call):
    row = person(1, role="medic", gender="male", idempotency_key="form-123")
    first = actions.sign_up(call=call, rows=[row])
    again = actions.sign_up(call=call, rows=[row])
    assert again.codes == first.codes and again.statuses == ["replayed"]
    assert SignUp.objects.count() == 1


def test_at_quota_a_closing_call_refuses(units):
    call = make_call(units, "closing", quota=2)
    actions.sign_up(call=call, rows=[person(1), person(2)])
    with pytest.raises(ValidationFailed) as refused:
        actions.sign_up(call=call, rows=[person(3)])
    assert refused.value.errors[0].code == "quota_reached"
    call.refresh_from_db()
    assert (call.active_count, SignUp.objects.count()) == (2, 2)


def test_a_batch_crossing_the_quota_is_refused_whole(units):
    call = make_call(units, "closing", quota=2)
    with pytest.raises(ValidationFailed) as refused:
        actions.sign_up(call=call, rows=[person(1), person(2), person(3)])
    assert [e.row for e in refused.value.errors] == [3]
    assert SignUp.objects.count() == 0


def test_at_quota_a_waitlisting_call_waitlists_and_promotes(units):
    call = make_call(units, "waiting", quota=2, at_quota="waitlist")
    result = actions.sign_up(call=call, rows=[person(1), person(2), person(3), person(4)])
    assert result.statuses == ["signed_up", "signed_up", "waitlisted", "waitlisted"]
    call.refresh_from_db()
    assert (call.active_count, call.waitlisted_count) == (2, 2)
    actions.change_signup_status(call=call, codes=[result.codes[0]], status="withdrawn")
    call.refresh_from_db()
    assert (call.active_count, call.waitlisted_count) == (2, 1)
    assert SignUp.objects.get(code=result.codes[2]).status == "signed_up"
    assert SignUp.objects.get(code=result.codes[3]).status == "waitlisted"


def test_quota_is_a_database_constraint_for_closing_calls(units):
    call = make_call(units, "closing", quota=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        VolunteerCall.objects.filter(pk=call.pk).update(active_count=2)


def test_placement_respects_capacity_and_role(call):
    rows = [person(n, unit="W1", role="builder", gender="male") for n in range(1, 4)]
    rows.append(person(4, unit="W4", role="medic", gender="female"))
    codes = actions.sign_up(call=call, rows=rows).codes
    actions.accept_signups(call=call, codes=codes)
    builders = call.places.get(unit__code="C1")
    anyone = call.places.get(unit__code="C3")
    with pytest.raises(ValidationFailed) as full:
        actions.place_volunteers(
            call=call, rows=[actions.PlacementRow(code, builders.pk) for code in codes[:3]]
        )
    assert [(e.row, e.code) for e in full.value.errors] == [(3, "over_capacity")]
    with pytest.raises(ValidationFailed) as role:
        actions.place_volunteers(call=call, rows=[actions.PlacementRow(codes[3], builders.pk)])
    assert role.value.errors[0].code == "role_mismatch"
    assert SignUp.objects.filter(status="placed").count() == 0

    actions.place_volunteers(
        call=call,
        rows=[
            actions.PlacementRow(codes[0], builders.pk),
            actions.PlacementRow(codes[1], builders.pk),
            actions.PlacementRow(codes[3], anyone.pk),
        ],
    )
    builders.refresh_from_db()
    call.refresh_from_db()
    assert (builders.placed_count, call.placed_count) == (2, 3)
    assert (
        SubtreePeriodTotal.objects.get(
            unit__code="KP", indicator=call.placements_indicator, period__is_whole=True
        ).quantity_minor
        == 3
    )
    # Withdrawing frees the place.
    actions.change_signup_status(call=call, codes=[codes[0]], status="withdrawn")
    builders.refresh_from_db()
    assert builders.placed_count == 1
    actions.place_volunteers(call=call, rows=[actions.PlacementRow(codes[2], builders.pk)])


def test_status_moves_only_forward(call):
    (code,) = actions.sign_up(call=call, rows=[person(1, role="medic", gender="male")]).codes
    with pytest.raises(ValidationFailed):
        actions.change_signup_status(call=call, codes=[code], status="completed")
    actions.accept_signups(call=call, codes=[code])
    place = call.places.get(unit__code="C3")
    actions.place_volunteers(call=call, rows=[actions.PlacementRow(code, place.pk)])
    actions.change_signup_status(call=call, codes=[code], status="serving")
    actions.change_signup_status(call=call, codes=[code], status="completed")
    with pytest.raises(ValidationFailed):
        actions.change_signup_status(call=call, codes=[code], status="withdrawn")


def test_eligibility_age_and_skills(units):
    call = make_call(
        units, "youth", min_age=17, max_age=30, asks_age_band=True, skills=["mining", "building"]
    )
    with pytest.raises(ValidationFailed) as refused:
        actions.sign_up(
            call=call,
            rows=[
                person(1, age=40, skill="mining"),
                person(2, age=20, skill="cooking"),
                person(3, skill="mining"),
            ],
        )
    assert [(e.row, e.field, e.code) for e in refused.value.errors] == [
        (1, "age", "not_eligible"),
        (2, "skill", "required"),
        (3, "age", "required"),
    ]
    actions.sign_up(call=call, rows=[person(4, age=20, skill="mining")])
    assert SignUp.objects.get().age_band == "18-24"


def test_window_closed_and_not_yet_open(units):
    now = timezone.now()
    later = make_call(
        units, "later", opens_at=now + dt.timedelta(days=1), closes_at=now + dt.timedelta(days=2)
    )
    with pytest.raises(ValidationFailed) as refused:
        actions.sign_up(call=later, rows=[person(1)])
    assert refused.value.errors[0].code == "not_open"


def test_anonymous_sign_ups_only_for_public_calls(units, member):
    private = make_call(units, "private", public=False)
    with acting_as(ANONYMOUS), pytest.raises(StateError):
        actions.sign_up(call=private, rows=[person(1)])
    public = make_call(units, "public")
    with acting_as(ANONYMOUS):
        with pytest.raises(ValidationFailed) as refused:
            actions.sign_up(call=public, rows=[actions.SignUpRow(member="M-1")])
        assert refused.value.errors[0].code == "not_permitted"
        actions.sign_up(call=public, rows=[person(1)])
    assert SignUp.objects.get().entered_by is None


def test_unit_head_signs_members_up(units, member):
    call = make_call(units, "members")
    result = actions.sign_up(call=call, rows=[actions.SignUpRow(member="M-1")])
    signup = SignUp.objects.get(code=result.codes[0])
    assert (signup.full_name, signup.unit.code, signup.contact) == ("Kim Je Won", "W1", "")


def test_bulk_counts_by_day_and_subtree(units):
    call = make_call(units, "bulk", quota=1000)
    start = call.opens_at
    rows = [
        person(n, unit="W1" if n % 2 else "W4", signed_up_at=start + dt.timedelta(minutes=10 * n))
        for n in range(1, 61)
    ]
    actions.sign_up(call=call, rows=rows, post=True)
    overview = selectors.call_overview(call=call, unit=units["KP"])
    assert overview.total == 60 and sum(n for _d, n in overview.by_day) == 60
    assert dict((c.code, n) for c, n in overview.children) == {"P1": 30, "P2": 30}
    assert (
        SubtreePeriodTotal.objects.get(
            unit__code="KP", indicator=call.signups_indicator, period__is_whole=True
        ).quantity_minor
        == 60
    )
    # Posting again finds nothing new.
    assert actions.post_to_ledger(call=call) == 0
    assert SignUpTotal.objects.filter(bucket="", unit__code="W1").count() >= 1


def test_a_moved_unit_takes_its_counts_along(units):
    from pacesetter.units.actions import move_unit

    call = make_call(units, "moving", quota=100)
    actions.sign_up(call=call, rows=[person(n, unit="W3") for n in range(3)])
    move_unit(unit=units["C2"], new_parent=units["P2"])
    overview = {u.code: n for u, n in selectors.call_overview(call=call, unit=units["KP"]).children}
    assert overview == {"P1": 0, "P2": 3}
    assert selectors.call_overview(call=call, unit=units["KP"]).total == 3


def test_an_organiser_enters_the_moment_of_a_paper_form_and_a_member_may_not(call, units):
    organiser, member = UserFactory(username="org"), UserFactory(username="mem")
    account_actions.grant_role(user=organiser, role=Role.ORGANISER, unit=units["KP"])
    account_actions.grant_role(user=member, role=Role.MEMBER, unit=units["W1"])
    moment = call.opens_at + dt.timedelta(hours=1)
    with acting_as(actor_for(organiser)):
        actions.sign_up(
            call=call,
            rows=[person(1, unit="W1", role="medic", gender="female", signed_up_at=moment)],
        )
    with acting_as(actor_for(member)), pytest.raises(ValidationFailed) as refused:
        actions.sign_up(
            call=call,
            rows=[person(2, unit="W1", role="medic", gender="female", signed_up_at=moment)],
        )
    assert refused.value.errors[0].field == "signed_up_at"
