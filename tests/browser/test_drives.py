"""Drives in the browser, on the demo's live "Flood relief" movement: a person signs up on
the public page and keeps the confirmation code; a unit records a gift and distributes part
of it (and is stopped from distributing what it does not hold); a county reports the day's
enlistment and sees it beside the days it missed. Desktop and a 390×844 phone."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import accessible, screenshot

DEMO_PASSWORD = "browser-demo-password"  # server_env's DEMO_PASSWORD


def sign_in_as_demo(page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{url}/")


def test_a_person_signs_up_on_the_public_page(live_url, page):
    page.goto(f"{live_url}/drives/")
    page.get_by_role("link", name="sign up").first.click()
    expect(page).to_have_url(re.compile(r"/drives/flood-relief/volunteers/sign-up/$"))
    accessible(page, "drives-sign-up")
    page.get_by_label("Your name").fill("Ri Sun Hui")
    number = "1001" if page.viewport_name == "desktop" else "1002"
    page.get_by_label("Phone or e-mail").fill(f"+850 2 381 {number}")
    page.get_by_label("Where you live or work").select_option(label="County 01 of KP-PY")
    page.get_by_label("What you volunteer for").select_option(label="First aid")
    page.get_by_label("Gender").select_option(label="Female")
    page.get_by_label("Age").fill("24")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="You are signed up")).to_be_visible()
    code = page.locator("[data-code]").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{10}", code)
    expect(page.locator("[data-status]")).to_have_text("Signed up")
    accessible(page, "drives-signed-up")
    # The code finds the sign-up again; the same person cannot sign up twice.
    page.goto(f"{live_url}/drives/sign-up/find/?code={code}")
    expect(page.locator("[data-code]")).to_have_text(code)
    page.goto(f"{live_url}/drives/flood-relief/volunteers/sign-up/")
    page.get_by_label("Your name").fill("Ri Sun Hui")
    page.get_by_label("Phone or e-mail").fill(f"+8502381-{number}")
    page.get_by_label("Where you live or work").select_option(label="County 01 of KP-PY")
    page.get_by_label("What you volunteer for").select_option(label="First aid")
    page.get_by_label("Gender").select_option(label="Female")
    page.get_by_label("Age").fill("24")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".error").first).to_contain_text("already signed up")
    screenshot(page, "drives-sign-up-duplicate")


def _held(page) -> int:
    return int(page.locator("[data-item=rice] [data-figure=held]").inner_text().replace(",", ""))


def test_a_gift_through_to_distribution(live_url, page):
    sign_in_as_demo(page, live_url)
    unit = "KP-SH-C02" if page.viewport_name == "desktop" else "KP-SH-C03"
    page.goto(f"{live_url}/drives/flood-relief/donations/?unit={unit}")
    before = _held(page)
    gift = page.locator("form:has(input[name=form][value=gift])")
    gift.get_by_label("Item").select_option(label="Rice (sacks)")
    gift.get_by_label("Quantity").fill("25")
    gift.get_by_label("Donor kind").select_option(label="Anonymous")
    gift.locator("input[name=gift-donor]").fill("A family of the county")
    gift.get_by_role("button", name="Record the gift").click()
    expect(page.locator(".notice")).to_contain_text("The donor's receipt (PDF)")
    assert _held(page) == before + 25
    accessible(page, "drives-donation-received")

    distribution = page.locator("form:has(input[name=form][value=distribution])")
    distribution.get_by_label("Item").select_option(label="Rice (sacks)")
    distribution.get_by_label("Quantity").fill(str(before + 26))
    distribution.get_by_label("or recipient's name").fill("Evacuation centre")
    distribution.get_by_role("button", name="Record the distribution").click()
    expect(page.locator(".error").first).to_contain_text(f"holds {before + 25} sacks of Rice")
    screenshot(page, "drives-distribution-refused")

    distribution = page.locator("form:has(input[name=form][value=distribution])")
    distribution.get_by_label("Item").select_option(label="Rice (sacks)")
    distribution.get_by_label("Quantity").fill("10")
    distribution.get_by_label("or recipient's name").fill("Evacuation centre")
    distribution.get_by_role("button", name="Record the distribution").click()
    expect(page.locator(".messages")).to_contain_text("Recorded.")
    assert _held(page) == before + 15
    expect(page.locator(".entries tbody tr").first).to_contain_text("Evacuation centre")
    accessible(page, "drives-donation-distributed")
    # The receipt is a PDF.
    receipt = page.locator(".entries a", has_text=re.compile(r"^D\d+-")).first
    response = page.request.get(live_url + receipt.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    assert response.body()[:4] == b"%PDF"


def test_a_county_reports_the_days_enlistment(live_url, page):
    sign_in_as_demo(page, live_url)
    unit = "KP-NP-C03" if page.viewport_name == "desktop" else "KP-NP-C04"
    page.goto(f"{live_url}/drives/flood-relief/enlistment/?unit={unit}")
    accessible(page, "drives-enlistment-before")
    page.get_by_label("Rescuers").fill("120")
    page.get_by_label("Medics").fill("14")
    page.get_by_role("button", name="Record the return").click()
    expect(page.locator(".messages")).to_contain_text(f"Return of {unit} recorded.")
    expect(page.locator("[data-figure=rescuers]")).to_have_text("120")
    expect(page.locator("[data-figure=coverage]")).to_have_text("100.0%")
    accessible(page, "drives-enlistment-reported")
    # The national view: the same day, with the share of counties that reported.
    page.goto(f"{live_url}/drives/flood-relief/enlistment/")
    expect(page.locator("[data-figure=coverage]")).to_contain_text("%")
    expect(page.locator("table.days")).to_be_visible()
    screenshot(page, "drives-enlistment-national")
