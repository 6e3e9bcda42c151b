"""Hardening: CSRF, login throttling, the Content-Security-Policy and other headers, write
rate limits, upload limits, and the deployment checks."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from pacesetter.accounts.models import Grant, Role
from pacesetter.core.tabular import TabularError, open_table
from tests import factories

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def organiser(units):
    user = factories.UserFactory(username="org")
    Grant.objects.create(user=user, role=Role.ORGANISER, unit=units["KP"])
    return user


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(organiser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    response = client.post("/account/", {"name": "phone", "scope": "read"})
    assert response.status_code == 403
    assert not organiser.api_tokens.exists()


def test_a_session_api_write_without_csrf_is_refused(organiser, movement):
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    response = client.post(
        "/api/v1/tokens", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert response.status_code == 403
    assert not organiser.api_tokens.exists()


def test_sign_in_is_locked_after_repeated_failures(organiser, settings):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": "org", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    last = client.post("/accounts/login/", {"username": "org", "password": "wrong"})
    assert last.status_code == 429  # the limit-th failure locks
    locked = client.post("/accounts/login/", {"username": "org", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Signing in is paused" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The lockout is per name and address together: the real user elsewhere still gets in.
    elsewhere = Client(REMOTE_ADDR="203.0.113.5")
    assert (
        elsewhere.post("/accounts/login/", {"username": "org", "password": PASSWORD}).status_code
        == 302
    )


def test_pages_carry_a_strict_content_security_policy_and_frame_refusal(organiser):
    client = Client()
    client.force_login(organiser)
    response = client.get("/account/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # And the page keeps to it: no inline script or style attribute in what it sends.
    body = response.content.decode()
    assert "<script>" not in body and " style=" not in body


def test_the_policy_built_once_is_django_csps_own_and_follows_changes(settings):
    """pacesetter.core.csp gives the header django-csp would build, on API answers too; a
    changed setting or a view's own policy is built afresh."""
    from csp.decorators import csp_update
    from csp.utils import build_policy
    from django.http import HttpResponse
    from django.test import RequestFactory

    from pacesetter.core.csp import CSPMiddleware

    answer = Client().get("/api/v1/openapi.json")
    assert answer["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'", "cdn.example"]}}
    assert Client().get("/api/v1/openapi.json")["Content-Security-Policy"] == (
        "default-src 'self' cdn.example"
    )

    @csp_update({"img-src": "tiles.example"})
    def view(request):
        return HttpResponse("map")

    middleware = CSPMiddleware(view)
    policy = middleware(RequestFactory().get("/map/"))["Content-Security-Policy"]
    assert "img-src tiles.example" in policy and "default-src 'self' cdn.example" in policy


def test_writes_are_rate_limited_per_address_and_reads_are_not(organiser, settings):
    settings.RATE_LIMIT_WRITES_PER_IP = 3
    client = Client(REMOTE_ADDR="192.0.2.50")
    client.force_login(organiser)
    for _ in range(3):
        assert client.post("/account/", {"name": "t", "scope": "read"}).status_code == 200
    refused = client.post("/account/", {"name": "t", "scope": "read"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 60
    assert organiser.api_tokens.count() == 3
    assert client.get("/account/").status_code == 200
    api = client.post("/api/v1/tokens", json.dumps({"name": "x"}), content_type="application/json")
    assert api.status_code == 429 and api["Content-Type"] == "application/problem+json"


def test_writes_are_rate_limited_per_token(organiser, settings, movement):
    from pacesetter.accounts.actions import create_token

    settings.RATE_LIMIT_WRITES_PER_TOKEN = 2
    _, key = create_token(user=organiser, name="app", scope="full")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    statuses = [
        client.post(
            "/api/v1/tokens", json.dumps({"name": f"t{n}"}), content_type="application/json"
        ).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]


def _xlsx_with(member: str, data: bytes, path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, data)


def test_an_xlsx_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    _xlsx_with("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024), bomb)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(TabularError, match="zip bomb"):
        open_table(bomb)


def test_an_xlsx_expanding_past_the_limit_is_refused(tmp_path, settings):
    settings.XLSX_MAX_UNCOMPRESSED_BYTES = 1000
    big = tmp_path / "big.xlsx"
    _xlsx_with("xl/worksheets/sheet1.xml", io.BytesIO(b"<row/>" * 1000).getvalue(), big)
    with pytest.raises(TabularError, match="more than the 1,000 allowed"):
        open_table(big)


def test_a_malformed_xlsx_is_named(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a zip file")
    with pytest.raises(TabularError, match="not a readable XLSX"):
        open_table(broken)


def test_check_deploy_passes_our_settings_and_catches_a_weakened_policy(settings):
    call_command("check_deploy")  # warnings only (no HTTPS on a test machine)
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
            "script-src": ["'self'", "'unsafe-inline'"],
        }
    }
    with pytest.raises(SystemCheckError, match=r"pacesetter\.E001"):
        call_command("check_deploy")
