"""What a visitor does: open the movements, read a movement's figures, drill down a unit."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def test_home_lists_the_demo_movements(live_url, page):
    page.goto(live_url + "/")
    expect(page.get_by_role("heading", name="Movements")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Pyongyang housing"))).to_be_visible()
    assert page.locator(".movements li").count() == 6
    screenshot(page, "home")


def test_movement_page_shows_over_fulfilment_honestly(live_url, page):
    page.goto(live_url + "/")
    page.get_by_role("link", name=re.compile("Pyongyang housing")).click()
    expect(page.locator("[data-figure=fulfilment]")).to_have_text("285.7%")
    # The bar is drawn on a scale past 100%: the fill reaches beyond the 100% mark.
    fill = page.locator(".fill").bounding_box()
    mark = page.locator(".mark").bounding_box()
    assert fill["width"] > 2.5 * (mark["x"] - fill["x"])
    screenshot(page, "movement-housing")


def test_railway_shows_the_daily_assignment_rate_and_the_finish(live_url, page):
    page.goto(live_url + "/movements/haeju-hasong-railway-1958/")
    expect(page.locator("[data-figure=daily-assignment]")).to_have_text("400.0%")
    expect(page.locator("[data-figure=pace]")).to_contain_text(
        "Met on 14 May 1958 (day 75 of 1096), 1,021 days ahead"
    )
    screenshot(page, "movement-railway")


def test_drill_down_through_the_tree(live_url, page):
    page.goto(live_url + "/movements/first-national-plan-1947/")
    expect(page.locator("[data-figure=fulfilment]")).to_have_text("102.5%")
    page.get_by_role("link", name="Metallurgical industry").click()
    expect(page.locator("[data-figure=fulfilment]")).to_have_text("104.5%")
    expect(page.get_by_role("navigation", name="Breadcrumbs")).to_contain_text("State-run industry")
    expect(page.locator("#own-reports + div table tbody tr")).to_have_count(
        12
    )  # its monthly reports
    screenshot(page, "movement-branch")


def test_unknown_page_is_a_clear_404(live_url, page):
    response = page.goto(live_url + "/movements/no-such-movement/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_honour_board_is_public_and_readable(live_url, page):
    page.goto(live_url + "/board/first-national-plan-1947/")
    expect(page.get_by_role("heading", name="First national economic plan (1947)")).to_be_visible()
    expect(page.locator(".board-total")).to_contain_text("102.5% of the plan")
    leaders = page.locator(".board-leaders li .board-unit")
    # Units with plans (the organiser's total aside), by fulfilment: 104.5%, 101.3%, 101.0%
    expect(leaders).to_have_text(["Metallurgical industry", "Light industry", "Chemical industry"])
    assert page.locator("meta[http-equiv=refresh]").get_attribute("content") == "60"
    screenshot(page, "honour-board")
