import pytest

from pacesetter.voices.models import Voice

from .helpers import raise_one

API = "/api/v1"


@pytest.fixture
def call(client):
    def call(user, method, path, body=None):
        client.force_login(user)
        if method == "GET":
            return client.get(API + path)
        return client.post(API + path, body or {}, content_type="application/json")

    return call


def test_raise_answer_and_confirm_through_the_api(units, people, topic, call):
    made = call(
        people["member"],
        "POST",
        "/voices",
        {"topic": "housing", "unit": "W1", "subject": "Roof", "text": "Leaks", "key": "k1"},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["routing_rule"] == "topic housing: at the unit itself (W1)"
    assert body["raised_by"] == "member" and body["allowed"] == []
    again = call(
        people["member"],
        "POST",
        "/voices",
        {"topic": "housing", "unit": "W1", "subject": "Roof", "text": "Leaks", "key": "k1"},
    )
    assert again.json()["id"] == body["id"] and Voice.objects.count() == 1
    path = f"/voices/{body['id']}/steps"
    refused = call(people["head"], "POST", path, {"action": "resolve"})
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "status"
    answered = call(people["head"], "POST", path, {"action": "answer", "note": "Monday"})
    assert answered.status_code == 200 and answered.json()["answer"] == "Monday"
    done = call(people["member"], "POST", path, {"action": "confirm"})
    assert done.json()["status"] == "resolved"
    assert [e["kind"] for e in done.json()["events"]] == ["raised", "answered", "confirmed"]


def test_unknown_fields_and_bad_values_are_refused(units, people, topic, call):
    extra = call(
        people["member"],
        "POST",
        "/voices",
        {"topic": "housing", "unit": "W1", "subject": "x", "text": "y", "urgent": True},
    )
    assert extra.status_code == 422
    missing = call(
        people["member"],
        "POST",
        "/voices",
        {"topic": "nope", "unit": "W1", "subject": "x", "text": "y"},
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "topic"
    assert call(people["head"], "GET", "/voices?status=lost").status_code == 422


def test_an_anonymous_raiser_cannot_be_found_through_the_api(units, people, topic, call):
    voice = raise_one(units, topic, people["member"], anonymous=True, subject="Secret")
    named = raise_one(units, topic, people["member"], subject="Named")
    head = call(people["head"], "GET", f"/voices/{voice.pk}").json()
    assert head["text"] and head["raised_by"] is None
    assert {e["by"] for e in head["events"]} == {"anonymous"}
    listed = call(people["head"], "GET", "/voices?unit=W1").json()
    assert {v["subject"]: v["raised_by"] for v in listed} == {"Secret": None, "Named": "member"}
    other = call(people["other_member"], "GET", "/voices?unit=W1").json()
    assert [(v["subject"], v["raised_by"]) for v in other] == [("Named", None)]
    assert call(people["other_member"], "GET", f"/voices/{voice.pk}").status_code == 404
    assert call(people["outsider"], "GET", f"/voices/{named.pk}").status_code == 404
    mine = call(people["member"], "GET", "/voices?mine=true").json()
    assert {v["subject"] for v in mine} == {"Secret", "Named"}
    trail = call(people["organiser"], "GET", "/audit?action=voices.&limit=100")
    assert trail.status_code == 200
    rows = trail.json()["items"]
    raised = [
        r for r in rows if r["action"] == "voices.raise_voice" and r["target_id"] == str(voice.pk)
    ]
    assert [(r["actor"], r["ip"], r["user_agent"]) for r in raised] == [("anonymous", None, "")]
    assert "member" not in str(raised[0])


def test_topics_and_figures(units, people, topic, call):
    made = call(
        people["organiser"],
        "POST",
        "/voice-topics",
        {
            "code": "roads",
            "name": "Roads",
            "organiser": "P1",
            "route": "ancestor",
            "route_kind": "county",
            "deadline_days": 3,
        },
    )
    assert made.status_code == 200, made.content
    assert made.json()["route_kind"] == "county"
    bad = call(
        people["organiser"],
        "POST",
        "/voice-topics",
        {"code": "x", "name": "X", "organiser": "P1", "route": "named"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "route_unit"
    assert (
        call(
            people["head"], "POST", "/voice-topics", {"code": "y", "name": "Y", "organiser": "W1"}
        ).status_code
        == 403
    )
    raise_one(units, topic, people["member"])
    figures = call(people["head_above"], "GET", "/units/C1/voice-figures").json()
    assert (figures["received"], figures["open"]) == (1, 1)
    assert figures["topics"] == [
        {
            "topic": "housing",
            "received": 1,
            "open": 1,
            "overdue": 0,
            "escalated": 0,
            "answered": 0,
            "resolved": 0,
            "declined": 0,
        }
    ]
