"""A visit recorded on a 390×844 phone, on the demo's Pyongyang: the unit head records who
went, why, what they found and a follow-up; the visit page shows it, the follow-up's owner
marks it done in place."""

from playwright.sync_api import expect

from tests.browser.conftest import accessible, manage, screenshot

PASSWORD = "visit-browser-password"
PEOPLE = f"""
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import grant_role
from pacesetter.units.models import Unit

unit = Unit.objects.get(code="KP-PY")
for name, role in [("visit-head", "unit_head"), ("visit-reporter", "reporter")]:
    user, made = get_user_model().objects.get_or_create(username=name)
    if made:
        user.set_password({PASSWORD!r})
        user.save()
        grant_role(user=user, role=role, unit=unit)
"""


def sign_in(page, url: str, name: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{url}/")


def test_record_a_visit_on_a_phone(live_url, server_env, phone):
    manage(server_env, PEOPLE)
    page = phone
    sign_in(page, live_url, "visit-head")
    page.goto(f"{live_url}/units/KP-PY/visits/")
    page.get_by_role("link", name="Record a visit").click()
    accessible(page, "visits-record")
    page.get_by_label("Date of the visit").fill("2024-05-02")
    page.get_by_label("Purpose").fill("See the spring sowing")
    page.get_by_label("Findings").fill("Seed arrived late.\n\n- tractors idle\n- no diesel")
    page.get_by_label("Visitors without an account").fill("Ri Myong Su\nPak Chol")
    page.get_by_label("A follow-up task").fill("Send diesel")
    page.get_by_label("Its owner (username)").fill("visit-reporter")
    page.get_by_label("Due on").fill("2024-05-20")
    screenshot(page, "visits-record-filled")
    page.get_by_role("button", name="Record the visit").click()
    expect(page.get_by_role("heading", name="Visit to", exact=False)).to_be_visible()
    expect(page.locator("[data-visitors]")).to_have_text("visit-head, Ri Myong Su, Pak Chol")
    expect(page.locator(".findings li")).to_have_count(2)
    accessible(page, "visits-detail")
    screenshot(page, "visits-recorded")
    url = page.url

    sign_in(page, live_url, "visit-reporter")
    page.goto(url)
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("button", name="Mark not done")).to_be_visible()
    expect(page.locator("[data-done]")).to_have_attribute("data-done", "yes")
    screenshot(page, "visits-follow-up-done")


def test_coverage_heat_table_on_a_phone(live_url, server_env, phone):
    manage(server_env, PEOPLE)
    page = phone
    sign_in(page, live_url, "visit-head")
    page.goto(f"{live_url}/units/KP-PY/visits/record/")
    page.get_by_label("Date of the visit").fill("2024-06-03")
    page.get_by_label("Purpose").fill("Coverage check")
    page.get_by_role("button", name="Record the visit").click()
    expect(page.get_by_role("heading", name="Visit to", exact=False)).to_be_visible()
    page.goto(f"{live_url}/units/KP-PY/visits/coverage/")
    page.get_by_label("From").fill("2024-01-01")
    page.get_by_label("To").fill("2024-12-31")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-figure=visited]")).not_to_have_text("")
    accessible(page, "visits-coverage")
    screenshot(page, "visits-coverage")


TOPICS = """
from pacesetter.units.models import Unit
from pacesetter.voices.actions import set_topic
from pacesetter.voices.models import Topic

root = Unit.objects.get(code="KP-PY")
if not Topic.objects.filter(code="visit-housing").exists():
    set_topic(code="visit-housing", name="Housing", organiser=root)
    set_topic(code="visit-water", name="Water", organiser=root)
"""


def test_record_a_visit_with_two_voices_on_a_phone(live_url, server_env, phone):
    manage(server_env, PEOPLE)
    manage(server_env, TOPICS)
    page = phone
    sign_in(page, live_url, "visit-head")
    page.goto(f"{live_url}/units/KP-PY/visits/record/")
    page.get_by_label("Date of the visit").fill("2024-07-01")
    page.get_by_label("Purpose").fill("Hear the residents")
    page.get_by_label("Visitors without an account").fill("Ri Myong Su")
    page.get_by_label("Voice 1: topic").select_option("visit-housing")
    page.get_by_label("Voice 1: subject").fill("Leaking roof")
    page.get_by_label("Voice 1: what they ask for").fill("The roof of block 3 leaks.")
    page.get_by_label("Voice 1: whose voice (their name)").fill("Kim Sun Hui")
    page.get_by_label("Voice 2: topic").select_option("visit-water")
    page.get_by_label("Voice 2: subject").fill("No hot water")
    page.get_by_label("Voice 2: what they ask for").fill("Hot water only two hours a day.")
    page.get_by_label("Voice 2: anonymous").check()
    screenshot(page, "visits-record-voices-filled")
    page.get_by_role("button", name="Record the visit").click()
    expect(page.get_by_role("heading", name="Visit to", exact=False)).to_be_visible()
    expect(page.locator("[data-voice]")).to_have_count(2)
    accessible(page, "visits-detail-voices")
    screenshot(page, "visits-recorded-voices")
    page.get_by_role("link", name="Leaking roof").click()
    expect(page.locator("[data-visit]")).to_contain_text("during the visit of 1 Jul 2024")
    screenshot(page, "voices-collected-on-visit")
