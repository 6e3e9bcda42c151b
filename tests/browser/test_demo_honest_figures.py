"""The demo's honest-figures movement (issue 20) on a desktop and a phone: its page ranks the
moulding teams on verified figures and shows the share verified and the open flags beside the
figures; its verification queue holds team 07's jumped reports, each with why it was flagged."""

from playwright.sync_api import expect

from tests.browser.conftest import accessible, screenshot
from tests.browser.test_drives import sign_in_as_demo

SLUG = "honest-bricks-1958"


def test_the_movement_ranks_on_verified_figures_and_its_queue_holds_the_jump(live_url, page):
    sign_in_as_demo(page, live_url)
    page.goto(f"{live_url}/movements/{SLUG}/")
    expect(page.locator("[data-figure=actual]").first).to_have_text("968,920")
    expect(page.locator("[data-figure=honesty]").first).to_contain_text("verified")
    accessible(page, "demo-honest-figures")
    page.goto(f"{live_url}/verify/{SLUG}/")
    expect(page.get_by_role("heading", name="Verification queue")).to_be_visible()
    expect(page.get_by_text("10 flagged reports waiting")).to_be_visible()
    expect(page.locator("[id^=report-]").first).to_contain_text("Moulding team 07")
    accessible(page, "demo-honest-figures-queue")
    screenshot(page, "demo-honest-figures-queue")
