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


def _png(width: int, height: int) -> bytes:
    """A small real PNG (stripes of three colours), for the page to show."""
    import struct
    import zlib

    colours = [(196, 30, 58), (240, 200, 60), (40, 90, 160)]
    rows = b"".join(b"\x00" + bytes(colours[(y * 3) // height]) * width for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_attach_a_picture_and_a_pdf_on_a_phone(live_url, server_env, phone):
    assert manage(server_env, SETUP).strip().endswith("ready")
    sign_in(phone, live_url, "xp-head-a", check=False)
    phone.goto(f"{live_url}/movements/spring-practices/practices/publish/")
    phone.get_by_label("Published by the unit").select_option("XP-A")
    phone.get_by_label("Title").fill("Crates stacked on pallets")
    phone.get_by_label("What you did").fill("Pallets first, then the crane lifts six at a time.")
    picture = {"name": "pallets.png", "mimeType": "image/png", "buffer": _png(360, 180)}
    phone.get_by_label("Pictures and PDFs").set_input_files([picture])
    phone.get_by_role("button", name="Publish").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Crates stacked on pallets")
    shown = phone.get_by_role("img", name="pallets.png")
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.naturalWidth") == 360  # served, and decoded

    # A file that only claims to be a PDF is refused beside the field, and nothing is added.
    fake = {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": b"<html>no</html>"}
    phone.get_by_label("Picture or PDF").set_input_files([fake])
    phone.get_by_role("button", name="Add to the practice").click()
    expect(phone.locator(".field.invalid")).to_contain_text("plan.pdf is not a picture")
    pdf = {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    phone.get_by_label("Picture or PDF").set_input_files([pdf])
    phone.get_by_label("Caption").fill("The pallet plan")
    phone.get_by_role("button", name="Add to the practice").click()
    expect(phone.get_by_role("link", name="plan.pdf")).to_be_visible()
    expect(phone.locator("[data-attachment]")).to_have_count(2)
    accessible(phone, "experience-attachments")
    screenshot(phone, "experience-attachments")
