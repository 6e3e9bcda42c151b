"""Caps without an order: where more qualify than a cap allows and the rules state no order,
every qualifying candidate competes for the places, and the council's vote or the awarding
body's decision chooses at most that many; with `rank_by` the engine still selects by rank."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.core.errors import StateError, ValidationFailed
from pacesetter.titles import actions, revocation
from pacesetter.titles.models import Award, EvaluationRun, Title
from pacesetter.units import actions as unit_actions
from tests import factories
from tests.api.conftest import post, problem

from .test_actions import rows
from .test_api import bearer

pytestmark = pytest.mark.django_db

SHOCK = """
  - code: shock
    name: Shock worker
    subject: person
    awarding_body: The director
    versions:
      - id: V1
        valid_from: 2000-01-01
        source: the test
        requires:
          - fact: rating
            op: ">="
            value: good
        cap:
          percent: 15
          of:
            fact: rating
            op: ">="
            value: not_completed
            label: rated workers
          rounding: floor
        vote:
          threshold: ">= 50%"
"""
# the same cap with an order stated (by rating) and no vote
RANKED = (
    SHOCK.replace("shock", "ranked")
    .replace("Shock worker", "Ranked worker")
    .replace('vote:\n          threshold: ">= 50%"', "rank_by:\n          - fact: rating")
)
PACK = "pack: caps\nname: Caps\ndescription: One cap without an order, one with.\ntitles:" + (
    SHOCK + RANKED
)
FULL = "15% of 20 rated workers = 3, rounded down: 3 places, 3 already awarded"


@pytest.fixture
def twenty(units):
    """Twenty rated workers in W3: four qualify (two rated excellent, two good), 15% of 20 = 3."""
    ratings = ["excellent", "good", "excellent", "good"] + ["completed"] * 16
    members = [
        unit_actions.create_member(
            unit=units["W3"], full_name=f"Worker {i:02}", external_id=f"w3-{i}"
        )
        for i in range(20)
    ]
    rows(
        "evaluations",
        *[
            {"member": m.external_id, "year": "2024", "rating": rating, "months_worked": "12"}
            for m, rating in zip(members, ratings, strict=True)
        ],
    )
    actions.load_pack(text=PACK)
    return members


def run_of(code, units):
    title = Title.objects.get(pack__slug="caps", code=code)
    return actions.run_evaluation(title=title, year=2024, scope=units["W3"])


def vote_yes(nomination, council):
    for user in council:
        with acting_as(actor_for(user)):
            actions.cast_vote(nomination=nomination, choice="yes")


def test_four_qualify_for_three_places_and_the_council_chooses(twenty, units, council):
    run = run_of("shock", units)
    # no order stated: nobody is selected by the engine, all four compete for 3 places
    assert (run.eligible, run.selected) == (4, 0)
    (group,) = run.cap_summary
    assert group["competing"] and group["text"] == "15% of 20 rated workers = 3, rounded down: 3"
    eligible = run.results.filter(eligible=True)
    assert [(c.selected, c.position, c.competing_for) for c in eligible] == [(False, None, 3)] * 4
    assert eligible[0].explanation["cap"]["places"] == 3
    assert not run.results.filter(eligible=False, competing_for__isnull=False).exists()

    nominations = actions.nominate(run=run)  # all four go to the council
    assert len(nominations) == 4
    for nomination in nominations:
        vote_yes(nomination, council)
    for nomination in nominations[:3]:
        assert actions.decide(nomination=nomination).status == "awarded"
    last = nominations[3]
    with pytest.raises(StateError, match=FULL):
        actions.decide(nomination=last)
    last.refresh_from_db()
    assert last.status == "open" and Award.objects.count() == 3

    # revoking one frees its place
    first = Award.objects.get(nomination=nominations[0])
    revocation.revoke_award(award=first, reason="misreported", revoked_on=timezone.localdate())
    assert actions.decide(nomination=last).status == "awarded"
    assert Award.objects.filter(revocation__isnull=True).count() == 3


def test_imported_awards_of_past_years_take_no_place(twenty, units, council):
    from pacesetter.titles import history
    from pacesetter.titles.models import RulePack

    history.import_awards(
        pack=RulePack.objects.get(slug="caps"),
        rows=[
            {
                "member": f"w3-{i}",
                "title": "shock",
                "year": "2023",
                "awarding_body": "The director",
                "decision_number": f"{i}/2023",
                "decision_date": "2023-12-30",
            }
            for i in range(4, 8)
        ],
        source="history.csv",
    )
    run = run_of("shock", units)
    nominations = actions.nominate(run=run)
    for nomination in nominations[:3]:
        vote_yes(nomination, council)
        assert actions.decide(nomination=nomination).status == "awarded"


def test_with_an_order_the_engine_still_selects_by_rank(twenty, units):
    run = run_of("ranked", units)
    assert (run.eligible, run.selected) == (4, 3)
    assert not run.cap_summary[0]["competing"]
    ranked = [
        (c.member.external_id, c.position, c.selected, c.competing_for)
        for c in run.results.filter(eligible=True).order_by("position")
    ]
    # both rated excellent first, then the good ones by name; the fourth is over the cap
    assert ranked == [
        ("w3-0", 1, True, None),
        ("w3-2", 2, True, None),
        ("w3-1", 3, True, None),
        ("w3-3", 4, False, None),
    ]
    over = run.results.get(position=4)
    with pytest.raises(StateError, match="not selected"):
        actions.award_without_vote(candidate=over)
    assert (
        len([actions.award_without_vote(candidate=c) for c in run.results.filter(selected=True)])
        == 3
    )


def test_an_award_is_dated_within_the_judged_year_and_never_in_the_future(twenty, units):
    """A year judged long after is awarded on the day the body chose (run-evaluation's
    --awarded-on), from the judged year's first day to today, and nothing outside."""
    run = run_of("ranked", units)
    first = run.results.filter(selected=True).order_by("position").first()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for day in (dt.date(run.year - 1, 12, 31), tomorrow):
        with pytest.raises(ValidationFailed) as refused:
            actions.award_without_vote(candidate=first, on=day)
        assert [e.field for e in refused.value.errors] == ["awarded_on"]
    assert not Award.objects.exists()
    judge = ("run_evaluation", "--pack", "caps", "--title", "ranked", "--scope", run.scope.code)
    runs = EvaluationRun.objects.count()
    # The command judges and awards all or nothing: a day refused leaves no run behind.
    with pytest.raises(CommandError, match="dated from 2024-01-01 to today"):
        call_command(*judge, "--year", "2024", "--award", "--awarded-on", "2023-12-31")
    with pytest.raises(CommandError, match="give both"):
        call_command(*judge, "--year", "2024", "--awarded-on", "2024-12-30")
    assert EvaluationRun.objects.count() == runs and not Award.objects.exists()
    call_command(
        *judge,
        *("--year", str(run.year), "--award", "--awarded-on", f"{run.year}-12-30"),
        stdout=io.StringIO(),
    )
    assert Award.objects.count() == run.selected
    assert set(Award.objects.values_list("awarded_on", flat=True)) == {dt.date(run.year, 12, 30)}


