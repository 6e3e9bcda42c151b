"""Every write of the API refuses a field it does not know, by name: a misspelt field
(`parent_code` where the field is `parent`) silently ignored once made every imported unit a
root. The walk covers every JSON body in the OpenAPI document, so a new write schema that
forgets `extra="forbid"` fails here."""

from __future__ import annotations

import json

import pytest

from .conftest import post, problem

UNKNOWN = "unknown_field_xyz"


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        target = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _body_with_unknown_field(schema: dict, document: dict):
    """An object with the unknown field, or a list of one such object: the other fields may be
    missing, the answer must still name the unknown one among its errors."""
    schema = _resolve(schema, document)
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        return _body_with_unknown_field(branch, document)
    if schema.get("type") == "array":
        return [_body_with_unknown_field(schema["items"], document)]
    return {UNKNOWN: 1}


def _fill(path: str, operation: dict) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            kind = parameter.get("schema", {}).get("type")
            path = path.replace(f"{{{parameter['name']}}}", "1" if kind == "integer" else "x")
    return path


def _writes(document: dict):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                yield method, path, operation, content["application/json"]["schema"]


def test_every_json_write_refuses_an_unknown_field_by_name(api):
    document = json.loads(api.get("/api/v1/openapi.json").content)
    writes = list(_writes(document))
    assert len(writes) > 20  # the walk found the writes, not an empty document
    failures = []
    for method, path, operation, schema in writes:
        body = _body_with_unknown_field(schema, document)
        response = api.generic(
            method.upper(), _fill(path, operation), json.dumps(body), "application/json"
        )
        fields = (
            [error["field"] for error in json.loads(response.content).get("errors", [])]
            if response.status_code == 422
            else []
        )
        if not any(UNKNOWN in field for field in fields):
            failures.append(f"{method.upper()} {path}: {response.status_code} {fields}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("url", ["/api/v1/units", "/api/v1/units/import"])
def test_a_misspelt_parent_is_refused_not_ignored(api, units, url):
    row = {"code": "NEW", "name": "New", "kind": "workteam", "parent_code": "C1"}
    body = problem(post(api, url, [row] if url.endswith("import") else row), 422)
    assert "parent_code" in [error["field"] for error in body["errors"]]


def test_a_misspelt_column_of_past_awards_is_refused_not_ignored(api, units):
    """The awards import takes rows of text: a column it does not know (`signer` for
    `signer_name`) is a row error, not an award without its signer."""
    from pacesetter.titles import actions
    from tests.titles.conftest import PACKS

    actions.load_pack(text=(PACKS / "vn-emulation.yaml").read_text())
    row = {
        "unit": "C1",
        "title": "advanced_labour_collective",
        "year": "2020",
        "awarding_body": "Director",
        "decision_number": "1/QD",
        "decision_date": "2020-12-30",
        "signer": "Kim",
    }
    body = {"pack": "vn-emulation", "rows": [row], "source": "api"}
    refused = problem(post(api, "/api/v1/titles/awards/import", body), 422)
    assert [(e["row"], e["field"]) for e in refused["errors"]] == [(1, "signer")]
    refused = problem(post(api, "/api/v1/titles/awards/import", {**body, UNKNOWN: 1}), 422)
    assert UNKNOWN in [e["field"] for e in refused["errors"]]
