"""A movement judging titles on verified figures: every ledger fact counts verified reports
only, whatever the rule says, and the run's pages say so."""

import pytest

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from tests.titles.test_per_period import pack, run_week, weekly  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _selected(run) -> set[str]:
    return {c.unit.code for c in run.results.filter(selected=True).select_related("unit")}


def test_titles_on_verified_figures_count_verified_reports_only(
    pack,  # noqa: F811
    weekly,  # noqa: F811
    units,
    client,
    user,
):
    # W2 adds 30 t to week 2 that nobody verified: 135% on all figures, 105% on verified ones.
    record_reports(
        movement=weekly,
        rows=[ReportRow(unit="W2", indicator="output", day="2026-03-11", quantity="30")],
        source="api",
    )
    assert _selected(run_week(weekly, units, "week 2")) == {"W2"}
    weekly = movement_actions.update_movement(movement=weekly, titles_on_verified=True)
    judged = run_week(weekly, units, "week 2")
    assert _selected(judged) == set()
    client.force_login(user)
    page = client.get(f"/titles/runs/{judged.pk}/").content.decode()
    assert "Judged on verified figures" in page
    candidate = judged.results.get(unit__code="W2")
    assert "(verified figures)" in str(candidate.explanation)
