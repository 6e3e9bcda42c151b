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


def test_arms_fund_shows_each_named_target_reached(live_url, page):
    page.goto(f"{live_url}/drives/arms-fund-1950/donations/targets/")
    expect(page.locator("[data-target='1'] [data-figure=reached-on]")).to_have_text("18 Oct 1950")
    expect(page.locator("[data-target='4'] [data-figure=gathered]")).to_contain_text("40.0%")
    accessible(page, "demo-arms-fund-1950")


def test_anti_illiteracy_shows_coverage_and_the_projected_finish(live_url, page):
    page.goto(f"{live_url}/movements/anti-illiteracy-1947/")
    expect(page.locator("[data-figure=fulfilment]").first).to_contain_text("93.6%")
    expect(page.locator("[data-figure=pace]").first).to_contain_text("19 Feb 1949")
    accessible(page, "demo-anti-illiteracy-1947")
