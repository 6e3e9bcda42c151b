import json
from decimal import Decimal

import pytest
from django.test import Client

from pacesetter.accounts.actions import create_token
from pacesetter.reserves.models import Reserve, ReserveEvent

PROBLEM = "application/problem+json"


def client_of(user) -> Client:
    return Client(
        headers={"Authorization": f"Bearer {create_token(user=user, name='t', scope='full')[1]}"}
    )


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def errors(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return {e["field"] for e in json.loads(response.content)["errors"]}


NEW = {
    "unit": "W1",
    "kind": "material",
    "description": "Cut the rebar from one plan",
    "estimated": "2.5",
    "measure": "t of steel",
}


def test_propose_review_accept_implement_verify_through_the_api(units, people, kim):
    member = client_of(people["member"])
    made = post(member, "/api/v1/reserves", {**NEW, "member": "M-1"})
    assert made.status_code == 201, made.content
    body = json.loads(made.content)
    assert (body["status"], body["estimated"], body["member"]) == ("proposed", "2.5", "M-1")
    assert body["allowed"] == []
    rid = body["id"]
    head = client_of(people["head"])
    for action, status in (
        ("review", "under_review"),
        ("accept", "accepted"),
        ("implement", "implemented"),
    ):
        answer = post(head, f"/api/v1/reserves/{rid}/transition", {"action": action})
        assert json.loads(answer.content)["status"] == status
    verifier = client_of(people["verifier"])
    done = post(
        verifier,
        f"/api/v1/reserves/{rid}/transition",
        {"action": "verify", "verified": "2.75", "measure": "t of steel"},
    )
    body = json.loads(done.content)
    assert (body["status"], body["verified"]) == ("verified", "2.75")
    assert [e["to_status"] for e in body["history"]] == [
        "proposed",
        "under_review",
        "accepted",
        "implemented",
        "verified",
    ]
    figures = json.loads(verifier.get("/api/v1/units/C1/reserve-figures").content)
    assert figures["verified"] == 1 and figures["members_verified"] == 1
    assert figures["members_verified_percent"] == "100.0"
    assert figures["measures"] == [
        {
            "measure": "t of steel",
            "proposed": 1,
            "implemented": 1,
            "verified": 1,
            "estimated_saving": "2.5",
            "verified_saving": "2.75",
        }
    ]


def test_refusals_name_the_field_and_change_nothing(units, people, user):
    api = client_of(user)
    assert errors(post(api, "/api/v1/reserves", {**NEW, "estimated": "1.2345"}), 422) == {
        "estimated"
    }
    assert errors(post(api, "/api/v1/reserves", {**NEW, "unit": "NOPE"}), 422) == {"unit"}
    assert "colour" in str(errors(post(api, "/api/v1/reserves", {**NEW, "colour": "red"}), 422))
    rid = json.loads(post(api, "/api/v1/reserves", NEW).content)["id"]
    url = f"/api/v1/reserves/{rid}/transition"
    assert errors(
        post(api, url, {"action": "verify", "verified": "1", "measure": "t of steel"}), 409
    ) == {"status"}
    assert errors(post(api, url, {"action": "decline"}), 422) == {"reason"}
    assert errors(post(api, url, {"action": "fly"}), 422) == {"action"}
    post(api, url, {"action": "accept"})
    post(api, url, {"action": "implement"})
    assert errors(post(api, url, {"action": "verify", "verified": "1", "measure": "kg"}), 422) == {
        "measure"
    }
    assert ReserveEvent.objects.count() == 3
    assert Reserve.objects.get().verified is None
    # a member may not accept: 403; an outsider does not see it: 404
    assert (
        post(client_of(people["member"]), url, {"action": "decline", "note": "x"}).status_code
        == 403
    )
    assert (
        post(client_of(people["outsider"]), url, {"action": "decline", "note": "x"}).status_code
        == 404
    )


def test_list_filters_by_subtree_status_and_kind(units, user):
    api = client_of(user)
    post(api, "/api/v1/reserves", NEW)
    post(api, "/api/v1/reserves", {**NEW, "unit": "W3", "kind": "energy", "measure": "kWh"})

    def ids(query):
        return [r["unit"] for r in json.loads(api.get("/api/v1/reserves" + query).content)]

    assert sorted(ids("")) == ["W1", "W3"]
    assert ids("?unit=C1") == ["W1"]
    assert ids("?kind=energy") == ["W3"]
    assert ids("?status=verified") == []
    assert errors(api.get("/api/v1/reserves?status=lost"), 422) == {"status"}


def test_a_viewer_lists_only_what_they_may_see(units, people, user):
    api = client_of(user)
    post(api, "/api/v1/reserves", NEW)
    post(api, "/api/v1/reserves", {**NEW, "unit": "W3"})
    seen = json.loads(client_of(people["viewer"]).get("/api/v1/reserves").content)
    assert [r["unit"] for r in seen] == ["W1"]


@pytest.mark.parametrize("value", ["0", "1e40"])
def test_out_of_range_estimates(units, user, value):
    assert errors(post(client_of(user), "/api/v1/reserves", {**NEW, "estimated": value}), 422) == {
        "estimated"
    }
    assert Decimal(0) == Reserve.objects.count()
