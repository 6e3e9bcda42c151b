import json

from django.test import Client

from pacesetter.accounts.actions import create_token
from pacesetter.visits import actions
from pacesetter.visits.models import FollowUpEvent, FollowUpTask, UnitVisitYear, Visit

PROBLEM = "application/problem+json"


def client_of(user) -> Client:
    return Client(
        headers={"Authorization": f"Bearer {create_token(user=user, name='t', scope='full')[1]}"}
    )


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return {e["field"] for e in json.loads(response.content).get("errors", [])}


NEW = {
    "unit": "W1",
    "visited_on": "2024-05-02",
    "purpose": "Harvest",
    "findings": "- belts worn\n- no oil",
    "visitors": ["head", "organiser"],
    "guest_names": ["Ri Myong Su"],
    "key": "v-1",
    "follow_ups": [{"what": "Send belts", "owner": "reporter", "due_on": "2024-05-20"}],
}


def test_record_read_list_mark_and_count_through_the_api(units, people):
    head = client_of(people["head"])
    made = post(head, "/api/v1/visits", NEW)
    assert made.status_code == 201, made.content
    body = json.loads(made.content)
    assert (body["unit"], body["visitors"], body["guest_names"]) == (
        "W1",
        ["head", "organiser"],
        ["Ri Myong Su"],
    )
    task = body["follow_ups"][0]
    assert (task["owner"], task["done"], task["due_on"]) == ("reporter", False, "2024-05-20")
    again = post(head, "/api/v1/visits", NEW)
    assert again.status_code == 200 and json.loads(again.content)["id"] == body["id"]
    assert problem(post(head, "/api/v1/visits", {**NEW, "purpose": "Other"}), 409) == {"key"}
    assert Visit.objects.count() == 1 and UnitVisitYear.objects.get().visits == 1
    assert FollowUpTask.objects.count() == 1  # a replay leaves no second follow-up

    reporter = client_of(people["reporter"])
    assert [v["id"] for v in json.loads(reporter.get("/api/v1/visits?unit=W1").content)] == [
        body["id"]
    ]
    marked = post(reporter, f"/api/v1/follow-ups/{task['id']}/mark", {"done": True, "note": "ok"})
    assert marked.status_code == 200, marked.content
    assert json.loads(marked.content)["events"][0]["by"] == "reporter (token t)"
    assert problem(post(reporter, f"/api/v1/follow-ups/{task['id']}/mark", {"done": True}), 409)
    overdue = json.loads(head.get("/api/v1/units/C1/overdue-follow-ups").content)
    assert overdue == []
    added = post(
        head,
        f"/api/v1/visits/{body['id']}/follow-ups",
        {"what": "Oil", "owner": "member", "due_on": "2024-06-01"},
    )
    assert added.status_code == 201
    overdue = json.loads(head.get("/api/v1/units/C1/overdue-follow-ups").content)
    assert [t["what"] for t in overdue] == ["Oil"]  # due 2024, not done
    counts = json.loads(client_of(people["organiser"]).get("/api/v1/visits/mine").content)
    assert counts == {
        "visits": 1,
        "units": 1,
        "years": [{"year": 2024, "visits": 1, "units": 1}],
    }
    assert FollowUpEvent.objects.count() == 1


def test_refusals_are_problems_naming_the_field(units, people):
    head = client_of(people["head"])
    assert problem(post(head, "/api/v1/visits", {**NEW, "unit": "W3"}), 422) == {"unit"}
    assert problem(post(client_of(people["reporter"]), "/api/v1/visits", NEW), 403) == {"unit"}
    bad = post(head, "/api/v1/visits", {**NEW, "visitors": ["ghost"], "purpose": " "})
    assert problem(bad, 422) == {"visitors", "purpose"}
    bad = post(
        head,
        "/api/v1/visits",
        {**NEW, "follow_ups": [{**NEW["follow_ups"][0], "owner": "head_c2"}]},
    )
    assert problem(bad, 422) == {"follow_ups.owner"}
    assert problem(post(head, "/api/v1/visits", {**NEW, "colour": "red"}), 422)
    assert not Visit.objects.exists()
    visit = actions.record_visit(unit="W3", visited_on="2024-01-01", purpose="x", guest_names=["A"])
    assert problem(head.get(f"/api/v1/visits/{visit.pk}"), 404) == set()
    assert (
        problem(
            post(
                head,
                f"/api/v1/visits/{visit.pk}/follow-ups",
                {"what": "x", "owner": "head", "due_on": "2024-02-01"},
            ),
            404,
        )
        == set()
    )


def test_lists_are_pinned(units, people, django_assert_max_num_queries):
    for i in range(30):
        actions.record_visit(
            unit=("W1", "W2", "C1")[i % 3],
            visited_on=f"2024-01-{i % 28 + 1:02d}",
            purpose=f"p{i}",
            visitors=["head", "organiser"],
        )
    api = client_of(people["head"])
    api.get("/api/v1/visits?unit=C1")
    with django_assert_max_num_queries(7):
        answer = api.get("/api/v1/visits?unit=C1")
    assert len(json.loads(answer.content)) == 30
    with django_assert_max_num_queries(6):
        counts = json.loads(api.get("/api/v1/visits/mine").content)
    assert (counts["visits"], counts["units"]) == (30, 3)
