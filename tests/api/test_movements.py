"""The movements API: lifecycle, indicators, periods, plans, pledges."""

import json

import pytest

from pacesetter.movements.models import Indicator, Movement, Plan, Pledge
from tests import factories
from tests.api.conftest import post, problem

NEW = {
    "title": "Hundred-day drive",
    "organiser": "P1",
    "starts_on": "2025-02-01",
    "ends_on": "2025-04-15",
    "scope": ["C1", "C2"],
}


def body(response, status=200):
    assert response.status_code == status, response.content
    return json.loads(response.content)


@pytest.fixture
def draft(api, units):
    body(post(api, "/api/v1/movements", NEW), 201)
    return "hundred-day-drive"


def test_create_movement_is_a_draft_with_its_whole_period(api, units, user, draft):
    movement = body(api.get(f"/api/v1/movements/{draft}"))
    assert movement == {
        **movement,
        "slug": "hundred-day-drive",
        "organiser": "P1",
        "status": "draft",
        "scope": ["C1", "C2"],
        "launched_at": None,
    }
    assert Movement.objects.get(slug=draft).created_by == user
    periods = body(api.get(f"/api/v1/movements/{draft}/periods"))
    assert periods == [
        {
            "name": "Whole movement",
            "starts_on": "2025-02-01",
            "ends_on": "2025-04-15",
            "is_whole": True,
            "days": 74,
        }
    ]


def test_create_movement_refusals(api, units, draft):
    assert problem(post(api, "/api/v1/movements", NEW), 422)["errors"] == [
        {
            "row": 1,
            "field": "slug",
            "message": "a movement with slug 'hundred-day-drive' already exists",
            "code": "duplicate",
        }
    ]
    wrong = {**NEW, "slug": "other", "organiser": "NOPE", "ends_on": "2025-01-01"}
    assert problem(post(api, "/api/v1/movements", wrong), 422)["errors"][0]["field"] == "organiser"
    backwards = {**NEW, "slug": "other", "ends_on": "2025-01-01"}
    assert problem(post(api, "/api/v1/movements", backwards), 422)["errors"] == [
        {
            "row": 1,
            "field": "ends_on",
            "message": "the end date is before the start date",
            "code": "invalid",
        }
    ]
    assert Movement.objects.count() == 1


def test_list_movements_filters_by_status(api, movement, draft):
    listed = body(api.get("/api/v1/movements"))
    assert listed["count"] == 2
    assert [m["slug"] for m in body(api.get("/api/v1/movements?status=draft"))["items"]] == [draft]


def test_lifecycle_draft_launch_close(api, draft):
    assert (
        "at least one indicator"
        in problem(post(api, f"/api/v1/movements/{draft}/launch"), 409)["detail"]
    )
    indicator = body(
        post(
            api,
            f"/api/v1/movements/{draft}/indicators",
            {"code": "flats", "name": "Flats", "unit_of_measure": "flats"},
        ),
        201,
    )
    assert indicator == {
        "code": "flats",
        "name": "Flats",
        "unit_of_measure": "flats",
        "currency": "",
        "aggregation": "sum",
        "direction": "more",
        "allow_negative": False,
        "decimal_places": 0,
        "decimal_comma": False,
        "position": 0,
    }
    problem(post(api, f"/api/v1/movements/{draft}/close"), 409)
    launched = body(post(api, f"/api/v1/movements/{draft}/launch"))
    assert launched["status"] == "launched" and launched["launched_at"]
    problem(post(api, f"/api/v1/movements/{draft}/launch"), 409)
    closed = body(post(api, f"/api/v1/movements/{draft}/close"))
    assert closed["status"] == "closed" and closed["closed_at"]


def test_an_indicator_may_take_a_decimal_comma_in_files(api, draft):
    payload = {"code": "grain", "name": "Grain", "unit_of_measure": "t", "decimal_comma": True}
    created = body(post(api, f"/api/v1/movements/{draft}/indicators", payload), 201)
    assert created["decimal_comma"] is True
    assert Indicator.objects.get(movement__slug=draft, code="grain").decimal_comma


