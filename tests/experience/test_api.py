import datetime as dt
import json

import pytest
from django.test import Client

from pacesetter.accounts.actions import create_token
from pacesetter.experience import actions
from pacesetter.experience.models import Adoption, AdoptionWithdrawal, Practice
from tests.api.conftest import post, problem

from .conftest import DAY, publish, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(user):
    return Client(
        headers={"Authorization": f"Bearer {create_token(user=user, name='t', scope='full')[1]}"}
    )


def test_publish_adopt_withdraw_and_list(api, world):
    created = post(
        api,
        "/api/v1/movements/drive/practices",
        {"unit": "P2", "title": "Night shift", "text": "How.", "indicator": "steel"},
    )
    assert created.status_code == 201, created.content
    practice_id = created.json()["id"]
    assert created.json()["period"] == "Whole movement"
    adopted = post(
        api,
        f"/api/v1/practices/{practice_id}/adoptions",
        {"unit": "W1", "adopted_on": str(DAY), "note": "from Monday"},
    )
    assert adopted.status_code == 201 and adopted.json()["unit"]["code"] == "W1"
    listed = api.get("/api/v1/movements/drive/practices?unit=P2").json()
    assert [(p["id"], p["adopted_by"]) for p in listed] == [(practice_id, 1)]
    assert api.get("/api/v1/movements/drive/practices?unit=W1").json() == []
    withdrawn = post(api, f"/api/v1/adoptions/{adopted.json()['id']}/withdraw", {})
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn"]
    assert AdoptionWithdrawal.objects.count() == 1 and Adoption.objects.count() == 1
    again = problem(post(api, f"/api/v1/adoptions/{adopted.json()['id']}/withdraw", {}), 409)
    assert "already withdrawn" in again["detail"]


def test_bad_input_names_the_field_and_changes_nothing(api, world):
    body = problem(
        post(
            api,
            "/api/v1/movements/drive/practices",
            {"unit": "P2", "title": "x", "text": "y", "indicator": "nope"},
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["indicator"]
    practice = publish(world)
    future = str(dt.date.today() + dt.timedelta(days=30))
    body = problem(
        post(
            api, f"/api/v1/practices/{practice.pk}/adoptions", {"unit": "W1", "adopted_on": future}
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["adopted_on"]
    assert Practice.objects.count() == 1 and not Adoption.objects.exists()


def test_effect_endpoint_gives_every_number(api, world):
    practice = publish(world)
    record(world, {"W1": ["1", "1", "3", "3"], "W4": ["1", "1", "1", "1"]}, DAY - dt.timedelta(2))
    for code in ("W1", "W2", "W3"):
        actions.adopt_practice(practice=practice, unit=world["units"][code], adopted_on=DAY)
    body = json.loads(api.get(f"/api/v1/practices/{practice.pk}/effect?days=2").content)
    assert body["enough"] and (body["adopters"], body["comparison"]) == (3, 3)
    # W1 1 → 3, W2 and W3 0 → 0: adopters 1/3 → 1; W4 1 → 1, W5 and W6 nothing: 1/3 → 1/3
    assert body["adopters_before"] == "0.333333" and body["adopters_after"] == "1.000000"
    assert body["comparison_before"] == body["comparison_after"] == "0.333333"
    assert body["difference"] == "0.666667"
    assert "not proof of cause" in body["caveat"]
