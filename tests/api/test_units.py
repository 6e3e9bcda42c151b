"""The units API: the tree, import, blocks and members."""

import json

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from pacesetter.units.models import Block, Member, Unit
from tests.api.conftest import post, problem, put


def body(response, status=200):
    assert response.status_code == status, response.content
    return json.loads(response.content)


def test_create_and_get_unit(api, units):
    created = body(
        post(
            api,
            "/api/v1/units",
            {"code": "F1", "name": "Farm 1", "kind": "farm", "parent": "C1", "headcount": 40},
        ),
        201,
    )
    assert created == {
        **created,
        "code": "F1",
        "name": "Farm 1",
        "kind": "farm",
        "parent": "C1",
        "depth": 3,
        "headcount": 40,
        "archived": False,
    }
    assert body(api.get("/api/v1/units/F1")) == created
    root = body(post(api, "/api/v1/units", {"code": "R", "name": "Root", "kind": "country"}), 201)
    assert root["parent"] is None and root["depth"] == 0


def test_create_unit_refuses_an_existing_code_without_touching_it(api, units):
    response = post(
        api, "/api/v1/units", {"code": "W1", "name": "Renamed", "kind": "workteam", "parent": "C1"}
    )
    assert problem(response, 422)["errors"] == [
        {
            "row": 1,
            "field": "code",
            "message": "the code 'W1' is already in use",
            "code": "duplicate",
        }
    ]
    assert Unit.objects.get(code="W1").name == "Unit W1"


def test_create_unit_with_unknown_parent_is_422(api, units):
    response = post(
        api, "/api/v1/units", {"code": "X", "name": "X", "kind": "farm", "parent": "NOPE"}
    )
    assert problem(response, 422)["errors"] == [
        {"row": 1, "field": "parent", "message": "no unit with code 'NOPE'", "code": "not_found"}
    ]
    assert not Unit.objects.filter(code="X").exists()


def test_move_unit_moves_its_subtree(api, units):
    moved = body(post(api, "/api/v1/units/C1/move", {"parent": "P2"}))
    assert moved["parent"] == "P2"
    assert Unit.objects.get(code="W1").path.startswith(Unit.objects.get(code="P2").path)


def test_move_a_root_under_another_root(api, movement, units):
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W1", indicator="steel", day="2025-03-10", quantity="5")],
        source="api",
    )
    body(post(api, "/api/v1/units", {"code": "R2", "name": "Root 2", "kind": "country"}), 201)
    moved = body(post(api, "/api/v1/units/KP/move", {"parent": "R2"}))
    assert moved["parent"] == "R2" and moved["depth"] == 1
    assert body(api.get("/api/v1/units/W1"))["depth"] == 4


def test_move_into_own_subtree_is_409(api, units):
    body_ = problem(post(api, "/api/v1/units/P1/move", {"parent": "W1"}), 409)
    assert body_["detail"] == "Cannot move P1 under W1: W1 is inside its subtree."
    assert Unit.objects.get(code="P1").parent.code == "KP"


def test_archive_unit_archives_its_subtree(api, units):
    assert body(post(api, "/api/v1/units/C1/archive"))["archived"] is True
    assert set(Unit.objects.filter(archived=True).values_list("code", flat=True)) == {
        "C1",
        "W1",
        "W2",
    }


def test_delete_unit_without_history(api, units):
    assert api.delete("/api/v1/units/W3").status_code == 204
    assert not Unit.objects.filter(code="W3").exists()
    problem(api.get("/api/v1/units/W3"), 404)


def test_delete_unit_with_children_or_reports_is_409(api, movement, units):
    assert problem(api.delete("/api/v1/units/C2"), 409)["detail"] == (
        "C2 has units under it; move or archive them first."
    )
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W3", indicator="steel", day="2025-03-10", quantity="1")],
        source="api",
    )
    assert "has history" in problem(api.delete("/api/v1/units/W3"), 409)["detail"]
    assert Unit.objects.filter(code__in=["C2", "W3"]).count() == 2


def test_subtree_is_paginated_depth_first(api, units):
    first = body(api.get("/api/v1/units/P1/subtree?limit=3"))
    rest = body(api.get("/api/v1/units/P1/subtree?limit=3&offset=3"))
    assert first["count"] == 5
    assert [u["code"] for u in first["items"] + rest["items"]] == ["C1", "W1", "W2", "C2", "W3"]


