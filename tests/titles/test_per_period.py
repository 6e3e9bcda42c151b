"""Titles judged per period: a run for one period of the movement, facts of that period from
the ledger's aggregates, awards that record their period and count renewals in the periods'
order, and `every: period` in a yearly title — through the actions, the API and the pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pacesetter.core.errors import ValidationFailed
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from pacesetter.movements.models import Movement
from pacesetter.titles import actions
from pacesetter.titles.history import record_decision
from pacesetter.titles.models import Title
from pacesetter.units import actions as unit_actions
from tests import factories
from tests.api.conftest import post, problem

pytestmark = pytest.mark.django_db

PACK = """\
pack: weekly
name: Weekly titles
titles:
  - code: team_of_the_week
    name: Team of the week
    subject: unit
    judged: per_week
    renewal_names:
      2: Double team of the week
      3: Triple team of the week
    versions:
      - id: v1
        valid_from: 2020-01-01
        requires:
          - fact: plan_fulfilment
            indicator: output
            op: ">="
            value: 110
  - code: best_of_the_week
    name: Best team of the week
    subject: unit
    judged: per_period
    versions:
      - id: v1
        valid_from: 2020-01-01
        requires:
          - fact: rank_in_block
            block: teams
            indicator: output
            op: "=="
            value: 1
          - fact: all_verified
            indicator: output
            op: "=="
            value: true
  - code: steady_team
    name: Steady team
    subject: unit
    versions:
      - id: v1
        valid_from: 2020-01-01
        requires:
          - fact: plan_fulfilment
            indicator: output
            every: period
            op: ">="
            value: 100
