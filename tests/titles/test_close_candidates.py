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