def test_indicators_add_and_list(api, draft):
    for code in ("steel", "iron"):
        post(
            api,
            f"/api/v1/movements/{draft}/indicators",
            {"code": code, "name": code, "unit_of_measure": "t", "decimal_places": 1},
        )
    assert [i["code"] for i in body(api.get(f"/api/v1/movements/{draft}/indicators"))] == [
        "steel",
        "iron",
    ]
    refused = post(
        api,
        f"/api/v1/movements/{draft}/indicators",
        {"code": "x", "name": "x", "unit_of_measure": "t", "aggregation": "max"},
    )
    assert problem(refused, 422)["errors"] == [
        {"row": 1, "field": "aggregation", "message": "one of sum, latest", "code": "invalid"}
    ]
    assert Indicator.objects.filter(movement__slug=draft).count() == 2


def test_periods_add_and_monthly(api, draft):
    added = body(
        post(
            api,
            f"/api/v1/movements/{draft}/periods",
            {"name": "Spring", "starts_on": "2025-03-01", "ends_on": "2025-04-15"},
        ),
        201,
    )
    assert added == {
        "name": "Spring",
        "starts_on": "2025-03-01",
        "ends_on": "2025-04-15",
        "is_whole": False,
        "days": 46,
    }
    outside = post(
        api,
        f"/api/v1/movements/{draft}/periods",
        {"name": "Late", "starts_on": "2025-04-01", "ends_on": "2025-05-01"},
    )
    assert problem(outside, 422)["errors"][0]["field"] == "starts_on"
    months = body(post(api, f"/api/v1/movements/{draft}/periods/monthly"), 201)
    assert [(m["name"], m["starts_on"], m["ends_on"]) for m in months] == [
        ("February 2025", "2025-02-01", "2025-02-28"),
        ("March 2025", "2025-03-01", "2025-03-31"),
        ("April 2025 (1–15 Apr)", "2025-04-01", "2025-04-15"),
    ]
    assert len(body(api.get(f"/api/v1/movements/{draft}/periods"))) == 5


def test_set_plans_and_list_them_with_filters(api, movement):
    rows = [
        {"unit": "KP", "indicator": "steel", "planned": "1000.5", "rated_capacity": 2000},
        {"unit": "P1", "indicator": "steel", "planned": 600, "daily_assignment": "2.5"},
        {"unit": "P1", "indicator": "steel", "period": "March 2025", "planned": "50"},
        {
            "unit": "P2",
            "indicator": "losses",
            "planned": 30,
            "base": 40,
            "base_label": "1946 level",
            "note": "the north slope",
        },
    ]
    assert body(post(api, "/api/v1/movements/drive/plans", {"rows": rows})) == {"written": 4}
    listed = body(api.get("/api/v1/movements/drive/plans"))
    assert listed["count"] == 4
    assert listed["items"][0] == {
        "unit": "KP",
        "indicator": "steel",
        "period": "Whole movement",
        "planned": "1000.5",
        "rated_capacity": "2000.0",
        "daily_assignment": None,
        "base": None,
        "base_label": "",
        "note": "",
    }
    by_unit = body(api.get("/api/v1/movements/drive/plans?unit=P1"))["items"]
    assert [(p["period"], p["planned"]) for p in by_unit] == [
        ("Whole movement", "600.0"),
        ("March 2025", "50.0"),
    ]
    march = body(api.get("/api/v1/movements/drive/plans?period=March 2025&indicator=steel"))[
        "items"
    ]
    assert [p["unit"] for p in march] == ["P1"]
    losses = body(api.get("/api/v1/movements/drive/plans?indicator=losses"))["items"]
    assert losses[0]["base"] == "40" and losses[0]["base_label"] == "1946 level"
    assert losses[0]["note"] == "the north slope"
    assert problem(api.get("/api/v1/movements/drive/plans?period=Summer"), 422)["errors"] == [
        {
            "row": 1,
            "field": "period",
            "message": "no period 'Summer' in this movement",
            "code": "not_found",
        }
    ]


