"""Candidates who were close (not eligible, having met most conditions), and `pacesetter
run-evaluation`, which judges a title from the command line."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from pacesetter.titles import domain, selectors
from pacesetter.titles.models import Award, EvaluationRun
from tests import factories

from .test_api import bearer
from .test_production_pack import production  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def test_a_tree_counts_its_conditions_and_what_was_missed():
    leaf = domain.Node
    tree = leaf(
        "v1",
        False,
        "all",
        children=[
            leaf(
                "requirements",
                False,
                "all",
                children=[leaf("a", True, "fact"), leaf("b", False, "fact")],
            ),
            leaf(
                "exclusions",
                True,
                "all",
                children=[
                    leaf("not excluded: c", True, "exclusion", children=[leaf("c", False, "fact")])
                ],
            ),
        ],
    )
    assert (tree.conditions(), len(tree.failures())) == (3, 1)


def _run(production_pack_slug: str = "production") -> dict:
    out = io.StringIO()
    call_command(
        "run_evaluation",
        "--pack",
        production_pack_slug,
        "--title",
        "chollima_workteam",
        "--scope",
        "KP",
        "--year",
        "2025",
        "--movement",
        "production-2025",
        "--format",
        "json",
        stdout=out,
    )
    return json.loads(out.getvalue())


def test_run_evaluation_command_and_the_close_candidates(production, client):  # noqa: F811
    # Nobody holds labour innovator: T1 misses only the members' share (3 of 4 met), T2 and T3
    # miss two and three (not more than half met: not close).
    result = _run()
    assert (result["candidates"], result["eligible"], result["selected"]) == (3, 0, 0)
    met = {r["unit"]: (r["conditions"], r["conditions_missed"]) for r in result["results"]}
    assert met == {"T1": (4, 1), "T2": (4, 2), "T3": (4, 3)}
    run = EvaluationRun.objects.get(pk=result["run"])
    assert [c.unit.code for c in selectors.candidates_of(run, show="close")] == ["T1"]

    operator = factories.UserFactory(username="operator", is_superuser=True)
    listed = json.loads(
        bearer(operator).get(f"/api/v1/titles/runs/{run.pk}/candidates?show=close").content
    )
    assert [(c["unit"], c["conditions"], c["conditions_missed"]) for c in listed] == [("T1", 4, 1)]
    client.force_login(operator)
    page = client.get(f"/titles/runs/{run.pk}/?show=close").content.decode()
    assert "met 3 of 4 conditions" in page and "T2 " not in page


def test_run_evaluation_command_refuses_what_it_cannot_find(production):  # noqa: F811
    with pytest.raises(CommandError, match="No title 'nothing'"):
        call_command(
            "run_evaluation", "--pack", "production", "--title", "nothing", "--scope", "KP"
        )
    with pytest.raises(CommandError, match="choose the year"):
        call_command(
            "run_evaluation",
            "--pack",
            "production",
            "--title",
            "chollima_workteam",
            "--scope",
            "KP",
        )
    with pytest.raises(CommandError, match="decided by a council vote"):
        call_command(
            "run_evaluation",
            "--pack",
            "production",
            "--title",
            "chollima_workteam",
            "--scope",
            "KP",
            "--year",
            "2025",
            "--movement",
            "production-2025",
            "--award",
            stdout=io.StringIO(),
        )
    assert not Award.objects.exists()


PER_MEMBER_PACK = """
pack: innovation
name: Innovation
titles:
  - code: innovative
    name: Innovative collective
    subject: unit
    versions:
      - id: v1
        valid_from: 2000-01-01
        requires:
          - {fact: initiatives_per_member, op: ">=", value: 0.4}
          - members: {fact: initiatives, op: ">=", value: 1}
            share: ">= 30%"
"""


def test_initiatives_per_member_and_the_share_of_innovators(people, units):
    from pacesetter.titles import actions

    revision = actions.load_pack(text=PER_MEMBER_PACK)
    actions.record_facts(
        kind="initiatives",
        rows=[
            {"member": member, "title": f"Idea {n}", "scope": "unit", "recognised_on": day}
            for n, (member, day) in enumerate(
                [
                    ("w1-0", "2024-03-01"),
                    ("w1-0", "2024-05-01"),
                    ("w1-1", "2024-06-01"),
                    ("w1-2", "2024-07-01"),
                    ("w1-3", "2023-07-01"),  # the year before: not counted
                ]
            )
        ],
        source="initiatives.csv",
    )
    run = actions.run_evaluation(
        title=revision.pack.titles.get(code="innovative"), year=2024, scope=units["W1"]
    )
    w1 = run.results.get(unit=units["W1"])
    per_member, share = w1.explanation["children"][0]["children"]
    # 4 initiatives of 10 members, by 3 of them
    assert per_member["facts"][0]["value"] == "0.4" and per_member["passed"]
    assert per_member["facts"][0]["sources"][0]["label"] == (
        "4 initiatives of 10 members; 3 of them recognised for one or more"
    )
    assert share["facts"][0]["value"] == "3 of 10 (30.0%)" and w1.eligible
