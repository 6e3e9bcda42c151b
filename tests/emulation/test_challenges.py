"""Challenges: propose, accept or decline, expiry, live standings, the result on record."""

import datetime as dt

import pytest
from django.db import transaction
from django.http import Http404
from django.urls import reverse

from pacesetter.accounts.models import Grant
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.core.errors import StateError, ValidationFailed
from pacesetter.emulation import actions, selectors
from pacesetter.emulation.models import Challenge, ChallengeResult, Notification
from pacesetter.movements.models import Movement
from tests import factories

from .conftest import record

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 10)


@pytest.fixture
def live(units, today):
    """A movement running from 1 March to 30 April 2025, seen on 10 March."""
    today(TODAY)
    return factories.movement(
        units["KP"],
        slug="spring",
        starts_on=dt.date(2025, 3, 1),
        ends_on=dt.date(2025, 4, 30),
        indicators=({"code": "steel", "name": "Steel", "unit_of_measure": "t"},),
    )


def propose(live, units, **kwargs):
    values = {
        "movement": live,
        "challenger": units["W1"],
        "opponent": units["W2"],
        "indicator": live.indicators.get(code="steel"),
        "period": live.periods.get(is_whole=True),
        "answer_by": dt.date(2025, 3, 15),
        "stake": "The loser hosts the winners' meeting",
    }
    values.update(kwargs)
    return actions.propose_challenge(**values)


def test_accepted_challenge_runs_with_live_standings_and_ends_with_a_result(live, units, today):
    challenge = propose(live, units)
    assert challenge.status == "proposed"
    assert Notification.objects.filter(unit=units["W2"], kind="challenged").exists()
    challenge = actions.accept_challenge(challenge=challenge, unit=units["W2"])
    assert challenge.status == "running"
    record(live, ("W1", "steel", "30", TODAY), ("W2", "steel", "45", TODAY))
    standings = selectors.challenge_standings(challenge)
    assert [(r.unit.code, r.rank, r.display) for r in standings] == [
        ("W2", 1, "45 t"),
        ("W1", 2, "30 t"),
    ]
    assert actions.settle_challenges(today=dt.date(2025, 4, 30)) == []  # not over yet
    finished = actions.settle_challenges(today=dt.date(2025, 5, 1))
    assert [c.pk for c in finished] == [challenge.pk]
    challenge.refresh_from_db()
    assert challenge.status == "finished"
    record_of_w2 = selectors.challenge_record(unit=units["W2"])
    assert [(r.rank, r.won) for r in record_of_w2] == [(1, True)]
    assert ChallengeResult.objects.get(unit=units["W1"]).won is False
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        ChallengeResult.objects.filter(challenge=challenge).delete()
    assert actions.settle_challenges(today=dt.date(2025, 5, 2)) == []  # nothing twice


def test_decline(live, units):
    challenge = actions.decline_challenge(challenge=propose(live, units), unit=units["W2"])
    assert challenge.status == "declined"
    with pytest.raises(StateError, match="declined"):
        actions.accept_challenge(challenge=challenge, unit=units["W2"])
    assert Notification.objects.filter(unit=units["W1"], kind="answered").exists()


def test_expiry_when_nobody_answers_in_time(live, units, today):
    challenge = propose(live, units)
    today(dt.date(2025, 3, 16))
    with pytest.raises(StateError, match="expired"):
        actions.accept_challenge(challenge=challenge, unit=units["W2"])
    assert [c.pk for c in actions.settle_challenges(today=dt.date(2025, 3, 16))] == [challenge.pk]
    challenge.refresh_from_db()
    assert challenge.status == "expired"
    assert challenge.participants.get(unit=units["W2"]).answer == "expired"


def test_a_group_challenge_runs_once_one_accepts_and_the_rest_expire(live, units, block):
    challenge = propose(live, units, opponent=None, group=block)
    assert sorted(p.unit.code for p in challenge.participants.all()) == ["W1", "W2", "W3", "W4"]
    actions.decline_challenge(challenge=challenge, unit=units["W2"])
    challenge = actions.accept_challenge(challenge=challenge, unit=units["W3"])
    assert challenge.status == "running"
    actions.settle_challenges(today=dt.date(2025, 3, 16))
    answers = dict(challenge.participants.values_list("unit__code", "answer"))
    assert answers == {"W1": "challenger", "W2": "declined", "W3": "accepted", "W4": "expired"}
    assert Challenge.objects.get(pk=challenge.pk).status == "running"
    assert [r.unit.code for r in selectors.challenge_standings(challenge)] == ["W1", "W3"]


