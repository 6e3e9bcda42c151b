"""The figures pages show the movement's own periods, whatever their length: a movement in
weeks gets one row per week with its plan, actual, fulfilment and pace."""

import datetime as dt
import json
import re

import pytest

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from tests import factories


@pytest.fixture
def weekly(units):
    """Three weeks, Monday 3 to Sunday 23 March 2025; W1 planned 100 t a week."""
    movement = factories.movement(
        units["KP"],
        slug="weekly",
        starts_on=dt.date(2025, 3, 3),
        ends_on=dt.date(2025, 3, 23),
        launch=False,
    )
    movement_actions.generate_periods(movement=movement, every="week")
    movement = movement_actions.launch_movement(movement=movement)
    movement_actions.set_plans(
        movement=movement,
        rows=[
            movement_actions.PlanRow("W1", "steel", "100", period=week.name)
            for week in movement.periods.filter(is_whole=False)
        ],
    )
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit="W1", indicator="steel", day="2025-03-03", quantity="50"),
            ReportRow(unit="W1", indicator="steel", day="2025-03-05", quantity="70"),
            ReportRow(unit="W1", indicator="steel", day="2025-03-12", quantity="80"),
        ],
        source="api",
    )
    return movement


def _rows(page: str) -> dict[str, list[str]]:
    table = page[page.index('<table class="by-period">') :]
    table = table[: table.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr data-period=.*?</tr>", table, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


def test_each_week_has_its_own_fulfilment_and_pace(client, user, weekly):
    client.force_login(user)
    page = client.get(f"/movements/{weekly.slug}/units/W1/").content.decode()
    # Week 1: 50 + 70 = 120 t on a plan of 100: 120.0%, met on the 5th (day 3 of 7).
    # Week 2: 80 t of 100: 80.0%; by the week's end a linear schedule had reached 80 on day
    # 5.6 (80 × 7 / 100), 1.4 days behind its 7: shown to the day. Week 3: nothing yet.
    assert _rows(page) == {
        "Week 1 (3–9 Mar)": ["100.0", "120.0", "120.0%", "met on day 3 of 7"],
        "Week 2 (10–16 Mar)": ["100.0", "80.0", "80.0%", "1 day behind"],
        "Week 3 (17–23 Mar)": ["100.0", "0.0", "0.0%", "no output yet"],
    }
    # The dashboard rolls the weekly plans up: KP's week is W1's.
    dashboard = client.get(f"/movements/{weekly.slug}/").content.decode()
    assert _rows(dashboard)["Week 1 (3–9 Mar)"][:3] == ["100.0", "120.0", "120.0%"]


def test_a_movement_without_periods_of_its_own_shows_no_period_table(client, user, units):
    movement = factories.movement(units["KP"], slug="plain")
    client.force_login(user)
    assert 'class="by-period"' not in client.get(f"/movements/{movement.slug}/").content.decode()


def test_the_figures_api_answers_for_a_week(client, user, weekly):
    client.force_login(user)
    response = client.get(
        f"/api/v1/movements/{weekly.slug}/figures",
        {"unit": "W1", "period": "Week 1 (3–9 Mar)"},
    )
    assert response.status_code == 200, response.content
    figures = json.loads(response.content)
    assert figures["period"]["name"] == "Week 1 (3–9 Mar)"
    steel = figures["indicators"][0]
    assert (steel["actual"], steel["planned"], steel["fulfilment"]) == ("120.0", "100.0", "120.0")
