import pytest
from django.test import Client

from pacesetter.accounts.actions import create_token
from pacesetter.movements.selectors import movement_today
from tests.api.conftest import post, problem
from tests.drives.conftest import make_call


@pytest.fixture
def api(user):
    token = create_token(user=user, name="tests", scope="full")
    return Client(headers={"Authorization": f"Bearer {token[1]}"})


def test_donations_api_records_and_refuses_overdraw(donation_drive, api):
    url = "/api/v1/movements/rice/donations"
    response = post(
        api,
        url,
        {"donations": [{"item": "rice", "stage": "received", "unit": "W1", "quantity": "30"}]},
    )
    assert response.status_code == 201, response.content
    body = problem(
        post(
            api,
            url,
            {
                "donations": [
                    {
                        "item": "rice",
                        "stage": "distributed",
                        "unit": "W1",
                        "quantity": 31,
                        "recipient_name": "Hospital",
                    }
                ]
            },
        ),
        422,
    )
    assert body["errors"][0]["code"] == "insufficient_balance"
    totals = api.get(url).json()
    assert totals["items"][0]["received"] == "30" and totals["items"][0]["held"] == "30"


def test_public_sign_up_through_the_api_without_credentials(units, api):
    make_call(units, "open", quota=10)
    anonymous = Client()
    row = {"unit": "W1", "full_name": "A", "contact": "a@example.org", "idempotency_key": "k1"}
    response = post(anonymous, "/api/v1/movements/open/volunteers/signups", {"signups": [row]})
    assert response.status_code == 201, response.content
    code = response.json()["codes"][0]
    assert post(anonymous, "/api/v1/movements/open/volunteers/signups", {"signups": [row]}).json()[
        "codes"
    ] == [code]
    duplicate = {**row, "idempotency_key": "k2", "contact": "A@Example.org"}
    body = problem(
        post(anonymous, "/api/v1/movements/open/volunteers/signups", {"signups": [duplicate]}),
        422,
    )
    assert body["errors"][0]["code"] == "duplicate"
    assert anonymous.get(f"/api/v1/signups/{code}").json()["status"] == "signed_up"
    counts = api.get("/api/v1/movements/open/volunteers").json()
    assert counts["signups"] == 1 and counts["of_quota"] == "10.0"


def test_a_public_sign_up_takes_ten_queries_and_a_retry_seven(units, django_assert_num_queries):
    """The burst path (docs/performance.md): pinned so it cannot creep back. A new sign-up:
    the call by slug; in the transaction (a savepoint here, BEGIN IMMEDIATE in production)
    the call as it stands with scope and roles, the unit, stored keys and persons, the insert,
    the call's counters, the live totals, the audit row. A retry stops after the lookup."""
    make_call(units, "open", quota=10, asks_gender=True, roles=[("medic", "Medic")])
    anonymous = Client()
    url = "/api/v1/movements/open/volunteers/signups"
    row = {"unit": "W1", "full_name": "A", "contact": "a@example.org", "gender": "female"}
    # The call's first sign-up also posts to the ledger (then at most every 10 s).
    assert post(anonymous, url, {"signups": [{**row, "role": "medic"}]}).status_code == 201
    second = {**row, "contact": "b@example.org", "role": "medic", "idempotency_key": "k2"}
    with django_assert_num_queries(10) as new:
        response = post(anonymous, url, {"signups": [second]})
    assert response.status_code == 201, response.content
    with django_assert_num_queries(7) as retry:
        again = post(anonymous, url, {"signups": [second]})
    assert again.json()["codes"] == response.json()["codes"]
    queries = new.captured_queries + retry.captured_queries
    assert not [q["sql"] for q in queries if "ORDER BY" in q["sql"]]


def test_enlistment_api_days_show_missing(enlistment, api):
    day = movement_today(enlistment.movement)
    response = post(
        api,
        "/api/v1/movements/epidemic/enlistment",
        {"returns": [{"unit": "C1", "counts": {"medical": 5, "hygiene": 7}, "day": str(day)}]},
    )
    assert response.status_code == 201, response.content
    days = api.get("/api/v1/movements/epidemic/enlistment").json()["days"]
    assert days[0]["totals"] == {"medical": 5, "hygiene": 7} and days[0]["coverage"] == "33.3"
    assert days[1]["missing"] is True and days[1]["totals"] is None


def test_a_tally_through_the_api(units, api):
    make_call(units, "open", quota=100, asks_gender=True)
    url = "/api/v1/movements/open/volunteers/signups"
    row = {"unit": "W1", "gender": "female", "tally": 12, "idempotency_key": "station-1"}
    response = post(api, url, {"signups": [row]})
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 12 and len(response.json()["codes"]) == 12
    assert post(api, url, {"signups": [row]}).json()["replayed"] == 12
    refused = problem(post(Client(), url, {"signups": [row]}), 422)
    assert refused["errors"][0]["field"] == "tally"


# --- a row twice in one batch ----------------------------------------------------------------


def test_donations_a_key_twice_in_one_batch_counts_once_or_names_the_first_row(donation_drive, api):
    url = "/api/v1/movements/rice/donations"
    gift = {"item": "rice", "stage": "received", "unit": "W1", "quantity": "30"}
    response = post(
        api,
        url,
        {"donations": [{**gift, "idempotency_key": "g1"}, {**gift, "idempotency_key": "g1"}]},
    )
    assert response.status_code == 201, response.content
    assert api.get(url).json()["items"][0]["received"] == "30"  # counted once
    other = {**gift, "quantity": "5", "idempotency_key": "g2"}
    body = problem(post(api, url, {"donations": [{**gift, "idempotency_key": "g2"}, other]}), 409)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "idempotency_key")]
    assert (
        "key 'g2' is used by row 1 for a different donation entry" in body["errors"][0]["message"]
    )
    assert api.get(url).json()["items"][0]["received"] == "30"


def test_sign_ups_the_same_person_twice_in_one_batch_names_the_first_row(units, api):
    make_call(units, "twice", quota=10)
    row = {"unit": "W1", "full_name": "A", "contact": "a@example.org"}
    body = problem(
        post(
            api,
            "/api/v1/movements/twice/volunteers/signups",
            {"signups": [row, {"unit": "W2", "full_name": "B", "contact": "b@example.org"}, row]},
        ),
        422,
    )
    assert [(e["row"], e["code"], e["message"]) for e in body["errors"]] == [
        (3, "duplicate", "the same person as row 1")
    ]
    assert api.get("/api/v1/movements/twice/volunteers").json()["signups"] == 0


def test_enlistment_a_unit_and_day_twice_in_one_batch_names_the_first_row(enlistment, api):
    day = str(movement_today(enlistment.movement))
    counts = {"medical": 5, "hygiene": 7}
    body = problem(
        post(
            api,
            "/api/v1/movements/epidemic/enlistment",
            {"returns": [{"unit": "C1", "counts": counts, "day": day}] * 2},
        ),
        422,
    )
    (error,) = body["errors"]
    assert (error["row"], error["field"], error["code"]) == (2, "day", "duplicate")
    assert error["message"].startswith("row 1 already gives C1's return")
    days = api.get("/api/v1/movements/epidemic/enlistment").json()["days"]
    assert days[0]["totals"] is None