"""

WEEKS = [(f"week {i + 1}", dt.date(2026, 3, 2) + dt.timedelta(days=7 * i)) for i in range(4)]
# W1 ("team A"): 120%, 90% (unverified), 120%, 100% of its weekly plan of 100 t; W2: 100% each.
FIGURES = {"W1": ("120", "90", "120", "100"), "W2": ("100", "105", "100", "100")}


@pytest.fixture
def weekly(units):
    movement = factories.movement(
        units["KP"],
        slug="weekly-2026",
        starts_on=dt.date(2026, 3, 2),
        ends_on=dt.date(2026, 3, 29),
        indicators=({"code": "output", "name": "Output", "unit_of_measure": "t"},),
        launch=False,
    )
    for name, monday in WEEKS:
        movement_actions.add_period(
            movement=movement, name=name, starts_on=monday, ends_on=monday + dt.timedelta(days=6)
        )
    movement_actions.set_plans(
        movement=movement,
        rows=[
            movement_actions.PlanRow(code, "output", "100", period=name)
            for code in FIGURES
            for name, _ in WEEKS
        ],
    )
    movement = movement_actions.launch_movement(movement=movement)
    for code, weekly_figures in FIGURES.items():
        for (_name, monday), quantity in zip(WEEKS, weekly_figures, strict=True):
            record_reports(
                movement=movement,
                rows=[
                    ReportRow(
                        unit=code,
                        indicator="output",
                        day=(monday + dt.timedelta(days=2)).isoformat(),
                        quantity=quantity,
                    )
                ],
                source="api",
                verified=not (code == "W1" and quantity == "90"),
            )
    unit_actions.create_block(code="teams", name="Teams", units=[units["W1"], units["W2"]])
    return movement


@pytest.fixture
def pack(db):
    return actions.load_pack(text=PACK)


def title(code: str) -> Title:
    return Title.objects.get(pack__slug="weekly", code=code)


def week(movement, name: str):
    return movement.periods.get(name=name)


def run_week(movement, units, name: str, code: str = "team_of_the_week"):
    return actions.run_evaluation(
        title=title(code), scope=units["C1"], movement=movement, period=week(movement, name)
    )


def test_team_of_the_week_is_awarded_in_the_weeks_it_reached_110_percent(pack, weekly, units):
    awards = []
    for name, _ in WEEKS:
        run = run_week(weekly, units, name)
        assert run.period == week(weekly, name) and run.year == 2026
        selected = {c.unit.code for c in run.results.filter(selected=True).select_related("unit")}
        assert selected == ({"W1"} if name in ("week 1", "week 3") else set()), name
        awards += [
            actions.award_without_vote(candidate=c) for c in run.results.filter(selected=True)
        ]
    first, second = awards
    assert (first.unit.code, first.period.name, first.times, first.title_name) == (
        "W1",
        "week 1",
        1,
        "Team of the week",
    )
    assert (second.unit.code, second.period.name, second.times, second.title_name) == (
        "W1",
        "week 3",
        2,
        "Double team of the week",
    )
    assert second.year == 2026


def test_the_explanation_names_the_week(pack, weekly, units):
    run = run_week(weekly, units, "week 2")
    team_a = run.results.get(unit=units["W1"])
    assert team_a.why_not == (
        "in week 2 (9–15 Mar): plan_fulfilment(indicator=output) >= 110: "
        "needs >= 110, has 90: 20 short"
    )
    run = run_week(weekly, units, "week 3")
    tree = run.results.get(unit=units["W1"]).explanation
    assert tree["label"] == "v1 · week 3 (16–22 Mar)"
    (condition,) = tree["children"][0]["children"]
    assert condition["label"] == "in week 3 (16–22 Mar): plan_fulfilment(indicator=output) >= 110"
    assert condition["facts"][0]["value"] == "120"
    assert condition["facts"][0]["sources"][0]["label"].startswith("Output, week 3: 120 t")


def test_rank_and_verification_are_the_periods(pack, weekly, units):
    # week 2: W2 leads (105% against 90%) and every one of its reports is verified
    run = run_week(weekly, units, "week 2", "best_of_the_week")
    outcomes = {c.unit.code: c for c in run.results.select_related("unit")}
    assert outcomes["W2"].selected and not outcomes["W1"].eligible
    assert "place 2 of 2 in Teams (90.0% on Output)" in json.dumps(
        outcomes["W1"].explanation, ensure_ascii=False
    )
    assert "all_verified(indicator=output) == yes, has no" in outcomes["W1"].why_not
    # week 1: W1 leads with 120%, its report verified
    run = run_week(weekly, units, "week 1", "best_of_the_week")
    assert {c.unit.code for c in run.results.filter(selected=True).select_related("unit")} == {"W1"}


def test_a_unit_holds_the_title_once_per_period(pack, weekly, units):
    (candidate,) = run_week(weekly, units, "week 1").results.filter(selected=True)
    actions.award_without_vote(candidate=candidate)
    (again,) = run_week(weekly, units, "week 1").results.filter(selected=True)
    with pytest.raises(Exception, match=r"already holds Team of the week for week 1 \(2–8 Mar\)"):
        actions.award_without_vote(candidate=again)


def test_the_period_is_required_and_must_fit(pack, weekly, units):
    with pytest.raises(ValidationFailed, match="judged for each period") as caught:
        actions.run_evaluation(
            title=title("team_of_the_week"), year=2026, scope=units["C1"], movement=weekly
        )
    assert caught.value.errors[0].field == "period"
    whole = weekly.periods.get(is_whole=True)
    with pytest.raises(ValidationFailed, match="not one of its periods"):
        actions.run_evaluation(
            title=title("team_of_the_week"), scope=units["C1"], movement=weekly, period=whole
        )
    with pytest.raises(ValidationFailed, match="week 1 ends in 2026, not 2025") as caught:
        actions.run_evaluation(
            title=title("team_of_the_week"),
            year=2025,
            scope=units["C1"],
            movement=weekly,
            period=week(weekly, "week 1"),
        )
    assert caught.value.errors[0].field == "year"
    with pytest.raises(ValidationFailed, match="judged per year: choose the year"):
        actions.run_evaluation(title=title("steady_team"), scope=units["C1"], movement=weekly)
    with pytest.raises(ValidationFailed, match="judged per year, not per period"):
        actions.run_evaluation(
            title=title("steady_team"),
            scope=units["C1"],
            movement=weekly,
            period=week(weekly, "week 1"),
        )


def test_a_calendar_week_title_refuses_a_period_that_is_not_a_week(pack, units):
    movement = factories.movement(
        units["KP"],
        slug="monthly-2026",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        indicators=({"code": "output", "name": "Output", "unit_of_measure": "t"},),
        monthly=True,
    )
    march = movement.periods.get(starts_on=dt.date(2026, 3, 1), is_whole=False)
    with pytest.raises(ValidationFailed, match="judged per calendar week"):
        actions.run_evaluation(
            title=title("team_of_the_week"), scope=units["C1"], movement=movement, period=march
        )
    # a title judged per period takes a month as well as a week
    run = actions.run_evaluation(
        title=title("best_of_the_week"), scope=units["C1"], movement=movement, period=march
    )
    assert run.period == march


def test_every_period_in_a_yearly_title(pack, weekly, units):
    run = actions.run_evaluation(
        title=title("steady_team"), year=2026, scope=units["C1"], movement=weekly
    )
    outcomes = {c.unit.code: c for c in run.results.select_related("unit")}
    assert run.period is None
    assert outcomes["W2"].eligible
    assert outcomes["W1"].why_not == (
        "plan_fulfilment(every=period, indicator=output) >= 100: 1 of 4 periods not met; "
        "week 2: needs >= 100, has 90: 10 short"
    )
    periods = outcomes["W2"].explanation["children"][0]["children"][0]["facts"]
    assert [p["period"] for p in periods] == ["week 1", "week 2", "week 3", "week 4"]


def test_the_shipped_team_of_the_month(production_pack, units):
    """production.yaml's per-month title, on a movement with monthly plans."""
    team = factories.unit("T1", units["C1"], kind="workteam")
    movement = factories.movement(
        units["KP"],
        slug="production-2026",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        indicators=({"code": "output", "name": "Output", "unit_of_measure": "t"},),
        monthly=True,
    )
    months = movement.periods.filter(is_whole=False).order_by("starts_on")
    march, april = months[2], months[3]
    movement_actions.set_plans(
        movement=movement,
        rows=[movement_actions.PlanRow("T1", "output", "1000", period=p.name) for p in months],
    )
    for day, quantity in (("2026-03-10", "1100"), ("2026-04-10", "1099")):
        record_reports(
            movement=movement,
            rows=[ReportRow(unit="T1", indicator="output", day=day, quantity=quantity)],
            source="api",
            verified=True,
        )
    team_of_the_month = Title.objects.get(pack=production_pack.pack, code="team_of_the_month")
    judged = {}
    for month in (march, april):
        run = actions.run_evaluation(
            title=team_of_the_month, scope=units["KP"], movement=movement, period=month
        )
        (candidate,) = run.results.all()  # the workteams of the scope only
        assert candidate.unit == team
        judged[month.name] = candidate.selected
    assert judged == {march.name: True, april.name: False}


