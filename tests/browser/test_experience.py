"""Experience on a 390×844 phone: a unit head publishes a practice, the head of another unit
adopts it, and the practice page shows its effect section (here: too few units to compare)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, accessible, manage, screenshot, sign_in

SETUP = f"""
import datetime as dt
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import grant_role
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement
from pacesetter.units.actions import UnitRow, import_units
from pacesetter.units.models import Unit

if not Movement.objects.filter(slug="spring-practices").exists():
    import_units(rows=[
        UnitRow(code="XP", name="Harbour trust", kind="enterprise", parent_code="", headcount=60),
        UnitRow(code="XP-A", name="Pier team", kind="workteam", parent_code="XP", headcount=30),
        UnitRow(code="XP-B", name="Crane team", kind="workteam", parent_code="XP", headcount=30),
    ])
    users = get_user_model()
    for name, unit in (("xp-head-a", "XP-A"), ("xp-head-b", "XP-B")):
        users.objects.create_user(name, password="{PASSWORD}")
        grant_role(user=users.objects.get(username=name), role="unit_head",
                   unit=Unit.objects.get(code=unit))
    today = dt.datetime.now(dt.timezone.utc).date()
    drive = movements.create_movement(
        title="Spring practices", slug="spring-practices", organiser=Unit.objects.get(code="XP"),
        starts_on=today - dt.timedelta(days=20), ends_on=today + dt.timedelta(days=40),
        call_text="Learn from the best team.",
    )
    movements.add_indicator(movement=drive, code="crates", name="Crates", unit_of_measure="crates")
    movements.launch_movement(movement=drive)
print("ready")
"""


def test_publish_adopt_and_see_the_effect_on_a_phone(live_url, server_env, phone):
    assert manage(server_env, SETUP).strip().endswith("ready")
    sign_in(phone, live_url, "xp-head-a", check=False)
    phone.goto(f"{live_url}/movements/spring-practices/practices/publish/")
    phone.get_by_label("Published by the unit").select_option("XP-A")
    phone.get_by_label("Title").fill("Two gangs per crane")
    phone.get_by_label("What you did").fill(
        "We split the gang.\n\n- one loads\n- one *stows*\n\nSee [the plan](https://example.org)."
    )
    accessible(phone, "experience-publish")
    phone.get_by_role("button", name="Publish").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Two gangs per crane")
    expect(phone.locator(".practice-text em")).to_have_text("stows")
    expect(phone.locator(".practice-text a")).to_have_attribute("rel", "nofollow noopener")
    expect(phone.locator("[data-figures]")).to_contain_text("Fulfilment")
    screenshot(phone, "experience-published")

    phone.context.clear_cookies()
    sign_in(phone, live_url, "xp-head-b", check=False)
    phone.goto(f"{live_url}/movements/spring-practices/practices/")
    phone.get_by_role("link", name="Two gangs per crane").click()
    phone.get_by_label("Note").fill("From Monday")
    phone.get_by_role("button", name="Adopt this practice").click()
    expect(phone.locator('[data-adopter="XP-B"]')).to_contain_text("Crane team")
    effect = phone.get_by_role("region", name="Effect, measured")
    expect(effect).to_contain_text("Too few units to compare.")
    expect(effect).to_contain_text("not proof of cause")
    expect(phone.locator("[data-reach]")).to_contain_text("2 units")
    accessible(phone, "experience-adopted")
