"""The organiser's flag rules page on a desktop and on a 390×844 phone: every kind shown with
its defaults, one turned off and one threshold changed, saved, shown again."""

from playwright.sync_api import expect

from tests.browser.conftest import accessible, sign_in


def test_an_organiser_sets_the_flag_rules(world, page):
    url = world["url"]
    sign_in(page, url, "organiser", check=False)
    page.goto(f"{url}/movements/{world['movement']}/flag-rules/")
    expect(page.get_by_role("heading", name="Plausibility flags")).to_be_visible()
    expect(page.locator("fieldset")).to_have_count(6)
    accessible(page, "flag-rules")
    late = page.locator("fieldset[data-kind=late]")
    late.get_by_label("On", exact=True).uncheck()
    page.locator("fieldset[data-kind=jump]").get_by_label("Threshold").fill("4")
    page.get_by_role("button", name="Save the rules").click()
    expect(page.get_by_text("Saved: the rules apply")).to_be_visible()
    expect(
        page.locator("fieldset[data-kind=late]").get_by_label("On", exact=True)
    ).not_to_be_checked()
    expect(page.locator("fieldset[data-kind=jump]").get_by_label("Threshold")).to_have_value("4")
    accessible(page, "flag-rules-saved")