# --- the API -------------------------------------------------------------------------------------


@pytest.fixture
def api(client):
    client.force_login(factories.UserFactory(username="operator", is_superuser=True))
    return client


def test_the_api_runs_a_title_for_a_period(api, pack, weekly, units):
    body = {"pack": "weekly", "title": "team_of_the_week", "scope": "C1", "movement": weekly.slug}
    refused = problem(post(api, "/api/v1/titles/runs", body), 422)
    assert refused["errors"][0]["field"] == "period"
    unknown = problem(post(api, "/api/v1/titles/runs", {**body, "period": "week 9"}), 422)
    assert unknown["errors"][0]["field"] == "period"
    assert "No period 'week 9'" in unknown["errors"][0]["message"]
    response = post(api, "/api/v1/titles/runs", {**body, "period": "week 3"})
    assert response.status_code == 201, response.content
    run = json.loads(response.content)
    assert (run["period"], run["year"], run["selected"]) == ("week 3 (16–22 Mar)", 2026, 1)
    assert json.loads(api.get(f"/api/v1/titles/runs/{run['id']}").content)["period"] == (
        "week 3 (16–22 Mar)"
    )
    awarded = post(api, f"/api/v1/titles/runs/{run['id']}/awards")
    assert awarded.status_code == 201, awarded.content
    (code,) = json.loads(awarded.content)
    verified = json.loads(api.get(f"/api/v1/titles/verify/{code}").content)
    assert (verified["title"], verified["period"]) == ("Team of the week", "week 3 (16–22 Mar)")
    yearly = {"pack": "weekly", "title": "steady_team", "scope": "C1", "movement": weekly.slug}
    refused = problem(post(api, "/api/v1/titles/runs", {**yearly, "period": "week 1"}), 422)
    assert "judged per year, not per period" in refused["detail"]
    response = post(api, "/api/v1/titles/runs", {**yearly, "year": 2026})
    assert response.status_code == 201 and json.loads(response.content)["period"] is None


# --- the pages -----------------------------------------------------------------------------------


