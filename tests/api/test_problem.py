"""Every refusal is application/problem+json (RFC 9457), whoever raised it."""

import json

from django.test import Client

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


def date_query_parameters(api) -> list[tuple[str, str, str]]:
    """(address, parameter, format) of every date and date-time query parameter the API has."""
    schema = json.loads(api.get("/api/v1/openapi.json").content)
    found = []
    for address, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                shapes = [parameter["schema"], *parameter["schema"].get("anyOf", [])]
                for format_ in {s.get("format") for s in shapes} & {"date", "date-time"}:
                    found.append((address, parameter["name"], format_))
    return found


def test_date_query_parameters_refuse_bare_numbers_and_take_written_dates(api, movement):
    parameters = date_query_parameters(api)
    assert {name for _a, name, _f in parameters} >= {"day_from", "day_to", "since", "until"}
    # what else an address requires, so that only the date is wrong
    required = {"/api/v1/units/{code}/visit-coverage": {"kind": "county", "start": "2025-01-01"}}
    for address, name, format_ in parameters:
        url = address.replace("{slug}", "drive").replace("{code}", "KP")
        others = required.get(address, {})
        for bare in ("0", "0.5", "1741600000", "2025-3-1"):
            body = problem(api.get(url, {**others, name: bare}), 422)
            assert [e["field"] for e in body["errors"]] == [name], (url, name, bare)
        written = "2025-03-10" if format_ == "date" else "2025-03-10T08:00:00+01:00"
        assert api.get(url, {**others, name: written}).status_code != 422, (url, name)


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


# --- errors raised around the endpoints, not in them --------------------------------------

REPORTS = "/api/v1/movements/drive/reports"


def test_openapi_marks_public_sign_ups_and_documents_a_single_report_body(api):
    schema = json.loads(api.get("/api/v1/openapi.json").content)
    paths = schema["paths"]
    signed_in = paths["/api/v1/movements"]["get"]["security"]
    for address, method in [
        ("/api/v1/movements/{slug}/volunteers/signups", "post"),
        ("/api/v1/signups/{code}", "get"),
    ]:
        assert paths[address][method]["security"] == [*signed_in, {}], address
    body = paths["/api/v1/movements/{slug}/reports"]["post"]["requestBody"]
    reports_in = schema["components"]["schemas"][
        body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ]
    batch, one = reports_in["oneOf"]
    assert (
        batch["properties"]["reports"]["items"] == one == {"$ref": "#/components/schemas/ReportIn"}
    )


def test_a_body_over_the_limit_is_413_problem_naming_the_limit(api, movement, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(REPORTS, "x" * 1001, content_type="application/json")
    body = problem(response, 413)
    assert body["detail"].startswith("The body is 1,001 bytes; the API takes at most 1,000 bytes.")


def test_a_body_that_is_not_json_is_415_problem(api, movement):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        response = api.post(REPORTS, json.dumps({"unit": "W1"}), content_type=content_type)
        assert problem(response, 415)["detail"].startswith(f"The body is {content_type};")
        assert response["Accept"] == "application/json"
    # A form or an upload too: no endpoint of the API takes one.
    problem(api.post(REPORTS, {"unit": "W1"}), 415)
    # A write without a body has nothing to misread.
    response = api.post("/api/v1/movements/drive/close", "", content_type="text/plain")
    assert response.status_code == 200, response.content


def test_a_method_the_address_does_not_take_is_405_problem(api, units):
    response = api.put("/api/v1/units", json.dumps({}), content_type="application/json")
    body = problem(response, 405)
    assert response["Allow"] == "POST"
    assert body["detail"] == "This address does not take the method PUT; it takes POST."


def test_an_address_under_api_outside_v1_is_404_problem(client):
    problem(client.get("/api/v0/units"), 404)
    problem(client.get("/api"), 404)
    assert client.get("/apiary")["Content-Type"].startswith("text/html")


def test_a_suspicious_request_is_400_problem(api, units):
    # Django refuses an unknown host before any view: its handler400 is HTML for pages.
    problem(api.get("/api/v1/units", HTTP_HOST="evil.example"), 400)


def test_a_server_error_is_500_problem(token, units, monkeypatch):
    from pacesetter.units import api as units_api

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(units_api, "unit_or_404", fail)
    client = Client(headers={"Authorization": f"Bearer {token[1]}"}, raise_request_exception=False)
    body = problem(client.get("/api/v1/units/KP"), 500)
    assert "boom" not in body["detail"]


def test_a_database_refusal_is_409_problem_naming_the_rule(api, units, monkeypatch):
    from pacesetter.units import actions
    from pacesetter.units.models import Unit

    def break_the_depth_rule(*, unit, new_parent):
        Unit.objects.filter(pk=unit.pk).update(depth=0)

    monkeypatch.setattr(actions, "move_unit", break_the_depth_rule)
    body = problem(post(api, "/api/v1/units/C1/move", {"parent": "P2"}), 409)
    assert "unit_depth_matches_parent" in body["detail"]
    assert body["errors"][0]["field"] == "body"
    assert "unit_depth_matches_parent" in body["errors"][0]["message"]


def test_a_session_write_without_the_csrf_token_is_403_problem(user, units):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    body = problem(post(client, "/api/v1/units", {"code": "N", "name": "N", "kind": "farm"}), 403)
    assert "X-CSRFToken" in body["detail"]


def test_a_403_from_an_action_is_problem(token, units):
    from pacesetter.accounts.models import Grant, Role
    from tests import factories

    viewer = factories.UserFactory(username="viewer")
    Grant.objects.create(user=viewer, role=Role.VIEWER, unit=units["KP"])
    client = Client()
    client.force_login(viewer)
    response = post(
        client, "/api/v1/units", {"code": "N", "name": "N", "kind": "farm", "parent": "KP"}
    )
    problem(response, 403)


# --- control characters (core.text) -------------------------------------------------------


def test_a_control_character_in_a_bulk_body_names_its_row_and_field(api, movement):
    from pacesetter.ledger.models import Report

    rows = [
        {"unit": "W1", "indicator": "steel", "day": "2025-03-10", "quantity": "1"},
        {"unit": "W2", "indicator": "steel", "day": "2025-03-10", "quantity": "1"},
    ]
    rows[1]["idempotency_key"] = "key\u0000"
    rows[0]["member"] = "a\bb"  # backspace, sent as the JSON escape \b
    body = problem(post(api, REPORTS, {"reports": rows}), 422)
    assert body["type"] == "urn:pacesetter:problem:invalid-request"
    assert body["errors"] == [
        {
            "row": 1,
            "field": "member",
            "message": "contains the control character U+0008, which text may not hold; remove it.",
            "code": "control_character",
        },
        {
            "row": 2,
            "field": "idempotency_key",
            "message": "contains the control character U+0000, which text may not hold; remove it.",
            "code": "control_character",
        },
    ]
    assert not Report.objects.exists()


def test_a_control_character_in_the_query_string_is_refused(api, movement):
    body = problem(api.get(REPORTS, {"unit": "W1\u001b"}), 422)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(1, "unit")]


def test_tabs_and_line_breaks_are_text(api, units):
    response = post(
        api,
        "/api/v1/units",
        {"code": "T1", "name": "Two\tlines\r\nof name", "kind": "farm", "parent": "KP"},
    )
    assert response.status_code == 201, response.content
