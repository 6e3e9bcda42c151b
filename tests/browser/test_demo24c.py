"""The demo's movements 30–39 of the accounts (issue 24), each result page on a desktop and
a phone: what a visitor reads there."""

from playwright.sync_api import expect

from tests.browser.conftest import accessible


def test_my_hill_shows_ground_lost_and_which_farms_held_their_hill(live_url, page):
    page.goto(live_url + "/movements/my-hill-1961/")
    expect(page.locator("[data-figure=actual]").first).to_have_text("0.9")
    held = page.locator("td[data-figure=held]")
    expect(held).to_have_count(6)
    expect(page.locator("td[data-figure=held]", has_text="not held")).to_have_count(2)
    page.get_by_role("link", name="Unsan cooperative farm 01").click()
    expect(page.locator("[data-figure=plan-note]")).to_have_text("Paekma hill (14 ha of pine)")
    expect(page.locator("[data-figure=held]")).to_have_text("held")
    accessible(page, "demo-my-hill-farm")
    page.go_back()
    accessible(page, "demo-my-hill")


def test_speed_campaign_shows_its_70_days_beside_the_whole_period(live_url, page):
    page.goto(live_url + "/movements/speed-campaign-1959/")
    expect(page.locator("[data-figure=fulfilment]").first).to_have_text("110.5%")
    campaign = page.locator("tr[data-period='1959-08-01']")
    expect(campaign.locator("[data-figure=daily-assignment]")).to_contain_text("119.3%")
    expect(campaign.locator("[data-figure=pace]")).to_contain_text("met on day 59 of 70")
    accessible(page, "demo-speed-campaign")


def test_shock_brigade_page_says_where_its_people_come_from(live_url, page):
    page.goto(live_url + "/movements/shock-brigade-1952/")
    expect(page.locator("[data-figure=actual]").first).to_have_text("2,025")
    page.get_by_role("link", name="Coal shock brigade").first.click()
    expect(page.get_by_role("heading", name="Seconded from")).to_be_visible()
    expect(page.locator("[data-secondment]")).to_have_count(3)
    accessible(page, "demo-shock-brigade")
