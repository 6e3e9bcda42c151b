"""What a visitor does: open the movements, read a movement's figures, drill down a unit."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import accessible, screenshot


def test_home_lists_the_demo_movements(live_url, page):
    page.goto(live_url + "/")
    expect(page.get_by_role("heading", name="Movements")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Pyongyang housing"))).to_be_visible()
    assert page.locator(".movements li").count() >= 6  # the six accounts, and the drives
    accessible(page, "home")


def test_movement_page_shows_over_fulfilment_honestly(live_url, page):
    page.goto(live_url + "/")
    page.get_by_role("link", name=re.compile("Pyongyang housing")).click()
    expect(page.locator("[data-figure=fulfilment]")).to_have_text("285.7%")
    # The bar is drawn on a scale past 100%: the fill reaches beyond the 100% mark.
    fill = page.locator(".fill").bounding_box()
    mark = page.locator(".mark").bounding_box()
    assert fill["width"] > 2.5 * (mark["x"] - fill["x"])
    accessible(page, "movement-housing")


def test_railway_shows_the_daily_assignment_rate_and_the_finish(live_url, page):
    page.goto(live_url + "/movements/haeju-hasong-railway-1958/")
    expect(page.locator("[data-figure=daily-assignment]")).to_have_text("400.0%")
    expect(page.locator("[data-figure=pace]")).to_contain_text(
        "Met on 14 May 1958 (day 75 of 1096), 1,021 days ahead"
    )
    accessible(page, "movement-railway")


def test_drill_down_through_the_tree(live_url, page):
    page.goto(live_url + "/movements/first-national-plan-1947/")
    expect(page.locator("[data-figure=fulfilment]")).to_have_text("102.5%")
    page.get_by_role("link", name="Metallurgical industry").click()
    expect(page.locator("[data-figure=fulfilment]")).to_have_text("104.5%")
    expect(page.get_by_role("navigation", name="Breadcrumbs")).to_contain_text("State-run industry")
    # Its twelve monthly reports, the newest ten first; "Show more" brings the other two.
    reports = page.locator("#own-reports ~ div table tbody tr[id^=report-]")
    expect(reports).to_have_count(10)
    expect(reports.first).to_contain_text("Dec 1947")
    accessible(page, "movement-branch")
    page.get_by_role("link", name="Show more reports").click()
    expect(reports).to_have_count(12)
    expect(reports.last).to_contain_text("Jan 1947")
    expect(page.get_by_role("link", name="Show more reports")).to_have_count(0)


def test_railway_page_ends_on_a_phone_and_shows_more_reports(live_url, page):
    """The organiser's own 75 daily reports were a 4,000 px table on a phone: now ten, and
    "Show more" appends ten more in place; a chart's point tells its value when tapped."""
    page.goto(live_url + "/movements/haeju-hasong-railway-1958/")
    if page.viewport_name == "phone":
        assert page.evaluate("document.documentElement.scrollHeight") < 2500
    reports = page.locator("#own-reports ~ div table tbody tr[id^=report-]")
    expect(reports).to_have_count(10)
    expect(reports.first).to_contain_text("14 May 1958")
    screenshot(page, "movement-railway-first-reports")
    page.get_by_role("link", name="Show more reports").click()
    expect(reports).to_have_count(20)
    expect(reports.nth(10)).to_contain_text("4 May 1958")
    assert "?reports=" not in page.url  # appended in place, not a new page
    # The last day's mark on the cumulative line (drawn over the days before it).
    point = page.locator(".chart").first.locator(".point").last
    value = point.locator(".value")
    expect(value).to_be_hidden()
    if page.viewport_name == "phone":
        point.tap()
    else:
        point.hover()
    expect(value).to_be_visible()
    expect(value).to_have_text("14 May 1958: 75")
    page.locator(".charts").first.scroll_into_view_if_needed()
    screenshot(page, "movement-railway-value-shown")


def test_show_more_is_a_link_without_javascript(live_url, page_without_javascript):
    page = page_without_javascript
    page.goto(live_url + "/movements/haeju-hasong-railway-1958/")
    page.get_by_role("link", name="Show more reports").click()
    assert page.url.endswith("?reports=2")
    reports = page.locator("#own-reports ~ div table tbody tr[id^=report-]")
    expect(reports).to_have_count(10)
    expect(reports.first).to_contain_text("4 May 1958")


def test_unknown_page_is_a_clear_404(live_url, page):
    response = page.goto(live_url + "/movements/no-such-movement/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    accessible(page, "not-found")


def test_honour_board_is_public_and_readable(live_url, page):
    page.goto(live_url + "/board/first-national-plan-1947/")
    expect(page.get_by_role("heading", name="First national economic plan (1947)")).to_be_visible()
    expect(page.locator(".board-total")).to_contain_text("102.5% of the plan")
    leaders = page.locator(".board-leaders li .board-unit")
    # Units with plans (the organiser's total aside), by fulfilment: 104.5%, 101.3%, 101.0%
    expect(leaders).to_have_text(["Metallurgical industry", "Light industry", "Chemical industry"])
    # It updates itself every minute in place (htmx), not by a meta refresh that reloads it.
    assert page.locator("#board").get_attribute("hx-trigger") == "every 60s"
    page.evaluate(
        "() => htmx.ajax('GET', location.pathname,"
        " {target: '#board', select: '#board', swap: 'outerHTML'})"
    )
    expect(page.locator("#board")).to_have_count(1)
    expect(page.locator(".board-total")).to_contain_text("102.5% of the plan")
    accessible(page, "honour-board")


def test_the_honour_board_shows_nothing_private(world, page):
    url = world["url"]
    page.goto(f"{url}/board/first-national-plan-1947/")
    html = page.content()
    # Signed out: figures and unit names only; no people, no ledger, no private movement.
    for private in ("Sign out", "organiser", "reporter", "demo", "Brick drive", "entered"):
        assert private not in html, private
    expect(page.locator("form")).to_have_count(0)
    assert page.goto(f"{url}/board/brick-drive/").status == 404
    page.goto(f"{url}/")
    expect(page.get_by_text("Brick drive")).to_have_count(0)
    page.goto(f"{url}/movements/brick-drive/")
    assert "/accounts/login/" in page.url
    screenshot(page, "private-movement-signed-out")