def test_illegal_moves_are_refused(live, units):
    with pytest.raises(ValidationFailed) as refused:
        propose(live, units, opponent=units["W1"])
    assert refused.value.errors[0].field == "opponent"
    with pytest.raises(ValidationFailed):
        propose(live, units, answer_by=dt.date(2025, 3, 9))
    challenge = propose(live, units)
    with pytest.raises(StateError, match="not challenged"):
        actions.accept_challenge(challenge=challenge, unit=units["W3"])
    actions.accept_challenge(challenge=challenge, unit=units["W2"])
    with pytest.raises(StateError, match="already answered"):
        actions.decline_challenge(challenge=challenge, unit=units["W2"])


def test_only_who_plans_for_the_unit_may_challenge_or_answer(live, units):
    user = factories.UserFactory(username="w1-head")
    Grant.objects.create(user=user, unit=units["W1"], role="unit_head")
    with acting_as(actor_for(user)):
        challenge = propose(live, units)
        with pytest.raises(Http404):  # W2 is not theirs to see
            actions.accept_challenge(challenge=challenge, unit=units["W2"])


def test_challenge_api_and_pages(client, live, units, admin_user):
    client.force_login(admin_user)
    created = client.post(
        f"/api/v1/movements/{live.slug}/challenges",
        {"challenger": "W1", "opponent": "W2", "indicator": "steel", "answer_by": "2025-03-12"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    challenge_id = created.json()["id"]
    accept = f"/api/v1/challenges/{challenge_id}/accept"
    assert (
        client.post(accept, {"unit": "W2"}, content_type="application/json").json()["status"]
        == "running"
    )
    again = client.post(accept, {"unit": "W2"}, content_type="application/json")
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"
    listed = client.get(f"/api/v1/movements/{live.slug}/challenges").json()
    assert [c["id"] for c in listed] == [challenge_id]
    page = client.get(f"/challenges/{challenge_id}/").content.decode()
    assert "Standings now" in page and 'data-status="running"' in page
    form_page = client.get(f"/movements/{live.slug}/emulation/challenges/")
    assert "Send the challenge" in form_page.content.decode()
    posted = client.post(
        f"/movements/{live.slug}/emulation/challenges/",
        {
            "challenger": "W3",
            "opponent": "W4",
            "indicator": "steel",
            "normalisation": "raw",
            "period": live.periods.get(is_whole=True).name,
            "answer_by": "2025-03-20",
            "stake": "",
        },
    )
    assert posted.status_code == 302
    detail = client.get(posted["Location"])
    assert "Accept for Unit W4" in detail.content.decode()
    client.post(posted["Location"], {"unit": "W4", "answer": "decline"})
    assert Challenge.objects.get(challenger=units["W3"]).status == "declined"


def test_settle_challenges_command(live, units, today):
    from io import StringIO

    from django.core.management import call_command

    propose(live, units, answer_by=dt.date(2025, 3, 10))
    today(dt.date(2025, 3, 11))
    out = StringIO()
    call_command("settle_challenges", stdout=out)
    assert "1 challenge(s) changed" in out.getvalue()
    assert Challenge.objects.get().status == "expired"


def test_a_movement_ranked_on_verified_figures_runs_its_challenges_on_them(
    live, units, client, admin_user
):
    """W1 reports more, none of it verified; W2 less, all verified. Raw, W1 leads; once the
    movement ranks on verified figures, W2 leads the challenge, its page says so, and the
    result is taken on the same figures."""
    challenge = actions.accept_challenge(challenge=propose(live, units), unit=units["W2"])
    record(live, ("W1", "steel", "80", TODAY))
    record(live, ("W2", "steel", "45", TODAY), verified=True)
    standings = selectors.challenge_standings(challenge)
    assert [(r.unit.code, r.display) for r in standings] == [("W1", "80 t"), ("W2", "45 t")]
    # Seeded on the row: the action refuses the change once the movement is launched.
    Movement.objects.filter(pk=live.pk).update(rank_on_verified=True)
    challenge = Challenge.objects.select_related("movement").get(pk=challenge.pk)
    standings = selectors.challenge_standings(challenge)
    assert [(r.unit.code, r.rank, r.display) for r in standings] == [
        ("W2", 1, "45 t"),
        ("W1", None, "—"),  # no verified figure, as in the movement's rankings
    ]
    client.force_login(admin_user)
    page = client.get(reverse("challenge-detail", args=[challenge.pk]))
    assert page.status_code == 200
    assert b"Ranked on verified figures" in page.content
    actions.settle_challenges(today=dt.date(2025, 5, 1))
    assert ChallengeResult.objects.get(challenge=challenge, won=True).unit == units["W2"]
