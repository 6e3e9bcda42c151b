"""The movements of the accounts loaded by demo24a: each one's headline figure, exactly."""

import datetime as dt

from pacesetter.demo.accounts import ACCOUNTS
from pacesetter.demo.drives import run_command
from pacesetter.ledger.models import ReportFlag
from pacesetter.movements.models import Movement
from pacesetter.titles import selectors
from pacesetter.titles.history import require_final
from pacesetter.titles.models import Award, AwardDecision, EvaluationRun

from .conftest import figure

MODEL_COUNTY = "model-county-afforestation-1999"


def test_model_county(load_movements):
    loaded = load_movements(MODEL_COUNTY)
    assert loaded.created == [MODEL_COUNTY]
    # Loaded long after its days, with the late flag off (its setup file): nothing is late.
    assert not ReportFlag.objects.filter(kind="late").exists()
    assert Movement.objects.get(slug=MODEL_COUNTY).status == Movement.Status.CLOSED
    # the headline: the province's trees planted against the counties' plans
    trees = figure(MODEL_COUNTY, "KP-NP", "trees")
    assert (trees["actual"], trees["planned"], trees["fulfilment"]) == (
        "2345000",
        "2400000",
        "97.7",
    )
    assert figure(MODEL_COUNTY, "KP-NP-PYOKDONG", "survival")["fulfilment"] == "96.5"
    run = EvaluationRun.objects.get(title__code="model_county")
    assert (run.candidates, run.eligible, run.selected) == (5, 2, 2)
    assert sorted(
        Award.objects.filter(title__code="model_county").values_list("unit__code", flat=True)
    ) == ["KP-NP-CHANGSONG", "KP-NP-SAKJU"]
    assert all(a.is_final for a in Award.objects.filter(title__code="model_county"))
    # the counties that were close: each missed one of the four conditions
    close = selectors.candidates_of(run, show="close")
    assert [(c.unit.code, c.conditions_met, c.conditions) for c in close] == [
        ("KP-NP-PYOKDONG", 3, 4),
        ("KP-NP-UNSAN", 3, 4),
    ]
    assert "survival rate" in close[0].why_not
    # loading again changes nothing
    assert load_movements(MODEL_COUNTY).existing == [MODEL_COUNTY]


RED_FLAG = "three-revolution-red-flag-1978"


def test_three_revolution_red_flag(load_movements):
    assert load_movements(RED_FLAG).created == [RED_FLAG]
    grain = figure(RED_FLAG, "KP-SH-ANAK", "grain")
    assert (grain["actual"], grain["planned"], grain["fulfilment"]) == ("12690", "12600", "100.7")
    run = EvaluationRun.objects.get(title__code="red_flag")
    assert (run.candidates, run.eligible, run.selected) == (4, 2, 2)
    # the flags of 1978, named by how many times each farm has held it (1976–77 imported)
    awards = {
        a.unit.code: (a.times, a.title_name)
        for a in Award.objects.filter(title__code="red_flag", year=1978).select_related("unit")
    }
    assert awards == {
        "KP-SH-ANAK-WOLJI": (3, "Three-Revolution Red Flag, three times"),
        "KP-SH-ANAK-TAECHU": (2, "Three-Revolution Red Flag, twice"),
    }
    # final: the county committee's decisions (decisions.csv) are recorded, certificates issue
    made = Award.objects.filter(title__code="red_flag", year=1978).select_related("decision")
    assert sorted((a.unit.code, a.decision.number) for a in made) == [
        ("KP-SH-ANAK-TAECHU", "78/3R-12"),
        ("KP-SH-ANAK-WOLJI", "78/3R-11"),
    ]
    for award in made:
        require_final(award)
        # awarded at the judged year's end (--awarded-on), decided in the January after
        assert (award.awarded_on, award.decision.decided_on) == (
            dt.date(1978, 12, 28),
            dt.date(1979, 1, 10),
        )
    # each group is explained on its own: Okkye-ri met production and technique, not culture
    okkye = run.results.get(unit__code="KP-SH-ANAK-OKKYE")
    groups = okkye.explanation["children"][0]["children"]
    assert [(g["label"].split(" ")[0], g["passed"]) for g in groups] == [
        ("Ideological", True),
        ("Technical", True),
        ("Cultural", False),
    ]
    assert (okkye.conditions, okkye.conditions_missed) == (6, 1)
    close = selectors.candidates_of(run, show="close")
    assert [c.unit.code for c in close] == ["KP-SH-ANAK-OKKYE", "KP-SH-ANAK-RYONGSUN"]
    # loading again changes nothing
    decisions = list(AwardDecision.objects.values_list("pk", "award_id", "number"))
    assert load_movements(RED_FLAG).existing == [RED_FLAG]
    # nor does its decisions step run again (a load that broke off after it runs it again)
    again = run_command(
        "import_decisions",
        str(ACCOUNTS / "11-three-revolution-red-flag" / "decisions.csv"),
        "--pack",
        "three-revolutions",
    )
    assert "recorded 0 decisions; 2 already recorded." in again
    assert list(AwardDecision.objects.values_list("pk", "award_id", "number")) == decisions
    assert Award.objects.filter(title__code="red_flag").count() == 5