def test_set_plans_lists_every_bad_row_and_writes_nothing(api, movement):
    factories.unit("ELSEWHERE", None, kind="country")
    rows = [
        {"unit": "KP", "indicator": "steel", "planned": "10"},
        {"unit": "P1", "indicator": "steel", "planned": "10.25"},
        {"unit": "ELSEWHERE", "indicator": "nope", "planned": "1"},
        {"unit": "P2", "indicator": "steel", "rated_capacity": "0"},
    ]
    assert problem(post(api, "/api/v1/movements/drive/plans", {"rows": rows}), 422)["errors"] == [
        {
            "row": 2,
            "field": "planned",
            "message": "10.25 has more than 1 decimal place",
            "code": "invalid",
        },
        {
            "row": 3,
            "field": "unit",
            "message": "ELSEWHERE is outside the movement's scope",
            "code": "out_of_scope",
        },
        {
            "row": 3,
            "field": "indicator",
            "message": "no indicator 'nope' in this movement",
            "code": "not_found",
        },
        {
            "row": 4,
            "field": "rated_capacity",
            "message": "must be greater than zero",
            "code": "invalid",
        },
    ]
    assert not Plan.objects.exists()


def test_pledges_register_and_list(api, movement, user):
    post(
        api,
        "/api/v1/movements/drive/plans",
        {"rows": [{"unit": "C1", "indicator": "steel", "planned": "100"}]},
    )
    extra = body(
        post(
            api,
            "/api/v1/movements/drive/pledges",
            {
                "unit": "C1",
                "indicator": "steel",
                "extra": "12.5",
                "registered_on": "2025-03-01",
                "text": "We pledge more",
            },
        ),
        201,
    )
    assert extra == {
        **extra,
        "unit": "C1",
        "indicator": "steel",
        "period": "Whole movement",
        "extra": "12.5",
        "extra_percent": None,
        "registered_on": "2025-03-01",
        "text": "We pledge more",
        "registered_by": "operator",
    }
    percent = body(
        post(
            api,
            "/api/v1/movements/drive/pledges",
            {"unit": "C2", "indicator": "steel", "extra_percent": 10, "period": "March 2025"},
        ),
        201,
    )
    assert percent["extra_percent"] == "10.00" and percent["period"] == "March 2025"
    assert [p["unit"] for p in body(api.get("/api/v1/movements/drive/pledges"))["items"]] == [
        "C2",
        "C1",
    ]
    assert [p["id"] for p in body(api.get("/api/v1/movements/drive/pledges?unit=C1"))["items"]] == [
        extra["id"]
    ]
    both = post(
        api,
        "/api/v1/movements/drive/pledges",
        {"unit": "C1", "indicator": "steel", "extra": 1, "extra_percent": 1},
    )
    assert problem(both, 422)["errors"][0]["field"] == "extra"
    assert Pledge.objects.count() == 2


def test_closed_movement_refuses_plans(api, movement):
    post(api, "/api/v1/movements/drive/close")
    response = post(
        api,
        "/api/v1/movements/drive/plans",
        {"rows": [{"unit": "KP", "indicator": "steel", "planned": "1"}]},
    )
    assert problem(response, 409)["detail"] == "Movement 'drive' is closed and read-only."


def test_movement_endpoints_with_unknown_slug_are_404(api, units):
    for response in (
        api.get("/api/v1/movements/nope"),
        api.get("/api/v1/movements/nope/indicators"),
        api.get("/api/v1/movements/nope/periods"),
        api.get("/api/v1/movements/nope/plans"),
        api.get("/api/v1/movements/nope/pledges"),
        post(api, "/api/v1/movements/nope/launch"),
        post(api, "/api/v1/movements/nope/close"),
        post(api, "/api/v1/movements/nope/periods/monthly"),
    ):
        problem(response, 404)


