"""`pacesetter figures`: the selectors' figures, as a table or as JSON fit for a pipe."""

import datetime as dt
import json

import pytest

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from tests import factories


@pytest.fixture
def housing(units):
    """The brief's Pyongyang housing: materials for 7,000 flats, over 20,000 built."""
    movement = factories.movement(
        units["KP"],
        slug="housing",
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 12, 31),
        indicators=({"code": "flats", "name": "Flats", "unit_of_measure": "flats"},),
    )
    movement_actions.set_plans(
        movement=movement,
        rows=[
            movement_actions.PlanRow(
                "W1",
                "flats",
                planned="7000",
                rated_capacity="10000",
                daily_assignment="2500",
                base="15000",
                base_label="2024 level",
            )
        ],
    )
    movement_actions.register_pledge(
        unit=units["W1"], indicator=movement.indicators.get(), extra="500"
    )
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit="W1", indicator="flats", day="2025-03-01", quantity="12000"),
            ReportRow(unit="W1", indicator="flats", day="2025-04-01", quantity="8000"),
            ReportRow(unit="W2", indicator="flats", day="2025-04-01", quantity="100"),
        ],
        source="api",
    )
    return movement


def test_json_gives_the_figures_as_exact_strings(cli, housing):
    outcome = cli("figures", "--movement", "housing", "--format", "json")
    assert outcome.code == 0, outcome.err
    records = json.loads(outcome.out)  # nothing but JSON on stdout
    # The scope root and every unit with a plan, in tree order.
    assert [r["unit"] for r in records] == ["KP", "W1"]
    assert records[1] == {
        "movement": "housing",
        "title": "Housing",
        "unit": "W1",
        "unit_name": "Unit W1",
        "indicator": "flats",
        "indicator_name": "Flats",
        "unit_of_measure": "flats",
        "period": "Whole movement",
        "as_of": "2025-12-31",
        "actual": "20000",
        "actual_verified": "0",
        "planned": "7000",
        "planned_below": False,
        "children_planned": None,
        "rated_capacity": "10000",
        "daily_assignment": "2500",
        "base": "15000",
        "base_label": "2024 level",
        "plan_note": None,
        "fulfilment": "285.7",
        "capacity_utilisation": "200.0",
        "daily_assignment_rate": "400.0",
        "growth_absolute": "5000",
        "growth_percent": "33.3",
        "pace": {
            "met_on": "2025-03-01",
            "met_on_day": 60,
            "projected_on": "2025-03-01",
            "days_ahead": "305.0",
            "period_days": 365,
            "elapsed_days": 365,
        },
        "pledged_extra": "500",
        "rank_among_siblings": 1,
        "siblings": 2,
        "held": None,
    }
    country = records[0]
    # The country has no plan of its own: the plans below it, summed (W1's alone), stand for it.
    assert (
        country["actual"],
        country["planned"],
        country["planned_below"],
        country["fulfilment"],
    ) == ("20100", "7000", True, "287.1")


def test_quantities_keep_the_indicators_decimal_places(cli, movement):
    records = json.loads(
        cli("figures", "--movement", movement.slug, "--indicator", "steel", "--format", "json").out
    )
    assert [(r["unit"], r["indicator"], r["actual"]) for r in records] == [("KP", "steel", "0.0")]


def test_unit_indicator_and_period_narrow_the_output(cli, housing, movement):
    records = json.loads(
        cli("figures", "--unit", "W1", "--period", "Whole movement", "--format", "json").out
    )
    # Every movement (oldest first, then by slug) that has W1 in scope: both here.
    assert [(r["movement"], r["indicator"]) for r in records] == [
        ("drive", "steel"),
        ("drive", "stock"),
        ("drive", "losses"),
        ("drive", "balance"),
        ("housing", "flats"),
    ]
    march = json.loads(
        cli("figures", "--unit", "W1", "--period", "March 2025", "--format", "json").out
    )
    assert {r["movement"] for r in march} == {"drive"}  # only "drive" has monthly periods
    assert {r["period"] for r in march} == {"March 2025"}


def test_table_shows_rounded_percentages(cli, housing):
    outcome = cli("figures", "--movement", "housing", "--unit", "W1")
    assert outcome.code == 0, outcome.err
    assert "Housing (housing, launched)" in outcome.out
    assert "285.7%" in outcome.out and "200.0%" in outcome.out and "400.0%" in outcome.out
    assert "met on day 60 of 365" in outcome.out and "1 of 2" in outcome.out


def test_refusals_name_what_was_not_found(cli, housing, units):
    factories.unit("ELSEWHERE", None, kind="country")
    assert "No movement 'nope'" in cli("figures", "--movement", "nope").err
    assert "No unit 'NOPE'" in cli("figures", "--unit", "NOPE").err
    outside = cli("figures", "--movement", "housing", "--unit", "ELSEWHERE")
    assert (outside.code, "outside the scope" in outside.err) == (1, True)
    unknown = cli("figures", "--movement", "housing", "--indicator", "steel")
    assert (unknown.code, "has no indicator 'steel'" in unknown.err) == (1, True)
    assert cli("figures", "--period", "Nope").code == 1


def test_a_week_is_a_period_like_any_other(cli, units):
    movement = factories.movement(
        units["KP"],
        slug="weeks",
        starts_on=dt.date(2025, 3, 3),
        ends_on=dt.date(2025, 3, 16),
        launch=False,
    )
    movement_actions.generate_periods(movement=movement, every="week")
    movement = movement_actions.launch_movement(movement=movement)
    movement_actions.set_plans(
        movement=movement,
        rows=[movement_actions.PlanRow("W1", "steel", "100", period="Week 2 (10–16 Mar)")],
    )
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W1", indicator="steel", day="2025-03-12", quantity="120")],
        source="api",
    )
    outcome = cli(
        "figures",
        "--movement",
        "weeks",
        "--unit",
        "W1",
        "--period",
        "Week 2 (10–16 Mar)",
        "--format",
        "json",
    )
    assert outcome.code == 0, outcome.err
    [record] = json.loads(outcome.out)
    assert record["period"] == "Week 2 (10–16 Mar)"
    assert (record["actual"], record["planned"], record["fulfilment"]) == (
        "120.0",
        "100.0",
        "120.0",
    )
