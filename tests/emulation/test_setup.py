"""Ranking a block: the scoring's doors (the API and the set-up page), who may use them, and
a ranking made on the page that reports then move."""

import re

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from pacesetter.accounts.actions import create_token, grant_role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.core.errors import NotAllowed
from pacesetter.emulation import actions
from pacesetter.emulation.models import Scoring
from pacesetter.ledger import actions as ledger_actions
from pacesetter.movements import actions as movement_actions
from pacesetter.units import actions as unit_actions
from pacesetter.units.models import Block
from tests import factories
from tests.api.conftest import post, problem
from tests.conftest import DAY


def _person(units, role: str, unit: str, name: str):
    person = factories.UserFactory(username=name)
    grant_role(user=person, role=role, unit=units[unit])
    return person


def _client(person) -> Client:
    token = create_token(user=person, name="tests", scope="full")
    return Client(headers={"Authorization": f"Bearer {token[1]}"})


@pytest.fixture
def block(units):
    return unit_actions.create_block(
        code="counties", name="Counties", units=[units["C1"], units["C2"]]
    )


def test_only_an_organiser_of_the_movement_ranks_a_block(units, movement, block):
    def rank():
        return actions.create_scoring(
            movement=movement,
            block=block,
            code="c",
            name="C",
            components=[actions.ComponentSpec("steel")],
        )

    elsewhere = actor_for(_person(units, "organiser", "P2", "elsewhere"))
    with acting_as(elsewhere), pytest.raises((Http404, NotAllowed)):
        rank()
    with (
        acting_as(actor_for(_person(units, "reporter", "KP", "reporter"))),
        pytest.raises(NotAllowed),
    ):
        rank()
    assert not Scoring.objects.exists()


def test_api_ranks_a_block_by_a_weighted_score(units, movement, block):
    response = post(
        _client(_person(units, "organiser", "KP", "organiser")),
        "/api/v1/movements/drive/scorings",
        {
            "code": "score",
            "name": "Score",
            "block": "counties",
            "components": [
                {"indicator": "steel", "normalisation": "fulfilment", "weight": "2"},
                {"indicator": "losses", "weight": 1},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["block"] == "counties" and body["weighted"] is True
    assert [c["indicator"] for c in body["components"]] == ["steel", "losses"]


def test_api_lists_bad_components_by_row_and_refuses_unknown_fields(units, movement, block):
    api = _client(_person(units, "organiser", "KP", "organiser"))
    url = "/api/v1/movements/drive/scorings"
    body = problem(
        post(
            api,
            url,
            {
                "code": "set-up",
                "name": "S",
                "block": "counties",
                "components": [
                    {"indicator": "steel"},
                    {"indicator": "coal", "normalisation": "per_ton", "weight": "-1"},
                ],
            },
        ),
        422,
    )
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (1, "code"),
        (2, "indicator"),
        (2, "normalisation"),
        (2, "weight"),
    ]
    body = problem(
        post(
            api,
            url,
            {"code": "s", "name": "S", "block": "counties", "components": [], "method": "x"},
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["method"]
    body = problem(
        post(api, url, {"code": "s", "name": "S", "block": "nope", "components": []}), 422
    )
    assert body["errors"][0]["field"] == "block"
    reporter = _client(_person(units, "reporter", "KP", "reporter"))
    problem(
        post(
            reporter,
            url,
            {"code": "s", "name": "S", "block": "counties", "components": [{"indicator": "steel"}]},
        ),
        403,
    )
    assert not Scoring.objects.exists()


def test_block_form_refuses_units_outside_the_organisers_subtree(units, movement, client):
    client.force_login(_person(units, "organiser", "P1", "organiser"))
    movement_p1 = factories.movement(units["P1"], slug="p1")
    url = reverse("emulation-block-create", args=[movement_p1.slug])
    response = client.post(url, {"code": "mixed", "name": "Mixed", "units": "C1, W4"})
    assert response.status_code == 422
    assert "no unit with code &#x27;W4&#x27;" in response.content.decode()
    assert not Block.objects.exists()


def _order(content: bytes) -> list[str]:
    text = content.decode()
    return sorted(["C1", "C2"], key=lambda code: text.index(f"Unit {code}<"))


def test_organiser_makes_a_block_and_ranks_it_on_plan_fulfilment_then_reports_move_it(
    units, movement, client
):
    movement_actions.set_plans(
        movement=movement,
        rows=[
            movement_actions.PlanRow(unit_code="C1", indicator="steel", planned="100"),
            movement_actions.PlanRow(unit_code="C2", indicator="steel", planned="50"),
        ],
    )
    client.force_login(_person(units, "organiser", "KP", "organiser"))
    home = client.get(reverse("emulation-home", args=["drive"]))
    assert b"This movement ranks no block yet" in home.content
    assert reverse("emulation-set-up", args=["drive"]).encode() in home.content
    made = client.post(
        reverse("emulation-block-create", args=["drive"]),
        {"code": "counties", "name": "Counties", "units": "C1 C2"},
    )
    assert made.status_code == 302
    ranked = client.post(
        reverse("emulation-scoring-create", args=["drive"]),
        {
            "block": "counties",
            "code": "fulfilment",
            "name": "Counties by plan fulfilment",
            "indicator_1": "steel",
            "normalisation_1": "fulfilment",
        },
    )
    assert ranked.status_code == 302
    assert ranked["Location"] == "/movements/drive/emulation/fulfilment/"
    home = client.get(reverse("emulation-home", args=["drive"]))
    assert (
        b"ranks no block yet" not in home.content and b"Counties by plan fulfilment" in home.content
    )

    def record(unit, quantity, key):
        ledger_actions.record_reports(
            movement=movement,
            rows=[
                ledger_actions.ReportRow(
                    unit=unit, indicator="steel", day=DAY, quantity=quantity, idempotency_key=key
                )
            ],
            source="api",
        )

    record("C1", "60", "a")  # 60% of its plan
    record("C2", "20", "b")  # 40%
    board = client.get(ranked["Location"])
    assert _order(board.content) == ["C1", "C2"]
    record("C2", "20", "c")  # 80%: C2 overtakes C1
    board = client.get(ranked["Location"])
    assert _order(board.content) == ["C2", "C1"]


def test_scoring_form_puts_a_components_error_beside_its_row(units, movement, client):
    unit_actions.create_block(code="counties", name="Counties", units=[units["C1"]])
    client.force_login(_person(units, "organiser", "KP", "organiser"))
    response = client.post(
        reverse("emulation-scoring-create", args=["drive"]),
        {
            "block": "counties",
            "code": "twice",
            "name": "Twice",
            "indicator_1": "steel",
            "normalisation_1": "raw",
            "indicator_2": "steel",
            "normalisation_2": "raw",
        },
    )
    assert response.status_code == 422
    assert 'id="ranking_indicator_2_error"><li>given twice' in response.content.decode()


def test_set_up_page_reads_in_a_fixed_number_of_queries(
    units, movement, block, client, django_assert_num_queries
):
    actions.create_scoring(
        movement=movement,
        block=block,
        code="c",
        name="C",
        components=[actions.ComponentSpec("steel")],
    )
    client.force_login(_person(units, "organiser", "KP", "organiser"))
    url = reverse("emulation-set-up", args=["drive"])
    client.get(url)
    unit_actions.create_block(code="more", name="More", units=[units["C3"], units["W4"]])
    with django_assert_num_queries(8):
        page = client.get(url)
    assert page.status_code == 200 and b"More (more)" in page.content
    ids = re.findall(r' id="([^"]+)"', page.content.decode())
    assert len(ids) == len(set(ids))  # two forms with a code and a name each
