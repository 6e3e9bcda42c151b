"""A reserve on a 390×844 phone, on the demo's Pyongyang: a member proposes it (in well under
a minute: four fields), the unit head reviews, accepts and marks it implemented, a verifier
above verifies it with the saving found; the unit's figures count it."""

import time

from playwright.sync_api import expect

from tests.browser.conftest import accessible, manage, screenshot

PASSWORD = "reserve-browser-password"
PEOPLE = f"""
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import grant_role
from pacesetter.units.models import Unit

unit = Unit.objects.get(code="KP-PY")
for name, role, where in [("res-member", "member", unit), ("res-head", "unit_head", unit),
                          ("res-verifier", "verifier", unit.parent or unit)]:
    user, made = get_user_model().objects.get_or_create(username=name)
    if made:
        user.set_password({PASSWORD!r})
        user.save()
        grant_role(user=user, role=role, unit=where)
"""


def sign_in(page, url: str, name: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{url}/")


def test_propose_review_accept_implement_verify_on_a_phone(live_url, server_env, phone):
    manage(server_env, PEOPLE)
    page = phone
    sign_in(page, live_url, "res-member")
    page.goto(f"{live_url}/units/KP-PY/reserves/")
    page.get_by_role("link", name="Propose a reserve").click()
    accessible(page, "reserves-propose")
    started = time.monotonic()
    page.get_by_label("What is saved").select_option(label="Material")
    page.get_by_label("Your proposal").fill("Cast the floor slabs from one set of moulds")
    page.get_by_label("Estimated saving").fill("12.5")
    page.get_by_label("Measured in").fill("t of cement")
    page.get_by_role("button", name="Propose").click()
    expect(page.get_by_role("heading", name="Proposed", exact=False)).to_be_visible()
    assert time.monotonic() - started < 60
    url = page.url
    screenshot(page, "reserves-proposed")
    assert page.locator("form.transition").count() == 0  # a member moves nothing on

    sign_in(page, live_url, "res-head")
    page.goto(url)
    for button, status in (
        ("Start review", "Under review"),
        ("Accept", "Accepted"),
        ("Mark implemented", "Implemented"),
    ):
        page.get_by_role("button", name=button).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(status)
    expect(page.get_by_role("button", name="Verify")).to_have_count(0)

    sign_in(page, live_url, "res-verifier")
    page.goto(url)
    page.get_by_label("Verified saving").fill("10.0001")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".problems")).to_contain_text("at most 3 decimal places")
    page.get_by_label("Verified saving").fill("10.25")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verified")
    expect(page.locator("[data-figure=verified]")).to_have_text("10.25 t of cement")
    accessible(page, "reserves-verified")
    page.get_by_role("link", name="Reserves of").click()
    expect(page.locator("[data-figure=verified]")).not_to_have_text("0")
    accessible(page, "reserves-unit")
