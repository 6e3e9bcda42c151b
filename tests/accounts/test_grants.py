"""Granting roles and listing who holds them, on the roles page and through the API, as a
superuser (whose reach has no boundary) and as an organiser of a subtree."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from pacesetter.accounts.actions import create_token
from pacesetter.accounts.models import Grant, Role
from pacesetter.core.pagination import MAX_OFFSET
from tests import factories
from tests.api.conftest import post, problem


@pytest.fixture(params=["superuser", "organiser"])
def granter(request, units):
    if request.param == "superuser":
        return factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    organiser = factories.UserFactory(username="organiser")
    Grant.objects.create(user=organiser, role=Role.ORGANISER, unit=units["P1"])
    return organiser


@pytest.fixture
def alice(db):
    return factories.UserFactory(username="alice")


def bearer(user) -> Client:
    _token, key = create_token(user=user, name="tests", scope="full")
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_a_granted_role_is_listed_on_the_roles_page(granter, alice, units):
    client = Client()
    client.force_login(granter)
    response = client.post("/units/C1/roles/", {"username": "alice", "role": "reporter"})
    assert response.status_code == 302, response.content
    page = client.get("/units/C1/roles/").content.decode()
    assert "alice" in page
    assert "Nobody holds a role here yet" not in page


def test_a_granted_role_is_answered_and_listed_by_the_api(granter, alice, units):
    api = bearer(granter)
    response = post(api, "/api/v1/grants", {"username": "alice", "role": "reporter", "unit": "C1"})
    assert response.status_code == 201, response.content
    created = json.loads(response.content)
    assert created["username"] == "alice" and created["unit"] == "C1"
    listed = json.loads(api.get("/api/v1/grants", {"unit": "C1"}).content)
    assert [g["id"] for g in listed["items"]] == [created["id"]]
    withdrawn = post(api, f"/api/v1/grants/{created['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.content


@pytest.mark.parametrize("offset", [MAX_OFFSET + 1, 2**63])
def test_an_offset_past_the_bound_is_422_like_every_other_list(granter, offset):
    body = problem(bearer(granter).get("/api/v1/grants", {"offset": offset}), 422)
    assert body["errors"][0]["field"] == "offset"