def test_periods_generated_every_week_then_kept(api, draft):
    generated = body(
        post(api, f"/api/v1/movements/{draft}/periods/generate", {"every": "week"}), 201
    )
    weeks = generated["periods"]
    assert weeks[0] == {
        "name": "Week 1 (1–2 Feb)",
        "starts_on": "2025-02-01",
        "ends_on": "2025-02-02",
        "is_whole": False,
        "days": 2,
    }
    assert weeks[1]["name"] == "Week 2 (3–9 Feb)" and weeks[-1]["ends_on"] == "2025-04-15"
    assert generated["added"] == [w["name"] for w in weeks]
    again = body(post(api, f"/api/v1/movements/{draft}/periods/generate", {"every": "week"}), 201)
    assert again["added"] == [] and again["periods"] == weeks
    crossing = problem(
        post(api, f"/api/v1/movements/{draft}/periods/generate", {"every": "month"}), 422
    )
    assert crossing["errors"][0] == {
        "row": 1,
        "field": "every",
        "message": "February 2025 crosses the existing period 'Week 5 (24 Feb–2 Mar)'",
        "code": "conflict",
    }
    fortnight = problem(
        post(api, f"/api/v1/movements/{draft}/periods/generate", {"every": "fortnight"}), 422
    )
    assert fortnight["errors"][0]["field"] == "every"


def test_custom_periods_as_a_list(api, draft):
    rows = [
        {"name": "Sowing", "starts_on": "2025-02-01", "ends_on": "2025-02-20"},
        {"name": "Tending", "starts_on": "2025-02-21", "ends_on": "2025-05-20"},
    ]
    refused = problem(
        post(api, f"/api/v1/movements/{draft}/periods/custom", {"periods": rows}), 422
    )
    assert [(e["row"], e["field"]) for e in refused["errors"]] == [(2, "starts_on")]
    rows[1]["ends_on"] = "2025-04-15"
    added = body(post(api, f"/api/v1/movements/{draft}/periods/custom", {"periods": rows}), 201)
    assert [p["name"] for p in added] == ["Sowing", "Tending"]


def test_secondments_to_a_brigade_are_set_listed_and_kept_apart_from_it(api, movement, units):
    from pacesetter.units.actions import UnitRow, import_units

    import_units(rows=[UnitRow(code="SB", name="Shock brigade", kind="brigade", parent_code="KP")])
    sent = body(
        post(
            api,
            "/api/v1/movements/drive/secondments",
            {"brigade": "SB", "home": "W1", "persons": 12, "note": "fitters"},
        ),
        201,
    )
    assert sent == {
        "brigade": "SB",
        "home": "W1",
        "home_name": "Unit W1",
        "persons": 12,
        "note": "fitters",
    }
    # Set again, the number is replaced; a second home unit is listed beside it.
    post(api, "/api/v1/movements/drive/secondments", {"brigade": "SB", "home": "W1", "persons": 9})
    post(api, "/api/v1/movements/drive/secondments", {"brigade": "SB", "home": "W3", "persons": 4})
    listed = body(api.get("/api/v1/movements/drive/secondments?brigade=SB"))
    assert [(s["home"], s["persons"]) for s in listed["items"]] == [("W1", 9), ("W3", 4)]
    # A home unit within the brigade, or the brigade within it, would count its work twice.
    refused = problem(
        post(
            api,
            "/api/v1/movements/drive/secondments",
            {"brigade": "C1", "home": "W1", "persons": 3},
        ),
        422,
    )
    assert refused["errors"][0]["code"] == "overlap"
    assert problem(
        post(
            api,
            "/api/v1/movements/drive/secondments",
            {"brigade": "SB", "home": "W1", "persons": 0},
        ),
        422,
    )
