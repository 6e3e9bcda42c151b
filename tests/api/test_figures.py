"""The figures API, checked against the brief's arithmetic, and its query count pinned."""

import json

import pytest

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from tests import factories
from tests.api.conftest import problem

pytestmark = pytest.mark.usefixtures("hand_made_flags_only")

URL = "/api/v1/movements/drive/figures"


def body(response, status=200):
    assert response.status_code == status, response.content
    return json.loads(response.content)


@pytest.fixture
def reported(movement, units, user):
    plan = movement_actions.PlanRow
    movement_actions.set_plans(
        movement=movement,
        rows=[
            # The housing row of the brief: materials for 7,000 flats, over 20,000 built.
            plan(
                "KP",
                "steel",
                "7000",
                rated_capacity="10000",
                daily_assignment="100",
                base="5000",
                base_label="1946 level",
            ),
            plan("P1", "steel", "5000"),
            plan("KP", "losses", "30"),
        ],
    )
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit="W1", indicator="steel", day="2025-03-10", quantity="12000"),
            ReportRow(unit="W4", indicator="steel", day="2025-03-11", quantity="8000"),
            ReportRow(unit="W1", indicator="losses", day="2025-03-10", quantity="20"),
        ],
        source="api",
        entered_by=user,
    )
    movement_actions.register_pledge(
        unit=units["KP"], indicator=movement.indicators.get(code="steel"), extra_percent="10"
    )
    return movement


def by_code(figures):
    return {f["indicator"]["code"]: f for f in figures["indicators"]}


def test_figures_of_the_organiser_by_default(api, reported):
    figures = body(api.get(URL))
    assert figures["movement"] == "drive" and figures["unit"] == {"code": "KP", "name": "Unit KP"}
    assert figures["period"]["name"] == "Whole movement"
    steel = by_code(figures)["steel"]
    assert {k: steel[k] for k in ("actual", "actual_verified", "entries", "days_reported")} == {
        "actual": "20000.0",
        "actual_verified": "0.0",
        "entries": 2,
        "days_reported": 2,
    }
    assert steel["plan"] == {
        "planned": "7000.0",
        "rated_capacity": "10000.0",
        "daily_assignment": "100.0",
        "base": "5000.0",
        "base_label": "1946 level",
        "note": "",
    }
    assert steel["fulfilment"] == "285.7"  # over 100% shown as it is
    assert steel["fulfilment_verified"] == "0.0"
    # Beside the figure: none of it verified, no flag open.
    assert steel["verified_share"] == "0.0" and steel["open_flags"] == 0
    assert steel["capacity_utilisation"] == "200.0"
    assert steel["daily_assignment_rate"] == "10000.0"  # 10,000 t a day worked on 100 t
    assert steel["growth"] == {"absolute": "15000.0", "percent": "300.0"}
    assert steel["children_planned"] == "5000.0"
    assert steel["pledged_extra"] == "700.0"  # 10% above a plan of 7,000
    assert (steel["rank_among_siblings"], steel["siblings"]) == (None, 1)
    pace = steel["pace"]
    assert (pace["met_on"], pace["met_on_day"], pace["period_days"]) == ("2025-03-10", 69, 365)
    assert pace["projected_within_period"] is True and pace["days_ahead"] == "296.0"
    assert steel["children"] == [
        {
            "unit": {"code": "P1", "name": "Unit P1"},
            "actual": "12000.0",
            "planned": "5000.0",
            "fulfilment": "240.0",
            "held": None,
        },
        {
            "unit": {"code": "P2", "name": "Unit P2"},
            "actual": "8000.0",
            "planned": None,
            "fulfilment": None,
            "held": None,
        },
    ]
    losses = by_code(figures)["losses"]
    assert losses["fulfilment"] == "150.0" and losses["pace"] is None  # less is better: 30 ÷ 20
    assert (
        by_code(figures)["stock"]["plan"] is None
        and by_code(figures)["stock"]["fulfilment"] is None
    )


def test_figures_of_one_unit_and_one_indicator(api, reported):
    figures = body(api.get(f"{URL}?unit=P1&indicator=steel"))
    assert [f["indicator"]["code"] for f in figures["indicators"]] == ["steel"]
    (steel,) = figures["indicators"]
    assert (steel["actual"], steel["fulfilment"]) == ("12000.0", "240.0")
    assert (steel["rank_among_siblings"], steel["siblings"]) == (1, 2)
    assert [c["unit"]["code"] for c in steel["children"]] == ["C1", "C2"]
    assert [c["actual"] for c in steel["children"]] == ["12000.0", "0.0"]


def test_figures_for_a_sub_period(api, reported):
    march = by_code(body(api.get(f"{URL}?period=March 2025")))["steel"]
    assert march["actual"] == "20000.0" and march["plan"] is None
    february = by_code(body(api.get(f"{URL}?period=February 2025")))["steel"]
    assert february["actual"] == "0.0" and february["entries"] == 0


def test_figures_refusals(api, client, reported):
    factories.unit("ELSEWHERE", None, kind="country")
    assert problem(api.get(f"{URL}?unit=ELSEWHERE"), 422)["errors"] == [
        {
            "row": 1,
            "field": "unit",
            "message": "ELSEWHERE is outside the movement's scope",
            "code": "out_of_scope",
        }
    ]
    assert problem(api.get(f"{URL}?unit=NOPE"), 422)["errors"][0]["code"] == "not_found"
    assert problem(api.get(f"{URL}?indicator=nope"), 422)["errors"][0]["field"] == "indicator"
    assert problem(api.get(f"{URL}?period=Summer"), 422)["errors"][0]["field"] == "period"
    problem(api.get("/api/v1/movements/nope/figures"), 404)
    problem(client.get(URL), 401)


# session, user, movement, period, indicators, then unit_figures (6 for a root: totals, plans,
# children's plans, daily, pledges, open flags; 8 with siblings) and children_figures (4).
ROOT_QUERIES = 2 + 3 + 6 + 4
CHILD_QUERIES = ROOT_QUERIES + 2 + 2  # the unit and the scope; siblings' totals and count


def test_figures_query_count_does_not_grow_with_children_or_indicators(
    client, user, units, reported, django_assert_num_queries
):
    client.force_login(user)
    small = factories.movement(units["KP"], slug="small")  # one indicator
    record_reports(
        movement=small,
        rows=[ReportRow(unit="W1", indicator="steel", day="2025-03-10", quantity="1")],
        source="api",
    )
    with django_assert_num_queries(ROOT_QUERIES):
        few = body(client.get("/api/v1/movements/small/figures"))
    with django_assert_num_queries(CHILD_QUERIES):
        body(client.get("/api/v1/movements/small/figures?unit=P1"))

    for n in range(12):
        factories.unit(f"EXTRA{n}", units["KP"], kind="province")
        factories.unit(f"MORE{n}", units["P1"], kind="county")
    with django_assert_num_queries(ROOT_QUERIES):
        many = body(client.get(URL))
    with django_assert_num_queries(CHILD_QUERIES):
        body(client.get(f"{URL}?unit=P1"))
    assert len(few["indicators"]) == 1 and len(few["indicators"][0]["children"]) == 2
    assert len(many["indicators"]) == 4 and len(many["indicators"][0]["children"]) == 14
