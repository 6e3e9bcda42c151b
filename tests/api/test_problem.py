"""Every refusal is application/problem+json (RFC 9457), whoever raised it."""

import json

from pacesetter.core.problem import row_errors_from_validation
from tests.api.conftest import post, problem


def test_unknown_object_is_404_problem(api, units):
    body = problem(api.get("/api/v1/units/NOPE"), 404)
    assert body["type"] == "about:blank" and body["title"] == "Not Found"
    assert body["detail"] == "No unit with code 'NOPE'." and body["errors"] == []


def test_unknown_address_under_the_api_is_404_problem(api, client):
    assert problem(api.get("/api/v1/no/such/thing"), 404)["detail"] == (
        "There is no API endpoint at /api/v1/no/such/thing."
    )
    problem(client.delete("/api/v1/no/such/thing"), 404)  # even without credentials


def test_malformed_json_is_400_problem(api, units):
    response = api.post("/api/v1/units", "{not json", content_type="application/json")
    assert problem(response, 400)["detail"].startswith("Cannot parse request body")


def test_request_validation_is_422_problem_with_field_errors(api, units):
    body = problem(
        post(api, "/api/v1/units", {"name": "No code", "kind": "farm", "headcount": -1}), 422
    )
    assert body["type"] == "urn:pacesetter:problem:invalid-request"
    assert body["errors"] == [
        {"row": 1, "field": "code", "message": "Field required", "code": "missing"},
        {
            "row": 1,
            "field": "headcount",
            "message": "Input should be greater than or equal to 0",
            "code": "greater_than_equal",
        },
    ]


def test_query_parameter_errors_name_the_parameter(api, movement):
    body = problem(api.get("/api/v1/movements/drive/reports?limit=5000"), 422)
    assert body["errors"] == [
        {
            "row": 1,
            "field": "limit",
            "message": "Input should be less than or equal to 1000",
            "code": "less_than_equal",
        }
    ]


def test_action_errors_keep_their_status_title_and_rows(api, movement):
    body = problem(
        post(
            api,
            "/api/v1/movements/drive/indicators",
            {"code": "x", "name": "X", "unit_of_measure": "t"},
        ),
        409,
    )
    assert body["type"] == "urn:pacesetter:problem:state-error"
    assert body["title"] == "Not possible in the current state"
    assert body["detail"] == "Indicators can be added only while the movement is a draft."


def test_row_errors_from_validation_locations():
    errors = row_errors_from_validation(
        [
            {"loc": ("body", "payload", "reports", 2, "quantity"), "msg": "bad", "type": "t"},
            {"loc": ("body", "rows", 0, "headcount"), "msg": "bad", "type": "t"},
            {"loc": ("query", "limit"), "msg": "bad", "type": "t"},
            {"loc": ("body", "payload"), "msg": "bad", "type": "t"},
        ]
    )
    assert [(e.row, e.field) for e in errors] == [
        (3, "quantity"),
        (1, "headcount"),
        (1, "limit"),
        (1, "body"),
    ]


def test_openapi_documents_every_app_and_problem_responses(api):
    schema = json.loads(api.get("/api/v1/openapi.json").content)
    tags = {tag for path in schema["paths"].values() for op in path.values() for tag in op["tags"]}
    assert {"units", "blocks", "members", "movements", "reports", "figures"} <= tags
    refused = schema["paths"]["/api/v1/movements/{slug}/reports"]["post"]["responses"]["409"]
    assert list(refused["content"]) == ["application/problem+json"]
    assert {"TokenAuth", "SessionAuth"} <= schema["components"]["securitySchemes"].keys()
    assert api.get("/api/v1/docs").status_code == 200
