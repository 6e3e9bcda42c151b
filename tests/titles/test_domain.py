"""The rule language: parsing with errors by line, shares, caps, streaks, votes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacesetter.titles import domain

from .fakes import FakeFacts, Person, pack

MINIMAL = """\
pack: t
name: Test
titles:
  - code: a
    name: A
    subject: person
    versions:
      - id: v1
        valid_from: 2020-01-01
        requires:
          - fact: rating
            op: ">="
            value: good
"""


def test_shipped_packs_parse():
    assert [t.code for t in pack("vn-emulation").titles] == [
        "advanced_worker",
        "grassroots_fighter",
        "provincial_fighter",
        "national_fighter",
        "advanced_labour_collective",
        "excellent_labour_collective",
        "emulation_flag",
    ]
    assert {t.code for t in pack("production").titles} == {
        "labour_innovator",
        "chollima_workteam",
        "model_unit",
        "team_of_the_month",
    }
    assert pack("production").title("team_of_the_month").judged == "per_month"
    assert pack("production").title("chollima_workteam").judged == "per_year"


def test_vn_regimes_are_separate_versions_split_on_1_january_2024():
    rule = pack("vn-emulation").title("advanced_worker")
    assert rule.version_for(2023).id == "R2017"
    assert rule.version_for(2024).id == "R2024"
    assert rule.version_for(2025).id == "R2025"
    assert rule.version_for(2016) is None


@pytest.mark.parametrize(
    ("replace", "line", "message"),
    [
        ("value: good", 13, "'best' is not one of"),
        ('op: ">="', 12, "'=>' is not one of"),
        ("fact: rating", 11, "unknown fact 'ratin'"),
        ("subject: person", 6, "'people' is not one of"),
        ("valid_from: 2020-01-01", 9, "expected a date"),
    ],
)
def test_errors_point_at_the_line(replace, line, message):
    broken = {
        "value: good": "value: best",
        'op: ">="': 'op: "=>"',
        "fact: rating": "fact: ratin",
        "subject: person": "subject: people",
        "valid_from: 2020-01-01": "valid_from: 2020-13-01",
    }[replace]
    with pytest.raises(domain.PackError) as caught:
        domain.parse_pack(MINIMAL.replace(replace, broken))
    problem = caught.value.problems[0]
    assert problem.line == line
    assert message in problem.message


def test_invalid_yaml_names_the_line():
    with pytest.raises(domain.PackError) as caught:
        domain.parse_pack(MINIMAL + "  - code: [unclosed\n")
    assert caught.value.problems[0].line == 15


def test_every_problem_is_listed_and_unknown_keys_refused():
    text = MINIMAL.replace("name: A", "nme: A").replace("value: good", "value: 7")
    with pytest.raises(domain.PackError) as caught:
        domain.parse_pack(text)
    messages = [p.message for p in caught.value.problems]
    assert any("unknown key 'nme'" in m for m in messages)


def test_json_packs_load_too():
    text = (
        '{"pack": "j", "name": "J", "titles": [{"code": "a", "name": "A", "subject": "person",'
        ' "versions": [{"id": "v1", "valid_from": "2020-01-01", "requires":'
        ' [{"fact": "months_worked", "op": ">=", "value": 6}]}]}]}'
    )
    assert domain.parse_pack(text).title("a").versions[0].requires.items[0].value == Decimal(6)


def test_overlapping_versions_are_refused():
    text = MINIMAL + MINIMAL.split("versions:\n")[1].replace("id: v1", "id: v2")
    with pytest.raises(domain.PackError, match="overlaps version v1"):
        domain.parse_pack(text)


def test_a_percentage_cap_must_state_its_rounding():
    text = MINIMAL + "        cap:\n          percent: 15\n"
    with pytest.raises(domain.PackError, match="must state its rounding"):
        domain.parse_pack(text)


def test_a_vote_threshold_must_be_a_percentage():
    text = MINIMAL + '        vote:\n          threshold: ">= 2/3"\n'
    with pytest.raises(domain.PackError) as caught:
        domain.parse_pack(text)
    assert caught.value.problems[0].line == 15


def test_no_eval_of_user_text():
    text = MINIMAL.replace("value: good", "value: __import__('os').system('true')")
    with pytest.raises(domain.PackError):
        domain.parse_pack(text)


# --- caps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "rounding", "allowed"),
    [
        (13, "floor", 1),
        (13, "ceil", 2),
        (13, "nearest", 2),
        (6, "floor", 0),
        (7, "floor", 1),
        (10, "nearest", 2),
    ],
)
def test_percentage_cap_rounding(base, rounding, allowed):
    # 15% of 13 = 1.95; of 6 = 0.9; of 7 = 1.05; of 10 = 1.5 (nearest rounds half up)
    assert domain.Cap(percent=Decimal(15), rounding=rounding).allowed(base) == allowed


def test_cap_selects_by_ranking_and_shows_the_arithmetic():
    cap = domain.Cap(percent=Decimal(15), rounding="floor", per="unit")
    entries = [
        domain.CapEntry(key=i, group="u1", eligible=i < 3, in_base=True, rank=(-i,))
        for i in range(13)
    ]
    positions, groups = domain.select_within_cap(cap, entries)
    assert positions == {2: 1, 1: 2, 0: 3}
    (group,) = groups
    assert (group.base, group.allowed, group.eligible, group.selected) == (13, 1, 3, 1)
    assert group.text == "15% of 13 = 1.95, rounded down: 1"
    assert not group.competing


def test_without_an_order_everyone_qualifying_competes_for_the_places():
    # 15% of 20 = 3, rounded down: four qualify, none is picked by an order nobody stated
    cap = domain.Cap(percent=Decimal(15), rounding="floor")
    entries = [
        domain.CapEntry(key=i, group=None, eligible=i < 4, in_base=True, rank=(f"name {i}",))
        for i in range(20)
    ]
    positions, (group,) = domain.select_within_cap(cap, entries, ordered=False)
    assert positions == {}
    assert (group.base, group.allowed, group.eligible, group.selected) == (20, 3, 4, 0)
    assert group.competing and group.text == "15% of 20 = 3, rounded down: 3"
    # the same four under an order: the first three selected, as before
    positions, (group,) = domain.select_within_cap(cap, entries, ordered=True)
    assert positions == {0: 1, 1: 2, 2: 3, 3: 4} and group.selected == 3
    assert not group.competing


def test_without_an_order_all_are_selected_when_everyone_fits():
    cap = domain.Cap(maximum=3)
    entries = [domain.CapEntry(i, None, True, True, (i,)) for i in range(3)]
    positions, (group,) = domain.select_within_cap(cap, entries, ordered=False)
    assert group.selected == 3 and not group.competing and len(positions) == 3


def test_the_cap_names_its_base_by_the_label_of_its_of():
    cap = domain.Cap(
        percent=Decimal(15),
        rounding="floor",
        of=domain.Held(title="advanced_worker", label="advanced workers"),
    )
    assert domain.cap_text(cap, 13) == "15% of 13 advanced workers = 1.95, rounded down: 1"


@given(st.integers(0, 10_000), st.decimals(0, 100, places=1), st.sampled_from(domain.ROUNDINGS))
def test_cap_never_exceeds_the_base_and_matches_exact_arithmetic(base, percent, rounding):
    allowed = domain.Cap(percent=percent, rounding=rounding).allowed(base)
    exact = Fraction(percent) * base / 100
    assert 0 <= allowed <= base
    assert abs(allowed - exact) <= 1
    if rounding == "floor":
        assert allowed <= exact < allowed + 1


# --- shares -------------------------------------------------------------------------------


def collective(holders: int, total: int, title: str = "advanced_worker") -> Person:
    members = [Person(f"m{i}", held={title: {2024}} if i < holders else {}) for i in range(total)]
    return Person("unit", members=members)


def share_node(op: str, pct: int, unit: Person) -> domain.Node:
    condition = domain.MemberShare(
        domain.Held("advanced_worker"), domain.Threshold(op, Decimal(pct), True)
    )
    return domain.Evaluator(FakeFacts(), 2024).condition(condition, unit)


def test_strict_and_non_strict_shares_differ_at_the_boundary():
    assert not share_node(">", 50, collective(10, 20)).passed
    assert share_node(">", 50, collective(11, 20)).passed
    assert share_node(">=", 50, collective(10, 20)).passed


def test_share_shortfall_names_the_count_missing():
    node = share_node(">=", 70, collective(699, 1000))
    assert not node.passed
    assert node.shortfall == (
        "needs >= 70% of 1000 members, i.e. at least 700; has 699 of 1000 (69.9%): 1 short"
    )
    assert share_node(">=", 70, collective(700, 1000)).passed


@given(st.integers(0, 200), st.integers(1, 200), st.integers(0, 100), st.sampled_from([">=", ">"]))
def test_share_is_exact_integer_arithmetic(holders, total, pct, op):
    holders = min(holders, total)
    node = share_node(op, pct, collective(holders, total))
    exact = Fraction(holders * 100, total)
    assert node.passed == (exact >= pct if op == ">=" else exact > pct)


# --- streaks ------------------------------------------------------------------------------


def held_node(years: set[int], **kwargs) -> domain.Node:
    person = Person("p", held={"grassroots_fighter": years})
    return domain.Evaluator(FakeFacts(), 2024).condition(
        domain.Held("grassroots_fighter", **kwargs), person
    )


def test_consecutive_streak_broken_by_one_year():
    assert held_node({2022, 2023, 2024}, consecutive=3).passed
    broken = held_node({2021, 2022, 2024}, consecutive=3)
    assert not broken.passed
    assert broken.shortfall == "needs 3 consecutive, has 1 ending 2024; missing: 2023"
    assert held_node({2021, 2022, 2023}, consecutive=3, ending="previous").passed


def test_at_least_n_times_within_a_window():
    assert held_node({2019, 2024}, at_least=2).passed
    assert not held_node({2018, 2024}, at_least=2, within=6).passed
    assert held_node({2019, 2024}, at_least=2, within=6).passed


# --- votes --------------------------------------------------------------------------------


def version_with_vote(threshold: str, of: str = "all_members") -> domain.RuleVersion:
    text = MINIMAL + f'        vote:\n          threshold: "{threshold}"\n          of: {of}\n'
    return domain.parse_pack(text).title("a").versions[0]


@pytest.mark.parametrize(
    ("threshold", "yes", "no", "abstain", "council", "passed"),
    [
        (">= 80%", 12, 3, 0, 15, True),  # 80% exactly
        (">= 80%", 11, 2, 0, 15, False),  # 84.6% of 13 present, 73.3% of 15 members
        (">= 90%", 18, 2, 0, 20, True),
        (">= 90%", 17, 3, 0, 20, False),
        ("> 50%", 5, 5, 0, 10, False),
        ("> 50%", 6, 4, 0, 10, True),
    ],
)
def test_votes_count_all_council_members(threshold, yes, no, abstain, council, passed):
    result, text = domain.vote_result(
        version=version_with_vote(threshold), yes=yes, no=no, abstain=abstain, council_size=council
    )
    assert result is passed
    assert f"of all {council} council members" in text


def test_a_rule_may_count_those_present():
    version = version_with_vote(">= 80%", of="present")
    passed, text = domain.vote_result(version=version, yes=11, no=2, abstain=0, council_size=15)
    assert passed is True  # 84.6% of the 13 present, though only 73.3% of the 15 members
    assert "13 present = 84.6%" in text


def test_renewal_names():
    rule = pack("production").title("chollima_workteam")
    assert [rule.name_for(n) for n in (1, 2, 3, 4)] == [
        "Chollima workteam",
        "Double Chollima workteam",
        "Triple Chollima workteam",
        "Triple Chollima workteam",
    ]


def test_version_in_force_on_the_last_day_of_the_year():
    version = domain.RuleVersion("v", dt.date(2024, 1, 1), None, domain.AllOf(()))
    assert version.in_force(dt.date(2024, 12, 31))
    assert not version.in_force(dt.date(2023, 12, 31))


# --- judged per period ------------------------------------------------------------------------

PER_PERIOD = """\
pack: t
name: Test
titles:
  - code: week
    name: Team of the week
    subject: unit
    judged: per_period
    versions:
      - id: v1
        valid_from: 2020-01-01
        requires:
          - fact: plan_fulfilment
            indicator: output
            op: ">="
            value: 110