def test_ancestors_and_children(api, units):
    assert [u["code"] for u in body(api.get("/api/v1/units/W1/ancestors"))] == ["KP", "P1", "C1"]
    assert body(api.get("/api/v1/units/KP/ancestors")) == []
    children = body(api.get("/api/v1/units/KP/children"))
    assert [u["code"] for u in children["items"]] == ["P1", "P2"]


def test_import_units_creates_parents_before_children(api, units):
    rows = [
        {"code": "T2", "name": "Team 2", "kind": "workteam", "parent": "E1"},
        {
            "code": "E1",
            "name": "Enterprise",
            "kind": "enterprise",
            "parent": "C3",
            "headcount": 200,
        },
        {"code": "W4", "name": "Renamed W4", "kind": "workteam", "parent": "C3", "headcount": "12"},
    ]
    result = body(post(api, "/api/v1/units/import", rows))
    assert result == {"created": 2, "updated": 1, "unchanged": 0, "kinds_created": ["workteam"]}
    assert Unit.objects.get(code="T2").parent.code == "E1"
    assert Unit.objects.get(code="W4").headcount == 12


def test_import_units_lists_every_bad_row_and_writes_nothing(api, units):
    rows = [
        {"code": "OK1", "name": "Fine", "kind": "farm", "parent": "KP"},
        {"code": "BAD", "name": "", "kind": "farm", "parent": "NOWHERE", "headcount": "many"},
        {"code": "W1", "name": "Moved?", "kind": "workteam", "parent": "C3"},
    ]
    body_ = problem(post(api, "/api/v1/units/import", rows), 422)
    assert body_["type"] == "urn:pacesetter:problem:validation-failed"
    assert body_["errors"] == [
        {"row": 2, "field": "name", "message": "a name is required", "code": "required"},
        {
            "row": 2,
            "field": "headcount",
            "message": "a whole number from 0 to 2,147,483,647 is required",
            "code": "invalid",
        },
        {
            "row": 2,
            "field": "parent",
            "message": "no unit with code 'NOWHERE'",
            "code": "not_found",
        },
        {
            "row": 3,
            "field": "parent",
            "message": "unit 'W1' is under 'C1'; move it with the move action instead",
            "code": "move_required",
        },
    ]
    assert not Unit.objects.filter(code__in=["OK1", "BAD"]).exists()
    assert Unit.objects.get(code="W1").name == "Unit W1"


def test_import_units_shape_errors_name_the_row(api, units):
    rows = [
        {"code": "A", "name": "A", "kind": "farm"},
        {"code": "B", "name": "B", "kind": "farm", "headcount": [3]},
    ]
    assert problem(post(api, "/api/v1/units/import", rows), 422)["errors"] == [
        {
            "row": 2,
            "field": "headcount",
            "message": "Input should be a valid string",
            "code": "string_type",
        }
    ]
    assert not Unit.objects.filter(code="A").exists()


def test_blocks_create_list_get_and_set_units(api, units):
    created = body(
        post(
            api,
            "/api/v1/blocks",
            {"code": "steel-works", "name": "Steel works", "units": ["W2", "W1"]},
        ),
        201,
    )
    assert created == {
        "code": "steel-works",
        "name": "Steel works",
        "description": "",
        "units": ["W1", "W2"],
    }
    post(
        api, "/api/v1/blocks", {"code": "counties", "name": "Counties", "units": ["C1", "C2", "C3"]}
    )
    listed = body(api.get("/api/v1/blocks"))
    assert [b["code"] for b in listed["items"]] == ["counties", "steel-works"]
    assert [b["code"] for b in body(api.get("/api/v1/blocks?unit=W1"))["items"]] == ["steel-works"]
    replaced = body(put(api, "/api/v1/blocks/steel-works/units", {"units": ["W3", "W4"]}))
    assert replaced["units"] == ["W3", "W4"]
    assert body(api.get("/api/v1/blocks/steel-works")) == replaced


