import json

import pytest
from django.test import Client

from pacesetter.accounts.actions import create_token

PROBLEM = "application/problem+json"


@pytest.fixture
def token(user):
    """A live token of `user`, with its plain key."""
    return create_token(user=user, name="tests", scope="full")


@pytest.fixture
def api(token) -> Client:
    """A client that authenticates with the bearer token, as an integration would."""
    return Client(headers={"Authorization": f"Bearer {token[1]}"})


def problem(response, status: int) -> dict:
    """Assert the response is problem+json with `status`, and return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def post(client: Client, url: str, data=None, **extra):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def put(client: Client, url: str, data=None):
    return client.put(url, json.dumps(data), content_type="application/json")
