"""The titles API: load a pack (errors by line), record facts, run, explain, vote, decide,
revoke, verify."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from pacesetter.accounts.actions import create_token
from pacesetter.titles.models import Award
from tests import factories
from tests.api.conftest import post, problem

from .conftest import PACKS

pytestmark = pytest.mark.django_db


def bearer(user) -> Client:
    _, key = create_token(user=user, name="tests", scope="full")
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def operator():
    return bearer(factories.UserFactory(username="operator", is_superuser=True))


def test_load_pack_errors_point_at_lines(operator):
    text = (PACKS / "vn-emulation.yaml").read_text().replace("value: good", "value: fine", 1)
    body = problem(post(operator, "/api/v1/titles/packs", {"text": text}), 422)
    line = text.splitlines().index("            value: fine") + 1
    assert body["errors"][0]["row"] == line
    assert body["errors"][0]["field"] == "advanced_worker.R2017.requires[0].value"


def test_the_whole_process_through_the_api(operator, people, units, council):
    response = post(
        operator, "/api/v1/titles/packs", {"text": (PACKS / "vn-emulation.yaml").read_text()}
    )
    assert response.status_code == 201 and json.loads(response.content)["revision"] == 1
    rows = [
        {
            "member": key,
            "year": "2024",
            "rating": "excellent" if key == "w1-0" else "good",
            "months_worked": "12",
        }
        for key in people
    ]
    bad = problem(
        post(
            operator,
            "/api/v1/titles/facts/evaluations",
            {"rows": [*rows, {"member": "x"}], "source": "api"},
        ),
        422,
    )
    assert bad["errors"][0]["row"] == len(rows) + 1
    assert json.loads(
        post(operator, "/api/v1/titles/facts/evaluations", {"rows": rows, "source": "api"}).content
    ) == {"recorded": 13}
    judged = [
        {"member": k, "year": "2024", "name": "self_reliance_and_solidarity", "value": "yes"}
        for k in people
    ]
    post(operator, "/api/v1/titles/facts/judgements", {"rows": judged[1:], "source": "api"})
    run = post(
        operator,
        "/api/v1/titles/runs",
        {"pack": "vn-emulation", "title": "advanced_worker", "year": 2024, "scope": "W1"},
    )
    assert run.status_code == 201
    run = json.loads(run.content)
    assert (run["rule_version"], run["candidates"], run["eligible"]) == ("R2024", 10, 9)
    failing = json.loads(
        operator.get(f"/api/v1/titles/runs/{run['id']}/candidates?show=not_eligible").content
    )
    assert [c["member"] for c in failing] == ["w1-0"]
    detail = json.loads(operator.get(f"/api/v1/titles/candidates/{failing[0]['id']}").content)
    assert detail["why_not"] == [
        "self-reliance, solidarity and active emulation (recorded): "
        "needs self_reliance_and_solidarity == yes, has nothing recorded"
    ]
    assert detail["explanation"]["passed"] is False

    body = problem(post(operator, f"/api/v1/titles/runs/{run['id']}/nominations"), 409)
    assert "needs no council vote" in body["detail"]

    # a title with a council vote: 4 of 5 = 80% carries
    post(operator, "/api/v1/titles/facts/judgements", {"rows": judged[:1], "source": "api"})
    run = json.loads(
        post(
            operator,
            "/api/v1/titles/runs",
            {"pack": "vn-emulation", "title": "advanced_worker", "year": 2024, "scope": "W1"},
        ).content
    )
    codes = json.loads(post(operator, f"/api/v1/titles/runs/{run['id']}/awards").content)
    assert len(codes) == 10
    run = json.loads(
        post(
            operator,
            "/api/v1/titles/runs",
            {"pack": "vn-emulation", "title": "grassroots_fighter", "year": 2024, "scope": "W1"},
        ).content
    )
    (nomination,) = json.loads(
        post(operator, f"/api/v1/titles/runs/{run['id']}/nominations").content
    )
    assert nomination["council_size"] == 5
    for user, choice in zip(council, ["yes", "yes", "yes", "yes", "no"], strict=True):
        response = post(
            bearer(user), f"/api/v1/titles/nominations/{nomination['id']}/votes", {"choice": choice}
        )
        assert response.status_code == 201
    problem(
        post(
            bearer(council[0]),
            f"/api/v1/titles/nominations/{nomination['id']}/votes",
            {"choice": "no"},
        ),
        409,
    )
    problem(
        post(bearer(council[0]), f"/api/v1/titles/nominations/{nomination['id']}/decision"), 403
    )
    decided = json.loads(
        post(operator, f"/api/v1/titles/nominations/{nomination['id']}/decision").content
    )
    assert decided["status"] == "awarded" and decided["result"].startswith(
        "4 yes of all 5 council members = 80.0%"
    )

    code = decided["award"]
    public = Client()
    verified = json.loads(public.get(f"/api/v1/titles/verify/{code}").content)
    # carried by the vote, not final until the awarding body's decision is recorded
    assert (verified["valid"], verified["final"], verified["decision"]) == (False, False, None)
    decision = {
        "number": "125/QD-UBND",
        "decided_on": decided_on(code),
        "awarding_body": "People's Committee",
        "signer_name": "Nguyen Van A",
    }
    body = problem(post(operator, f"/api/v1/titles/awards/{code}/decision", decision), 422)
    assert body["errors"][0]["field"] == "signer_position"
    problem(
        post(operator, f"/api/v1/titles/awards/{code}/decision", {**decision, "signer": "x"}),
        422,
    )
    decision["signer_position"] = "Chairman"
    problem(post(bearer(council[0]), f"/api/v1/titles/awards/{code}/decision", decision), 403)
    recorded = post(operator, f"/api/v1/titles/awards/{code}/decision", decision)
    assert recorded.status_code == 201
    problem(post(operator, f"/api/v1/titles/awards/{code}/decision", decision), 409)
    verified = json.loads(public.get(f"/api/v1/titles/verify/{code}").content)
    assert verified["valid"] is True and verified["holder"] == "Person W1-0"
    assert verified["decision"]["number"] == "125/QD-UBND" and verified["imported"] is False
    advanced = Award.objects.get(title__code="advanced_worker", member=people["w1-0"])
    revoked = post(
        operator,
        f"/api/v1/titles/awards/{advanced.code}/revocation",
        {"reason": "error", "revoked_on": advanced.awarded_on.isoformat()},
    )
    assert [r["award"] for r in json.loads(revoked.content)] == [advanced.code, code]
    verified = json.loads(public.get(f"/api/v1/titles/verify/{code}").content)
    assert verified["valid"] is False and verified["revoked_on"] == advanced.awarded_on.isoformat()


def decided_on(code: str) -> str:
    return Award.objects.get(code=code).awarded_on.isoformat()


def test_import_past_awards_through_the_api(operator, vn_pack, people):
    row = {
        "member": "w1-1",
        "title": "advanced_worker",
        "year": "2016",
        "awarding_body": "Director",
        "decision_number": "12/QD",
        "decision_date": "2016-12-20",
    }
    body = {"pack": "vn-emulation", "rows": [row], "source": "api"}
    preview = post(operator, "/api/v1/titles/awards/import", {**body, "dry_run": True})
    assert preview.status_code == 200 and json.loads(preview.content)["codes"] == []
    assert not Award.objects.exists()
    made = json.loads(post(operator, "/api/v1/titles/awards/import", body).content)
    assert [(c["year"], c["times"]) for c in made["created"]] == [(2016, 1)]
    again = json.loads(post(operator, "/api/v1/titles/awards/import", body).content)
    assert (again["created"], again["unchanged"]) == ([], 1)
    verified = json.loads(Client().get(f"/api/v1/titles/verify/{made['codes'][0]}").content)
    assert verified["valid"] and verified["imported"] and verified["decision"]["number"] == "12/QD"
    duplicate = problem(
        post(
            operator,
            "/api/v1/titles/awards/import",
            {**body, "rows": [row, {**row, "member": "w1-2"}, row]},
        ),
        422,
    )
    assert [(e["row"], e["code"]) for e in duplicate["errors"]] == [(3, "duplicate")]
    problem(post(operator, "/api/v1/titles/awards/import", {**body, "pack": "nope"}), 422)


def test_a_council_member_may_not_load_packs_or_run(people, units, council):
    client = bearer(council[0])
    problem(
        post(client, "/api/v1/titles/packs", {"text": (PACKS / "production.yaml").read_text()}), 403
    )
