"""The production-movement pack: Chollima workteam (every month overfulfilled on verified
figures, a share of members with individual titles, renewable) and model unit (first of its
block) — at their boundaries, and once end to end on the ledger's figures."""

from __future__ import annotations

import datetime as dt

import pytest

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from pacesetter.titles import actions
from pacesetter.titles.models import Award, Title
from pacesetter.units import actions as unit_actions
from tests import factories

from .fakes import Person, judge

CHOLLIMA_FACTS = {"all_verified(indicator=output)": True, "internal_unity": True}


def workteam(monthly, *, innovators=3, members=10, **facts) -> Person:
    people = [
        Person(f"m{i}", held={"labour_innovator": {2025}} if i < innovators else {})
        for i in range(members)
    ]
    return Person(
        "team",
        facts={**CHOLLIMA_FACTS, **facts},
        members=people,
        monthly={"plan_fulfilment": monthly},
    )


@pytest.mark.parametrize(
    ("december", "eligible"),
    [(100, False), (100.1, True), (None, False)],
    ids=["at-100", "just-over", "unreported"],
)
def test_chollima_needs_every_month_over_the_plan(december, eligible):
    outcome = judge("production", "chollima_workteam", workteam([110] * 11 + [december]), 2025)
    assert outcome.eligible is eligible
    if december == 100:
        assert outcome.why_not() == [
            "overfulfilled the plan in every month, on verified figures: 1 of 12 months not met; "
            "month 12: needs > 100 (strictly), has 100: 0 short"
        ]


def test_chollima_needs_every_figure_verified():
    outcome = judge(
        "production",
        "chollima_workteam",
        workteam([110] * 12, **{"all_verified(indicator=output)": False}),
        2025,
    )
    assert outcome.why_not() == [
        "every report of the year verified: needs all_verified(indicator=output) == yes, has no"
    ]


@pytest.mark.parametrize(("innovators", "eligible"), [(3, True), (2, False)])
def test_chollima_member_share_at_30_percent(innovators, eligible):
    outcome = judge(
        "production", "chollima_workteam", workteam([110] * 12, innovators=innovators), 2025
    )
    assert outcome.eligible is eligible


@pytest.mark.parametrize(
    ("rank", "fulfilment", "eligible"), [(1, 100, True), (1, 99.9, False), (2, 150, False)]
)
def test_model_unit_is_the_first_of_its_block(rank, fulfilment, eligible):
    unit = Person(
        "unit",
        facts={
            "rank_in_block(block=workteams, figures=verified, indicator=output)": rank,
            "plan_fulfilment(figures=verified, indicator=output)": fulfilment,
        },
    )
    assert judge("production", "model_unit", unit, 2025).eligible is eligible


@pytest.mark.parametrize(
    ("facts", "eligible"),
    [
        ({"rating": "good", "initiative_scope": "unit"}, True),
        ({"rating": "good"}, False),
        ({"rating": "completed", "initiative_scope": "national"}, False),
        ({"rating": "excellent", "initiative_scope": "unit", "discipline_level": "warning"}, False),
        (
            {"rating": "excellent", "initiative_scope": "unit", "discipline_level": "reprimand"},
            True,
        ),
    ],
)
def test_labour_innovator(facts, eligible):
    assert (
        judge("production", "labour_innovator", Person("p", facts=facts), 2025).eligible is eligible
    )


# --- end to end on the ledger -----------------------------------------------------------------


@pytest.fixture
def production(units, production_pack):
    for code in ("T1", "T2", "T3"):
        units[code] = factories.unit(code, units["C1"], kind="workteam")
    movement = factories.movement(
        units["KP"],
        slug="production-2025",
        indicators=({"code": "output", "name": "Output", "unit_of_measure": "t"},),
        monthly=True,
    )
    months = [p.name for p in movement.periods.filter(is_whole=False).order_by("starts_on")]
    movement_actions.set_plans(
        movement=movement,
        rows=[
            movement_actions.PlanRow(code, "output", "100", period=m)
            for code in ("T1", "T2", "T3")
            for m in months
        ]
        + [movement_actions.PlanRow(code, "output", "1200") for code in ("T1", "T2", "T3")],
    )
    # T1: 101 t every month, verified. T2: 100 t in December (plan met, not overfulfilled).
    # T3: 120 t every month but December's report is unverified.
    for code, december, verified_december in (
        ("T1", "101", True),
        ("T2", "100", True),
        ("T3", "120", False),
    ):
        monthly = "120" if code == "T3" else "101"
        rows = [
            ReportRow(unit=code, indicator="output", day=f"2025-{m:02}-15", quantity=monthly)
            for m in range(1, 12)
        ]
        record_reports(movement=movement, rows=rows, source="api", verified=True)
        record_reports(
            movement=movement,
            rows=[ReportRow(unit=code, indicator="output", day="2025-12-15", quantity=december)],
            source="api",
            verified=verified_december,
        )
    unit_actions.create_block(
        code="workteams", name="Workteams", units=[units[c] for c in ("T1", "T2", "T3")]
    )
    for code in ("T1", "T2", "T3"):
        for i in range(3):
            unit_actions.create_member(
                unit=units[code], full_name=f"{code} worker {i}", external_id=f"{code}-{i}"
            )
    actions.record_facts(
        kind="evaluations",
        rows=[
            {"member": f"{c}-{i}", "year": "2025", "rating": "good"}
            for c in ("T1", "T2", "T3")
            for i in range(3)
        ],
        source="evaluations.csv",
    )
    actions.record_facts(
        kind="initiatives",
        rows=[
            {
                "member": f"{c}-0",
                "title": "Faster casting",
                "scope": "unit",
                "recognised_on": "2025-05-01",
            }
            for c in ("T1", "T2", "T3")
        ],
        source="initiatives.csv",
    )
    actions.record_facts(
        kind="judgements",
        rows=[
            {"unit": c, "year": "2025", "name": "internal_unity", "value": "yes"}
            for c in ("T1", "T2", "T3")
        ],
        source="council minutes",
    )
    return movement


