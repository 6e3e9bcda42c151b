"""Who may call the API: a bearer token or a signed-in session (with CSRF on writes)."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from pacesetter.accounts import actions
from pacesetter.accounts.models import ApiToken, Grant, Role
from pacesetter.core.errors import ValidationFailed
from pacesetter.units.models import Unit
from tests import factories
from tests.api.conftest import post, problem

NEW_UNIT = {"code": "NEW", "name": "New unit", "kind": "farm", "parent": "KP"}


def test_create_token_returns_the_key_once_and_stores_only_its_hash(user):
    token, key = actions.create_token(user=user, name="field app")
    assert key.startswith(f"ps_{token.key_prefix}_") and len(token.key_prefix) == 8
    assert len(key.removeprefix(f"ps_{token.key_prefix}_")) >= 43  # 32 random bytes
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == actions.hash_key(key) and len(stored.key_hash) == 64
    assert key not in {str(v) for v in ApiToken.objects.values().get(pk=token.pk).values()}
    assert str(stored) == f"field app (ps_{token.key_prefix}…)"


def test_create_token_refuses_a_past_expiry_and_an_empty_name(user):
    with pytest.raises(ValidationFailed) as caught:
        actions.create_token(user=user, name="x", expires_at=timezone.now() - dt.timedelta(1))
    assert caught.value.errors[0].field == "expires_at"
    with pytest.raises(ValidationFailed) as caught:
        actions.create_token(user=user, name="  ")
    assert caught.value.errors[0].field == "name"
    assert not ApiToken.objects.exists()


def test_no_credentials_is_401_problem_for_reads_and_writes(client, units):
    for response in (client.get("/api/v1/units/KP"), post(client, "/api/v1/units", NEW_UNIT)):
        body = problem(response, 401)
        assert body["type"] == "about:blank" and body["title"] == "Unauthorized"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Unit.objects.filter(code="NEW").exists()


def test_a_token_authenticates_and_its_use_is_recorded(api, token, units):
    assert token[0].last_used_at is None
    response = api.get("/api/v1/units/KP")
    assert response.status_code == 200 and json.loads(response.content)["code"] == "KP"
    assert ApiToken.objects.get(pk=token[0].pk).last_used_at is not None


def test_a_token_write_needs_no_csrf(token, units):
    strict = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token[1]}"})
    assert post(strict, "/api/v1/units", NEW_UNIT).status_code == 201


@pytest.mark.parametrize(
    "header",
    ["Bearer ps_notarealkey_xxxxxxxx", "Bearer something-else", "Bearer "],
)
def test_unknown_token_is_401(units, header):
    body = problem(Client(headers={"Authorization": header}).get("/api/v1/units/KP"), 401)
    assert body["detail"] == "The bearer token is not valid."


def test_revoked_token_is_401(api, token, units):
    actions.revoke_token(token=token[0])
    first = ApiToken.objects.get(pk=token[0].pk).revoked_at
    actions.revoke_token(token=token[0])  # idempotent: the first revocation time stays
    assert ApiToken.objects.get(pk=token[0].pk).revoked_at == first
    body = problem(api.get("/api/v1/units/KP"), 401)
    assert body["detail"] == "The bearer token was revoked."
    assert problem(post(api, "/api/v1/units", NEW_UNIT), 401)
    assert not Unit.objects.filter(code="NEW").exists()


def test_expired_token_is_401(user, units):
    token, key = actions.create_token(
        user=user, name="short", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    client = Client(headers={"Authorization": f"Bearer {key}"})
    assert client.get("/api/v1/units/KP").status_code == 200
    # Time passes: the expiry is now behind us.
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    body = problem(client.get("/api/v1/units/KP"), 401)
    assert body["detail"] == "The bearer token has expired."


def test_token_of_an_inactive_user_is_401(api, user, units):
    user.is_active = False
    user.save()
    assert problem(api.get("/api/v1/units/KP"), 401)["detail"] == "The bearer token is not valid."


def test_a_bad_token_is_not_rescued_by_a_session(user, units):
    client = Client(headers={"Authorization": "Bearer ps_wrong_wrong"})
    client.force_login(user)
    problem(client.get("/api/v1/units/KP"), 401)


def test_session_reads_without_csrf(user, units):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/units/KP").status_code == 200


def test_session_write_without_csrf_token_is_403_and_writes_nothing(user, units):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    body = problem(post(client, "/api/v1/units", NEW_UNIT), 403)
    assert "CSRF" in body["detail"]
    assert not Unit.objects.filter(code="NEW").exists()


def test_session_write_with_csrf_token_succeeds(user, units):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/accounts/login/")  # any page that renders the form sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = post(client, "/api/v1/units", NEW_UNIT, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201, response.content
    assert Unit.objects.get(code="NEW").parent.code == "KP"


def test_anonymous_session_write_is_401_not_a_csrf_403(units):
    problem(post(Client(enforce_csrf_checks=True), "/api/v1/units", NEW_UNIT), 401)


def test_admin_issues_a_token_and_shows_its_key_once(client, units):
    admin = factories.UserFactory(username="operator", is_staff=True, is_superuser=True)
    owner = factories.UserFactory(username="owner")
    Grant.objects.create(user=owner, role=Role.VIEWER, unit=units["KP"])
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/apitoken/add/",
        {"user": owner.pk, "name": "field app", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    token = ApiToken.objects.get(user=owner)
    page = response.content.decode()
    key = page[page.index("ps_" + token.key_prefix) :].split(" ")[0]
    assert actions.hash_key(key) == token.key_hash
    other = Client(headers={"Authorization": f"Bearer {key}"})
    assert other.get("/api/v1/units/KP").status_code == 200
    client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    problem(other.get("/api/v1/units/KP"), 401)
