"""The verification API: the queue, a decision, a report's state and history; problems."""

import json

import pytest

from tests.api.conftest import post, problem
from tests.ledger.test_verification_queue import _flag, _reports

pytestmark = pytest.mark.usefixtures("hand_made_flags_only")


def test_api_queue_decision_and_history(api, movement):
    ids = _reports(movement, 2)
    _flag(ids[1])
    queue = json.loads(api.get(f"/api/v1/movements/{movement.slug}/verification/queue").content)
    assert queue["flagged_waiting"] == 1
    first = queue["results"][0]
    assert first["report"] == ids[1] and first["flags"][0]["kind"] == "over_capacity"
    assert first["quantity"] == "2.0" and first["effective"] == "2.0"
    made = post(
        api,
        f"/api/v1/reports/{ids[1]}/verification",
        {"decision": "reject", "reason": "no shift that day"},
    )
    assert made.status_code == 201, made.content
    decided = json.loads(made.content)
    assert decided["decision"] == "rejected" and decided["correction"]
    history = json.loads(api.get(f"/api/v1/reports/{ids[1]}/verification").content)
    assert history["state"] == "rejected" and not history["verified"]
    assert [d["reason"] for d in history["decisions"]] == ["no shift that day"]
    # The correction answers for its original.
    via_correction = json.loads(
        api.get(f"/api/v1/reports/{decided['correction']}/verification").content
    )
    assert via_correction["report"] == ids[1]
    listed = json.loads(api.get(f"/api/v1/reports/{ids[1]}").content)
    assert listed["verification"] == "rejected"


def test_api_refusals_are_problems(api, movement):
    ids = _reports(movement, 1)
    body = problem(post(api, f"/api/v1/reports/{ids[0]}/verification", {"decision": "reject"}), 422)
    assert body["errors"][0]["field"] == "reason"
    body = problem(
        post(api, f"/api/v1/reports/{ids[0]}/verification", {"decision": "confirm", "extra": 1}),
        422,
    )
    correction = post(
        api, f"/api/v1/reports/{ids[0]}/corrections", {"quantity": "3", "reason": "typo"}
    )
    correction_id = json.loads(correction.content)["id"]
    body = problem(
        post(api, f"/api/v1/reports/{correction_id}/verification", {"decision": "confirm"}), 422
    )
    assert body["errors"][0]["code"] == "not_original"
    problem(post(api, "/api/v1/reports/999999/verification", {"decision": "confirm"}), 404)
