"""Verified reserves are recognised initiatives, facts the title engine judges through
core.facts (titles and reserves never import each other)."""

import pytest

from pacesetter.core import facts as core_facts
from pacesetter.core.errors import ValidationFailed
from pacesetter.reserves import actions
from pacesetter.titles import actions as title_actions
from pacesetter.titles.models import Title
from pacesetter.units.actions import create_member

PACK = """\
pack: reserves
name: Reserve titles
titles:
  - code: innovator
    name: Innovator
    subject: person
    versions:
      - id: v1
        valid_from: 2020-01-01
        requires:
          - fact: initiative_scope
            op: ">="
            value: grassroots
  - code: finder
    name: Finder of reserves
    subject: person
    versions:
      - id: v1
        valid_from: 2020-01-01
        requires:
          - fact: initiatives
            years: 2
            op: ">="
            value: 2
"""


@pytest.fixture
def pack(db):
    return title_actions.load_pack(text=PACK)


def verified(unit, member, scope, description="Reuse the offcuts"):
    r = actions.propose_reserve(
        unit=unit,
        kind="material",
        description=description,
        estimated="3",
        measure="t of cement",
        member=member,
    )
    actions.accept_reserve(r)
    actions.implement_reserve(r)
    return actions.verify_reserve(r, verified="2", measure="t of cement", scope=scope)


def judge(pack, code, units):
    from django.utils import timezone

    title = Title.objects.get(pack=pack.pack, code=code)
    run = title_actions.run_evaluation(
        title=title, year=timezone.localdate().year, scope=units["W1"]
    )
    return {c.member.external_id: c for c in run.results.select_related("member")}


def the_fact(candidate) -> dict:
    """The one fact of the one requirement."""
    return candidate.explanation["children"][0]["children"][0]["facts"][0]


def test_a_verified_reserve_is_an_initiative_with_its_scope(pack, units):
    kim = create_member(unit=units["W1"], full_name="Kim", external_id="kim")
    create_member(unit=units["W1"], full_name="Ri", external_id="ri")
    r = verified(units["W1"], kim, "grassroots", "Lighter formwork from offcuts")
    by = judge(pack, "innovator", units)
    assert by["kim"].eligible and not by["ri"].eligible
    fact = the_fact(by["kim"])
    assert fact["fact"] == "initiative_scope" and fact["value"] == "grassroots"
    source = fact["sources"][0]
    assert f"verified reserve {r.pk}" in source["label"]
    assert "Lighter formwork from offcuts" in source["label"]
    assert source["url"] == f"/reserves/{r.pk}/"
    assert "nothing recorded" in by["ri"].why_not


def test_a_unit_scope_is_not_enough_for_grassroots_and_more_than_one_counts(pack, units):
    kim = create_member(unit=units["W1"], full_name="Kim", external_id="kim")
    verified(units["W1"], kim, "unit")
    assert not judge(pack, "innovator", units)["kim"].eligible
    assert not judge(pack, "finder", units)["kim"].eligible
    verified(units["W1"], kim, "unit", "Second saving")
    finder = judge(pack, "finder", units)["kim"]
    assert finder.eligible
    fact = the_fact(finder)
    assert fact["value"] == "2" and len(fact["sources"]) == 2


def test_a_proposed_or_declined_reserve_is_no_initiative(pack, units):
    kim = create_member(unit=units["W1"], full_name="Kim", external_id="kim")
    r = actions.propose_reserve(
        unit=units["W1"], kind="time", description="x", estimated="1", measure="hours", member=kim
    )
    actions.decline_reserve(r, reason="no")
    assert not judge(pack, "innovator", units)["kim"].eligible


def test_a_scope_outside_the_list_is_refused(units):
    r = actions.propose_reserve(
        unit=units["W1"], kind="time", description="x", estimated="1", measure="hours"
    )
    actions.accept_reserve(r)
    actions.implement_reserve(r)
    with pytest.raises(ValidationFailed) as exc:
        actions.verify_reserve(r, verified="1", measure="hours", scope="galactic")
    assert [e.field for e in exc.value.errors] == ["scope"]


def test_reserves_registered_their_provider():
    assert "reserves" in core_facts._providers