INNOVATION = "model-innovation-unit-1985"


def test_model_technical_innovation_unit(load_movements):
    assert load_movements(INNOVATION).created == [INNOVATION]
    works = figure(INNOVATION, "KP-CG-HMT", "machine-tools")
    assert (works["actual"], works["planned"], works["fulfilment"]) == ("1617", "1600", "101.1")
    run = EvaluationRun.objects.get(title__code="model_innovation_unit")
    assert (run.candidates, run.eligible, run.selected) == (4, 2, 2)
    outcomes = {c.unit.code: c for c in run.results.select_related("unit")}
    assert {code for code, c in outcomes.items() if c.selected} == {
        "KP-CG-HMT-MACH",
        "KP-CG-HMT-FNDY",
    }
    assert all(a.is_final for a in Award.objects.filter(title__code="model_innovation_unit"))
    machining = outcomes["KP-CG-HMT-MACH"].explanation["children"][0]["children"]
    assert machining[1]["facts"][0]["value"] == "0.8"  # 6 innovations of 8 members
    assert machining[1]["facts"][0]["sources"][0]["label"] == (
        "6 initiatives of 8 members; 4 of them recognised for one or more"
    )
    assert machining[2]["facts"][0]["value"] == "4 of 8 (50.0%)"
    # the tool workshop: 3 innovations of 6 members, all by one of them
    tool = outcomes["KP-CG-HMT-TOOL"]
    assert (tool.conditions, tool.conditions_missed) == (3, 1)
    assert "needs >= 30% of 6 members, i.e. at least 2; has 1 of 6 (16.7%)" in tool.why_not


LEARNING = "learning-after-a-model-1998"


def test_learning_after_a_model_collective(load_movements):
    from decimal import ROUND_HALF_UP, Decimal

    from pacesetter.experience import selectors as experience

    assert load_movements(LEARNING).created == [LEARNING]
    parts = figure(LEARNING, "KP-CG", "parts")
    assert (parts["actual"], parts["planned"], parts["fulfilment"]) == ("40503", "38500", "105.2")
    movement = Movement.objects.get(slug=LEARNING)
    practices = {p.title: p for p in experience.practices_of(movement)}
    jigs = practices["Every jig and fixture made in the factory's own tool shop"]
    assert (jigs.unit.code, jigs.adopted_by) == ("KP-CG-KUNJA", 3)
    effect = experience.effects_of(list(practices.values()))
    lifted = effect[jigs.pk]
    assert (lifted.adopters, lifted.comparison, lifted.enough) == (3, 3, True)
    # the adopters' daily rate rose by 20.6 parts a day more than the others'
    assert lifted.difference.quantize(Decimal("0.1"), ROUND_HALF_UP) == Decimal("20.6")
    # one adopter is too few to compare: the page says so rather than guess
    assert not effect[practices["Machines serviced between shifts, not when they break"].pk].enough
