"""A voice on a 390×844 phone, on the demo's Pyongyang: a member raises it with a photo, the
unit head answers it, the member sees the answer and says it is resolved for them."""

from playwright.sync_api import expect

from tests.browser.conftest import accessible, manage, screenshot
from tests.browser.test_reserves import sign_in

PASSWORD = "reserve-browser-password"  # sign_in's password, set for these people too
PEOPLE = f"""
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import grant_role
from pacesetter.units.models import Unit
from pacesetter.voices.actions import set_topic

unit = Unit.objects.get(code="KP-PY")
for name, role in [("voice-member", "member"), ("voice-head", "unit_head")]:
    user, made = get_user_model().objects.get_or_create(username=name)
    if made:
        user.set_password({PASSWORD!r})
        user.save()
        grant_role(user=user, role=role, unit=unit)
set_topic(code="housing", name="Housing", organiser=unit, deadline_days=7, public=True)
"""
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)  # the first bytes say PNG: that is what is checked


def test_raise_answer_and_confirm_a_voice_on_a_phone(live_url, server_env, phone, tmp_path):
    manage(server_env, PEOPLE)
    photo = tmp_path / "roof.png"
    photo.write_bytes(PNG)
    page = phone
    sign_in(page, live_url, "voice-member")
    page.goto(f"{live_url}/units/KP-PY/voices/raise/")
    accessible(page, "voices-raise")
    page.get_by_label("Topic").select_option(label="Housing")
    page.get_by_label("Subject").fill("The roof of block 4 leaks")
    page.get_by_label("What you ask for").fill("Water comes through in the stairwell.")
    page.get_by_label("A photo or a PDF (optional)").set_input_files(str(photo))
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The roof of block 4 leaks")
    expect(page.locator("[data-rule]")).to_contain_text("at the unit itself (KP-PY)")
    url = page.url
    screenshot(page, "voices-raised")
    assert page.locator("form.transition").count() == 0  # nothing to do until it is answered

    sign_in(page, live_url, "voice-head")
    page.goto(url)
    expect(page.locator("[data-raiser]")).to_have_text("voice-member")
    page.get_by_label("Answer").fill("Roofers come on Monday.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("[data-answer]")).to_have_text("Roofers come on Monday.")
    accessible(page, "voices-answered")

    sign_in(page, live_url, "voice-member")
    page.goto(f"{live_url}/voices/mine/")
    page.get_by_role("link", name="The roof of block 4 leaks").click()
    expect(page.locator("[data-answer]")).to_have_text("Roofers come on Monday.")
    page.get_by_role("button", name="Resolved for me").click()
    expect(page.locator(".badge")).to_have_text("Resolved")
    expect(page.locator("[data-event=confirmed]")).to_be_visible()
    accessible(page, "voices-resolved")
    screenshot(page, "voices-resolved")
