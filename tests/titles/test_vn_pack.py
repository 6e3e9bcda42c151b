"""Vietnam's Law on Emulation and Commendation pack: every rule at its boundaries, in both
regimes (R2017 until 31 Dec 2023, R2024 from 1 Jan 2024)."""

from __future__ import annotations

import pytest

from .fakes import Person, judge

GOOD_2024 = {"rating": "good", "months_worked": 12, "self_reliance_and_solidarity": True}


def worker(name="w", **facts) -> Person:
    return Person(name, facts={**GOOD_2024, **facts})


# --- advanced worker ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "months", "eligible"),
    [(2024, 6, True), (2024, 5.9, False), (2023, 10, True), (2023, 9.9, False), (2025, 6, True)],
)
def test_advanced_worker_new_hire_months(year, months, eligible):
    outcome = judge("vn-emulation", "advanced_worker", worker(months_worked=months), year)
    assert outcome.eligible is eligible
    if not eligible:
        limit = 6 if year >= 2024 else 10
        assert outcome.why_not() == [
            f"excluded: newly recruited, under {limit} months "
            f"(months_worked is {months}, 0.1 short of {limit})"
        ]


@pytest.mark.parametrize(
    ("rating", "eligible"), [("good", True), ("excellent", True), ("completed", False)]
)
def test_advanced_worker_rating(rating, eligible):
    outcome = judge("vn-emulation", "advanced_worker", worker(rating=rating), 2024)
    assert outcome.eligible is eligible
    if not eligible:
        assert outcome.why_not() == [
            'rated "completed tasks well" or better: needs rating >= good, has completed'
        ]


def test_advanced_worker_judgement_is_a_recorded_fact_not_a_guess():
    outcome = judge(
        "vn-emulation", "advanced_worker", worker(self_reliance_and_solidarity=None), 2024
    )
    assert not outcome.eligible
    assert "self-reliance, solidarity and active emulation (recorded)" in outcome.why_not()[0]
    # R2017 has no such condition
    assert judge(
        "vn-emulation", "advanced_worker", worker(self_reliance_and_solidarity=None), 2023
    ).eligible


@pytest.mark.parametrize("year", [2023, 2025])
def test_a_disciplined_candidate_is_excluded(year):
    outcome = judge("vn-emulation", "advanced_worker", worker(discipline_level="reprimand"), year)
    assert not outcome.eligible
    assert "excluded" in outcome.why_not()[0]


def test_a_pending_case_excludes_from_july_2025_only():
    assert not judge(
        "vn-emulation", "advanced_worker", worker(discipline_pending=True), 2025
    ).eligible
    assert judge("vn-emulation", "advanced_worker", worker(discipline_pending=True), 2023).eligible


def test_r2024_has_no_discipline_exclusion_its_sources_do_not_give():
    # Decree 98/2023's discipline principle was not retrieved: the pack no longer carries
    # Decree 152/2025's back to 2024 (the awarding body weighs it)
    for facts in ({"discipline_level": "reprimand"}, {"discipline_pending": True}):
        assert judge("vn-emulation", "advanced_worker", worker(**facts), 2024).eligible


def test_r2025_has_no_new_hire_limit_its_sources_do_not_give():
    # Circular 15/2025/TT-BNV was not read: "under 6 months" is not carried over
    assert judge("vn-emulation", "advanced_worker", worker(months_worked=2), 2025).eligible


def test_every_version_cites_its_source_and_no_assumed_value_or_order():
    from .fakes import pack

    for rule in pack("vn-emulation").titles:
        for version in rule.versions:
            where = f"{rule.code} {version.id}"
            assert version.source, where
            assert "[U]" not in version.source, where  # an assumption is not a source
            assert version.rank_by == (), where  # the law states no order within a cap
            if version.valid_from.year >= 2025:
                assert version.vote is None, where  # Decree 152/2025's thresholds not retrieved


# --- grassroots emulation fighter -----------------------------------------------------------


def fighter(year: int, **facts) -> Person:
    return Person("f", facts={**GOOD_2024, **facts}, held={"advanced_worker": {year}})


