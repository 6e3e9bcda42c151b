"""The result pages of the demo24b movements of the accounts (issue 24) on a desktop and a
phone: each opens, shows its headline figure, passes the accessibility check, and is
saved as a screenshot."""

from playwright.sync_api import expect

from tests.browser.conftest import accessible


def test_plowwoman_call_shows_placements_per_county(live_url, page):
    page.goto(f"{live_url}/drives/plowwoman-1951/volunteers/")
    expect(page.locator("[data-figure=placed]")).to_have_text("256")
    expect(page.get_by_text("Anak County").first).to_be_visible()
    accessible(page, "demo-plowwoman-1951")