"""


@pytest.mark.parametrize("judged", ["per_period", "per_week", "per_month", "per_year"])
def test_a_title_may_be_judged_per_period(judged):
    rule = domain.parse_pack(PER_PERIOD.replace("per_period", judged)).title("week")
    assert rule.judged == judged
    assert rule.per_period is (judged != "per_year")


def test_a_title_is_judged_per_year_unless_it_says_so():
    assert domain.parse_pack(MINIMAL).title("a").judged == "per_year"
    assert not domain.parse_pack(MINIMAL).title("a").per_period


def test_an_unknown_judged_is_refused_on_its_line():
    with pytest.raises(domain.PackError) as caught:
        domain.parse_pack(PER_PERIOD.replace("judged: per_period", "judged: per_fortnight"))
    (problem,) = caught.value.problems
    assert problem.line == 7
    assert problem.path == "week.judged"
    assert "'per_fortnight' is not one of: per_year, per_period, per_week, per_month" in (
        problem.message
    )


def test_every_is_refused_in_a_title_judged_per_period():
    text = PER_PERIOD.replace("indicator: output", "indicator: output\n            every: month")
    with pytest.raises(domain.PackError) as caught:
        domain.parse_pack(text)
    (problem,) = caught.value.problems
    assert problem.line == 14
    assert "judges one period at a time; 'every' is for titles judged per year" in problem.message


def test_every_period_parses_and_an_unknown_every_is_refused():
    yearly = PER_PERIOD.replace("    judged: per_period\n", "").replace(
        "indicator: output", "indicator: output\n            every: period"
    )
    ref = domain.parse_pack(yearly).title("week").versions[0].requires.items[0].fact
    assert ref.param("every") == "period"
    with pytest.raises(domain.PackError) as caught:
        domain.parse_pack(yearly.replace("every: period", "every: week"))
    assert caught.value.problems[0].line == 13
    assert "every must be one of: month, period" in caught.value.problems[0].message


def test_per_period_version_is_the_one_in_force_on_the_periods_last_day():
    rule = pack("vn-emulation").title("advanced_worker")
    assert rule.version_on(dt.date(2023, 12, 31)).id == "R2017"
    assert rule.version_on(dt.date(2024, 1, 7)).id == "R2024"


def test_a_period_judged_names_the_period_in_the_explanation():
    version = domain.parse_pack(PER_PERIOD).title("week").versions[0]
    team = Person("A", facts={"plan_fulfilment(indicator=output)": 90})
    outcome = domain.evaluate(version, FakeFacts(), team, 2026, "week 2 (8–14 Mar)")
    assert not outcome.eligible
    assert outcome.tree.label == "v1 · week 2 (8–14 Mar)"
    assert outcome.why_not() == [
        "in week 2 (8–14 Mar): plan_fulfilment(indicator=output) >= 110: "
        "needs >= 110, has 90: 20 short"
    ]
    passing = Person("B", facts={"plan_fulfilment(indicator=output)": 118})
    outcome = domain.evaluate(version, FakeFacts(), passing, 2026, "week 3 (15–21 Mar)")
    assert outcome.eligible
    node = outcome.tree.children[0].children[0]
    assert node.label == "in week 3 (15–21 Mar): plan_fulfilment(indicator=output) >= 110"
    assert node.facts[0]["value"] == "118"


def test_every_period_needs_each_period_of_the_year():
    yearly = PER_PERIOD.replace("    judged: per_period\n", "").replace(
        "indicator: output", "indicator: output\n            every: period"
    )
    version = domain.parse_pack(yearly).title("week").versions[0]
    good = Person("A", monthly={"plan_fulfilment": [120, 115, 110, 130]})
    assert domain.evaluate(version, FakeFacts(), good, 2026).eligible
    bad = Person("B", monthly={"plan_fulfilment": [120, 90, 110, 130]})
    outcome = domain.evaluate(version, FakeFacts(), bad, 2026)
    assert outcome.why_not() == [
        "plan_fulfilment(every=period, indicator=output) >= 110: 1 of 4 periods not met; "
        "month 2: needs >= 110, has 90: 20 short"
    ]
    empty = domain.evaluate(version, FakeFacts(), Person("C"), 2026)
    assert empty.why_not() == [
        "plan_fulfilment(every=period, indicator=output) >= 110: no period of the movement in the year"
    ]