def test_grassroots_fighter_2024_excellent_alone_suffices():
    assert judge(
        "vn-emulation", "grassroots_fighter", fighter(2024, rating="excellent"), 2024
    ).eligible
    outcome = judge("vn-emulation", "grassroots_fighter", fighter(2024, rating="good"), 2024)
    assert not outcome.eligible
    assert outcome.why_not() == [
        'rated "completed tasks excellently": needs rating == excellent, has good',
        "an initiative recognised at grassroots level: needs initiative_scope >= grassroots, has nothing recorded",
        "science_work_accepted == yes: needs science_work_accepted == yes, has nothing recorded",
        "combat_ingenuity == yes: needs combat_ingenuity == yes, has nothing recorded",
    ]


def test_grassroots_fighter_2023_needs_an_initiative():
    assert not judge(
        "vn-emulation", "grassroots_fighter", fighter(2023, rating="excellent"), 2023
    ).eligible
    assert judge(
        "vn-emulation", "grassroots_fighter", fighter(2023, initiative_scope="grassroots"), 2023
    ).eligible
    assert not judge(
        "vn-emulation", "grassroots_fighter", fighter(2023, initiative_scope="unit"), 2023
    ).eligible


def test_grassroots_fighter_requires_advanced_worker_the_same_year():
    person = Person(
        "f", facts={**GOOD_2024, "rating": "excellent"}, held={"advanced_worker": {2023}}
    )
    outcome = judge("vn-emulation", "grassroots_fighter", person, 2024)
    assert not outcome.eligible
    assert outcome.why_not() == [
        "advanced worker this year: needs 1 consecutive, has 0 ending 2024; missing: 2024"
    ]


def test_grassroots_fighter_cap_and_vote_by_regime():
    from .fakes import pack

    rule = pack("vn-emulation").title("grassroots_fighter")
    r2017, r2024, r2025 = rule.version_for(2023), rule.version_for(2024), rule.version_for(2025)
    assert r2017.cap.allowed(13) == 1  # 15% of 13 advanced workers = 1.95, floor
    assert r2017.cap.allowed(6) == 0
    assert r2017.rank_by == ()  # "not more than 15%", no order: the head of the unit chooses
    assert r2017.vote is None
    assert r2024.cap is None
    assert (r2024.vote.threshold.text(), r2024.vote.of) == (">= 80%", "all_members")
    assert (r2025.id, r2025.cap, r2025.vote) == ("R2025", None, None)


# --- ministry/provincial and national emulation fighter ------------------------------------


def provincial(years: set[int], **facts) -> Person:
    base = {"initiative_scope(years=3)": "provincial", "outstanding": True}
    return Person("p", facts={**base, **facts}, held={"grassroots_fighter": years})


def test_provincial_fighter_needs_three_consecutive_grassroots_titles():
    assert judge(
        "vn-emulation", "provincial_fighter", provincial({2022, 2023, 2024}), 2024
    ).eligible
    outcome = judge("vn-emulation", "provincial_fighter", provincial({2021, 2022, 2024}), 2024)
    assert not outcome.eligible
    assert outcome.why_not() == [
        "grassroots emulation fighter 3 years in a row: needs 3 consecutive, has 1 ending 2024; missing: 2023"
    ]


def test_provincial_fighter_initiative_scope_boundary():
    grassroots_only = provincial({2022, 2023, 2024}, **{"initiative_scope(years=3)": "grassroots"})
    outcome = judge("vn-emulation", "provincial_fighter", grassroots_only, 2024)
    assert not outcome.eligible
    assert "needs initiative_scope(years=3) >= provincial, has grassroots" in "\n".join(
        outcome.why_not()
    )