def test_vn_grassroots_fighter_2023_cap_leaves_the_choice_to_the_head(vn_pack, units):
    """15% of 13 advanced workers = 1.95: one place; three with initiatives compete for it
    (the decree states no order), and the head of the unit awards one of them (no vote)."""
    members = [
        unit_actions.create_member(
            unit=units["W3"], full_name=f"Worker {i:02}", external_id=f"w3-{i}"
        )
        for i in range(13)
    ]
    rows(
        "evaluations",
        *[
            {"member": m.external_id, "year": "2023", "rating": "good", "months_worked": "12"}
            for m in members
        ],
    )
    advanced = Title.objects.get(pack=vn_pack.pack, code="advanced_worker")
    run = actions.run_evaluation(title=advanced, year=2023, scope=units["W3"])
    assert len([actions.award_without_vote(candidate=c) for c in run.results.all()]) == 13
    rows(
        "initiatives",
        {"member": "w3-0", "title": "A", "scope": "grassroots", "recognised_on": "2023-04-01"},
        {"member": "w3-1", "title": "B", "scope": "provincial", "recognised_on": "2023-05-01"},
        {"member": "w3-2", "title": "C", "scope": "grassroots", "recognised_on": "2023-06-01"},
    )
    fighter = Title.objects.get(pack=vn_pack.pack, code="grassroots_fighter")
    run = actions.run_evaluation(title=fighter, year=2023, scope=units["W3"])
    assert (run.rule_version, run.eligible, run.selected) == ("R2017", 3, 0)
    assert run.cap_summary[0]["text"] == "15% of 13 advanced workers = 1.95, rounded down: 1"
    competing = run.results.filter(eligible=True).select_related("member")
    assert {c.member.external_id for c in competing if c.competing_for == 1} == {
        "w3-0",
        "w3-1",
        "w3-2",
    }
    # the head's choice need not be the widest initiative: no order is stated
    chosen = competing.get(member__external_id="w3-2")
    api = bearer(factories.UserFactory(username="head", is_superuser=True))
    response = post(api, f"/api/v1/titles/candidates/{chosen.pk}/award")
    assert response.status_code == 201, response.content
    refused = problem(
        post(
            api, f"/api/v1/titles/candidates/{competing.get(member__external_id='w3-1').pk}/award"
        ),
        409,
    )
    assert (
        "15% of 13 advanced workers = 1.95, rounded down: 1 place, 1 already awarded"
        in (refused["detail"])
    )
    with pytest.raises(StateError, match="No place left for Worker 00"):
        actions.award_without_vote(candidate=competing.get(member__external_id="w3-0"))


def test_the_api_and_the_run_page_show_those_competing(
    twenty, units, council, client, django_assert_num_queries
):
    user = factories.UserFactory(username="operator", is_superuser=True)
    api = bearer(user)
    response = post(
        api, "/api/v1/titles/runs", {"pack": "caps", "title": "shock", "year": 2024, "scope": "W3"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    (cap,) = body["cap"]
    assert (cap["competing"], cap["allowed"], cap["eligible"], cap["selected"]) == (True, 3, 4, 0)
    listed = api.get(f"/api/v1/titles/runs/{body['id']}/candidates?show=eligible").json()
    assert [c["competing_for"] for c in listed] == [3, 3, 3, 3]

    client.force_login(user)
    client.get(f"/titles/runs/{body['id']}/")  # parse the pack once
    with django_assert_num_queries(7):  # as for any run (test_views)
        page = client.get(f"/titles/runs/{body['id']}/").content.decode()
    assert "4 eligible competing for 3 places" in page
    assert page.count("competing for 3 places</span>") == 4
    assert "Nominate the 4 competing for places to the council" in page

    candidate = listed[0]["id"]
    detail = client.get(f"/titles/candidates/{candidate}/").content.decode()
    assert "competing for 3 places" in detail and "15% of 20 rated workers = 3" in detail
    assert "Nominate to the council" in detail
    response = client.post(f"/titles/runs/{body['id']}/nominate/", {"candidate": candidate})
    assert response.status_code == 302
    from pacesetter.titles.models import Nomination

    # the one chosen on its page is nominated, the others stay competing
    assert list(Nomination.objects.values_list("candidate_id", flat=True)) == [candidate]
    assert (
        "Nominate to the council"
        not in client.get(f"/titles/candidates/{candidate}/").content.decode()
    )