def test_the_title_page_runs_a_title_for_a_period(
    api, pack, weekly, units, django_assert_num_queries
):
    page = api.get("/titles/packs/weekly/team_of_the_week/").content.decode()
    assert 'name="period"' in page and 'name="year"' not in page
    assert "judged for each calendar week" in page
    response = api.post(
        "/titles/packs/weekly/team_of_the_week/",
        {"scope": "C1", "movement": weekly.slug, "period": "week 9"},
    )
    assert "No period &#x27;week 9&#x27; in this movement." in response.content.decode()
    response = api.post(
        "/titles/packs/weekly/team_of_the_week/",
        {"scope": "C1", "movement": weekly.slug, "period": "week 1"},
    )
    assert response.status_code == 302
    run_page = api.get(response["Location"]).content.decode()
    assert "Team of the week · week 1 (2–8 Mar) · Unit C1" in run_page
    run = title("team_of_the_week").runs.get()
    for candidate in run.results.select_related("unit"):  # units: named once, by their link
        assert f">{candidate.unit}</a></td><td></td>" in run_page
    (award,) = [actions.award_without_vote(candidate=c) for c in run.results.filter(selected=True)]
    yearly = api.get("/titles/packs/weekly/steady_team/").content.decode()
    assert 'name="year"' in yearly and 'name="period"' not in yearly
    api.get(f"/titles/runs/{run.pk}/")  # parse the pack once
    for url, queries in (
        (f"/titles/runs/{run.pk}/", 7),  # run with its period, nominations, votes, candidates
        (f"/titles/awards/{award.pk}/", 5),  # award with its period, revocation, caused
        ("/titles/packs/weekly/team_of_the_week/", 5),  # title, runs and awards with periods
    ):
        with django_assert_num_queries(queries):
            page = api.get(url).content.decode()
        assert "week 1 (2–8 Mar)" in page, url
    with django_assert_num_queries(1):
        page = api.__class__().get(f"/verify/{award.code}").content.decode()
    assert "week 1 (2–8 Mar)" in page
    # The certificate is issued once the awarding body's decision makes the award final.
    decision = {
        "number": "7/2026",
        "decided_on": award.awarded_on.isoformat(),
        "awarding_body": "The committee",
        "signer_name": "A. Chair",
        "signer_position": "Chair",
    }
    recorded = post(api, f"/api/v1/titles/awards/{award.code}/decision", decision)
    assert recorded.status_code == 201, recorded.content
    certificate = api.get(f"/titles/awards/{award.pk}/certificate.pdf")
    assert certificate.status_code == 200


def test_a_period_run_reads_the_ledger_in_a_fixed_number_of_queries(pack, weekly, units):
    """The period's figures come from the per-period aggregates, read once for all the
    candidates: judging three units costs the queries of judging one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for scope in ("W1", "C1"):
        with CaptureQueriesContext(connection) as captured:
            run = actions.run_evaluation(
                title=title("best_of_the_week"),
                scope=units[scope],
                movement=weekly,
                period=week(weekly, "week 3"),
            )
        counts[scope] = (run.candidates, len(captured))
    assert counts["W1"][0] == 1 and counts["C1"][0] == 3
    assert counts["W1"][1] == counts["C1"][1], counts


def test_a_period_named_with_its_days_is_not_given_them_twice():
    """Generated periods carry their days in their names ("Week 1 (3–9 Mar)"): runs,
    explanations and awards name such a period once; a period named without them gets them."""
    from pacesetter.movements.models import Period
    from pacesetter.titles.facts import period_text

    days = {"starts_on": dt.date(2025, 3, 3), "ends_on": dt.date(2025, 3, 9)}
    assert period_text(Period(name="Week 1 (3–9 Mar)", **days)) == "Week 1 (3–9 Mar)"
    assert period_text(Period(name="week 1", **days)) == "week 1 (3–9 Mar)"
    across = {"starts_on": dt.date(2025, 12, 29), "ends_on": dt.date(2026, 1, 4)}
    named = "Week 5 (29 Dec 2025–4 Jan 2026)"
    assert period_text(Period(name=named, **across)) == named


def test_an_award_and_its_decision_are_dated_in_the_movements_time_zone(
    pack, weekly, units, monkeypatch
):
    """At 23:30 UTC on 28 March it is already 29 March in Pyongyang: the award made then is
    dated the 29th, and a decision signed there that day is not "in the future"."""
    from django.utils import timezone

    Movement.objects.filter(pk=weekly.pk).update(time_zone="Asia/Pyongyang")
    weekly.refresh_from_db()
    run = run_week(weekly, units, "week 1")
    late = dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late)
    (candidate,) = run.results.filter(selected=True)
    award = actions.award_without_vote(candidate=candidate)
    assert award.awarded_on == dt.date(2026, 3, 29)
    decision = record_decision(
        award=award,
        number="1/2026",
        decided_on=dt.date(2026, 3, 29),
        awarding_body="The contest council",
        signer_name="A. Chair",
        signer_position="Chair",
    )
    assert decision.decided_on == dt.date(2026, 3, 29)