def test_national_fighter_twice_provincial_with_an_unbroken_chain():
    facts = {"initiative_scope(years=6)": "national", "outstanding": True}
    chain = set(range(2019, 2025))
    holder = Person(
        "n", facts=facts, held={"provincial_fighter": {2021, 2024}, "grassroots_fighter": chain}
    )
    assert judge("vn-emulation", "national_fighter", holder, 2024).eligible
    once = Person(
        "n", facts=facts, held={"provincial_fighter": {2024}, "grassroots_fighter": chain}
    )
    assert (
        judge("vn-emulation", "national_fighter", once, 2024)
        .why_not()[0]
        .endswith("needs 2, has 1: 1 short")
    )
    gap = Person(
        "n",
        facts=facts,
        held={"provincial_fighter": {2021, 2024}, "grassroots_fighter": chain - {2022}},
    )
    assert not judge("vn-emulation", "national_fighter", gap, 2024).eligible


# --- collectives ----------------------------------------------------------------------------


def team(
    total: int,
    advanced: int,
    *,
    year=2024,
    fighters=1,
    rating="excellent",
    member_rating="good",
    warned=0,
    **facts,
):
    members = []
    for i in range(total):
        held = {"advanced_worker": {year}} if i < advanced else {}
        if i < fighters:
            held["grassroots_fighter"] = {year}
        member_facts = {"rating": member_rating}
        if i >= total - warned:
            member_facts["discipline_level"] = "warning"
        members.append(Person(f"m{i}", facts=member_facts, held=held))
    base = {"rating": rating, "emulation_effective": True, "internal_unity": True}
    return Person("team", facts={**base, **facts}, members=members)


@pytest.mark.parametrize("year", [2023, 2024])
@pytest.mark.parametrize(("advanced", "eligible"), [(10, False), (11, True)])
def test_advanced_labour_collective_more_than_half(year, advanced, eligible):
    outcome = judge(
        "vn-emulation", "advanced_labour_collective", team(20, advanced, year=year), year
    )
    assert outcome.eligible is eligible
    if not eligible:
        assert outcome.why_not() == [
            "more than 50% of members are advanced workers: needs > 50% of 20 members, i.e. at least 11; "
            "has 10 of 20 (50.0%): 1 short"
        ]


def test_advanced_labour_collective_no_member_warned():
    outcome = judge("vn-emulation", "advanced_labour_collective", team(20, 15, warned=1), 2024)
    assert not outcome.eligible
    assert outcome.why_not() == [
        "no member disciplined at warning or above: needs a count == 0; has 1 of 20"
    ]


@pytest.mark.parametrize(("advanced", "eligible"), [(7, True), (6, False)])
def test_excellent_labour_collective_at_least_70_percent(advanced, eligible):
    unit = team(10, advanced)
    assert judge("vn-emulation", "excellent_labour_collective", unit, 2024).eligible is eligible


def test_excellent_labour_collective_boundaries():
    assert not judge(
        "vn-emulation", "excellent_labour_collective", team(10, 8, fighters=0), 2024
    ).eligible
    assert not judge(
        "vn-emulation", "excellent_labour_collective", team(10, 8, rating="good"), 2024
    ).eligible
    incomplete = team(10, 8)
    incomplete.members[-1].facts["rating"] = "not_completed"
    outcome = judge("vn-emulation", "excellent_labour_collective", incomplete, 2024)
    assert outcome.why_not() == [
        "every member completed their tasks: needs >= 100% of 10 members, i.e. at least 10; has 9 of 10 (90.0%): 1 short"
    ]
    # R2024 dropped the "no member warned" clause; R2017 had it (and needed the advanced title).
    assert judge(
        "vn-emulation", "excellent_labour_collective", team(10, 8, warned=1), 2024
    ).eligible
    warned_2023 = team(10, 8, warned=1, year=2023)
    warned_2023.held["advanced_labour_collective"] = {2023}
    assert not judge("vn-emulation", "excellent_labour_collective", warned_2023, 2023).eligible


def test_emulation_flag_needs_the_excellent_title_and_leading_its_bloc():
    unit = team(10, 8, leads_emulation_bloc=True, exceeded_targets=True)
    assert not judge("vn-emulation", "emulation_flag", unit, 2024).eligible
    unit.held["excellent_labour_collective"] = {2024}
    assert judge("vn-emulation", "emulation_flag", unit, 2024).eligible
    unit.facts["leads_emulation_bloc"] = False
    assert not judge("vn-emulation", "emulation_flag", unit, 2024).eligible