def test_block_with_unknown_units_is_422_and_not_created(api, units):
    response = post(api, "/api/v1/blocks", {"code": "b", "name": "B", "units": ["W1", "X1", "X2"]})
    assert problem(response, 422)["errors"] == [
        {"row": 1, "field": "units", "message": "no unit with code 'X1'", "code": "not_found"},
        {"row": 1, "field": "units", "message": "no unit with code 'X2'", "code": "not_found"},
    ]
    assert not Block.objects.exists()
    problem(put(api, "/api/v1/blocks/nope/units", {"units": []}), 404)


def test_duplicate_block_code_is_422(api, units):
    post(api, "/api/v1/blocks", {"code": "b", "name": "B"})
    assert (
        problem(post(api, "/api/v1/blocks", {"code": "b", "name": "B again"}), 422)["errors"][0][
            "code"
        ]
        == "duplicate"
    )


def test_members_create_and_list(api, units):
    created = body(
        post(api, "/api/v1/units/W1/members", {"full_name": "Ri Su Ok", "external_id": "M-1"}), 201
    )
    assert created == {
        **created,
        "unit": "W1",
        "full_name": "Ri Su Ok",
        "external_id": "M-1",
        "active": True,
    }
    post(api, "/api/v1/units/W1/members", {"full_name": "An Chol"})
    post(api, "/api/v1/units/W2/members", {"full_name": "Elsewhere"})
    listed = body(api.get("/api/v1/units/W1/members"))
    assert listed["count"] == 2 and [m["full_name"] for m in listed["items"]] == [
        "An Chol",
        "Ri Su Ok",
    ]


def test_member_needs_a_name(api, units):
    response = post(api, "/api/v1/units/W1/members", {"full_name": "  "})
    assert problem(response, 422)["errors"] == [
        {"row": 1, "field": "full_name", "message": "a name is required", "code": "invalid"}
    ]
    assert not Member.objects.exists()


def test_duplicate_member_external_id_is_a_field_error_not_500(api, units):
    post(api, "/api/v1/units/W1/members", {"full_name": "A", "external_id": "M-1"})
    body = problem(
        post(api, "/api/v1/units/W2/members", {"full_name": "B", "external_id": "M-1"}), 422
    )
    assert body["errors"][0]["field"] == "external_id"
    assert Member.objects.count() == 1


def test_unit_endpoints_with_unknown_code_are_404(api, units):
    for response in (
        api.get("/api/v1/units/NOPE/subtree"),
        api.get("/api/v1/units/NOPE/children"),
        api.get("/api/v1/units/NOPE/ancestors"),
        api.get("/api/v1/units/NOPE/members"),
        post(api, "/api/v1/units/NOPE/archive"),
        post(api, "/api/v1/units/NOPE/move", {"parent": "KP"}),
        api.delete("/api/v1/units/NOPE"),
    ):
        problem(response, 404)


def test_unit_plans_keep_it_from_deletion(api, movement, units):
    movement_actions.set_plans(
        movement=movement, rows=[movement_actions.PlanRow("W4", "steel", "5")]
    )
    problem(api.delete("/api/v1/units/W4"), 409)


def test_a_code_taken_in_a_hidden_subtree_is_refused_in_the_words_of_any_taken_code(units):
    from django.test import Client

    from pacesetter.accounts.actions import create_token
    from pacesetter.accounts.models import Grant, Role
    from tests import factories

    head = factories.UserFactory(username="p1-head")
    Grant.objects.create(user=head, role=Role.ORGANISER, unit=units["P1"])
    api = Client(
        headers={"Authorization": f"Bearer {create_token(user=head, name='t', scope='full')[1]}"}
    )
    answers = {}
    for code in ("W1", "W4"):  # W1 lies in P1, which the head sees; W4 in P2, which they do not
        answers[code] = problem(
            post(
                api,
                "/api/v1/units",
                {"code": code, "name": "New", "kind": "workteam", "parent": "C1"},
            ),
            422,
        )
    hidden, visible = answers["W4"], answers["W1"]
    assert hidden["errors"] == [
        {
            "row": 1,
            "field": "code",
            "message": "the code 'W4' is already in use",
            "code": "duplicate",
        }
    ]
    assert hidden["detail"] == visible["detail"].replace("W1", "W4")
    assert "Unit W4" not in json.dumps(hidden) and "P2" not in json.dumps(hidden)
