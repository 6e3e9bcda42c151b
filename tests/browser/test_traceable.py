"""Every figure traceable: from a figure on the movement's page to the reports behind it,
which add up to it; narrowed to a unit below; downloaded as CSV. On a desktop and a phone."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import accessible, screenshot
from tests.browser.test_drives import sign_in_as_demo


def test_a_figure_opens_on_the_reports_behind_it(live_url, page):
    sign_in_as_demo(page, live_url)
    page.goto(live_url + "/movements/first-national-plan-1947/")
    figure = page.locator("[data-figure=actual]").first
    shown = figure.inner_text().strip()
    expect(page.locator("[data-figure=honesty]").first).to_contain_text("open flag")
    screenshot(page, "figures-honesty")
    figure.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/units/IND/reports/\?indicator="))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reports behind")
    expect(page.locator("[data-figure=figure]")).to_have_text(shown)
    expect(page.locator("[data-figure=listed]")).to_have_text(shown)
    expect(page.locator("[data-trace=equal]")).to_be_visible()
    rows = page.locator("table.trace tbody tr[id^=report-]")
    expect(rows.first).to_be_visible()
    accessible(page, "figure-reports")
    # Narrowed to one unit below: the sum is that unit's figure, and still its reports' sum.
    page.get_by_label("Unit below (code)").fill("IND-MET")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"unit=IND-MET"))
    expect(page.locator("[data-trace=equal]")).to_be_visible()
    screenshot(page, "figure-reports-narrowed")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("report,unit,indicator,day,reported,corrections,counts_as,state")