def title(pack, code):
    return Title.objects.get(pack=pack.pack, code=code)


def test_chollima_and_model_unit_on_the_ledger(production, production_pack, units):
    innovators = actions.run_evaluation(
        title=title(production_pack, "labour_innovator"), year=2025, scope=units["KP"]
    )
    assert innovators.eligible == 3
    for candidate in innovators.results.filter(selected=True):
        actions.award_without_vote(candidate=candidate)

    run = actions.run_evaluation(
        title=title(production_pack, "chollima_workteam"),
        year=2025,
        scope=units["KP"],
        movement=production,
    )
    outcomes = {c.unit.code: c for c in run.results.select_related("unit")}
    assert set(outcomes) == {"T1", "T2", "T3"}  # the workteams of the scope, not its enterprises
    assert outcomes["T1"].eligible, outcomes["T1"].why_not
    assert outcomes["T2"].why_not.startswith(
        "overfulfilled the plan in every month, on verified figures: 1 of 12 months not met; "
        "December 2025: needs > 100 (strictly), has 100: 0 short"
    )
    assert (
        "every report of the year verified: needs all_verified(indicator=output) == yes, has no"
        in outcomes["T3"].why_not
    )
    months = outcomes["T1"].explanation["children"][0]["children"][0]["facts"]
    assert (
        len(months) == 12 and months[0]["period"] == "January 2025" and months[0]["value"] == "101"
    )
    assert months[0]["sources"][0]["url"] == f"/movements/{production.slug}/units/T1/"

    with pytest.raises(Exception, match="choose the movement"):
        actions.run_evaluation(
            title=title(production_pack, "chollima_workteam"), year=2025, scope=units["KP"]
        )

    model = actions.run_evaluation(
        title=title(production_pack, "model_unit"),
        year=2025,
        scope=units["KP"],
        movement=production,
    )
    # T3 leads on all figures (120 t) but December is unverified: on verified figures it is
    # 1,320 of 1,200 = 110% against T1's 101%: still first.
    chosen = {c.unit.code: c for c in model.results.select_related("unit")}
    assert chosen["T3"].eligible and not chosen["T1"].eligible
    assert "place 2 of 3 in Workteams" in str(chosen["T1"].explanation)
    assert model.cap_summary[0]["text"] == "at most 1"


def _year_of_t1(units, year: int):
    """A movement for `year` where T1 overfulfils every month on verified figures, with its
    innovators and the council's judgement recorded."""
    movement = factories.movement(
        units["KP"],
        slug=f"production-{year}",
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        indicators=({"code": "output", "name": "Output", "unit_of_measure": "t"},),
        monthly=True,
    )
    months = [p.name for p in movement.periods.filter(is_whole=False).order_by("starts_on")]
    movement_actions.set_plans(
        movement=movement,
        rows=[movement_actions.PlanRow("T1", "output", "100", period=m) for m in months],
    )
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit="T1", indicator="output", day=f"{year}-{m:02}-15", quantity="101")
            for m in range(1, 13)
        ],
        source="api",
        verified=True,
    )
    actions.record_facts(
        kind="evaluations",
        rows=[{"member": f"T1-{i}", "year": str(year), "rating": "good"} for i in range(3)],
        source="evaluations.csv",
    )
    actions.record_facts(
        kind="judgements",
        rows=[{"unit": "T1", "year": str(year), "name": "internal_unity", "value": "yes"}],
        source="minutes",
    )
    return movement


def test_double_chollima(production, production_pack, units, council):
    from pacesetter.accounts.permissions import acting_as, actor_for

    chollima = title(production_pack, "chollima_workteam")
    awarded = []
    for year, movement in ((2024, None), (2025, production)):
        movement = movement or _year_of_t1(units, year)
        actions.record_facts(
            kind="initiatives",
            rows=[
                {
                    "member": "T1-0",
                    "title": f"Idea {year}",
                    "scope": "unit",
                    "recognised_on": f"{year}-05-01",
                }
            ],
            source="initiatives.csv",
        )
        innovators = actions.run_evaluation(
            title=title(production_pack, "labour_innovator"), year=year, scope=units["T1"]
        )
        for candidate in innovators.results.filter(selected=True):
            actions.award_without_vote(candidate=candidate)
        run = actions.run_evaluation(
            title=chollima, year=year, scope=units["T1"], movement=movement
        )
        (nomination,) = actions.nominate(run=run)
        for user in council[:3]:
            with acting_as(actor_for(user)):
                actions.cast_vote(nomination=nomination, choice="yes")
        actions.decide(nomination=nomination)  # 3 of 5 = 60% > 50%
        awarded.append(Award.objects.get(title=chollima, year=year))
    first, second = awarded
    assert (first.times, first.title_name) == (1, "Chollima workteam")
    assert first.vote_result == "3 yes of all 5 council members = 60.0%, needs > 50%: carried"
    assert (second.times, second.title_name) == (2, "Double Chollima workteam")
