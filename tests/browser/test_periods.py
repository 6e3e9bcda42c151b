"""An organiser gives a draft movement weekly periods on its organise page (htmx swaps the
periods panel in place), sees a crossing series refused with the reason, and adds one period
of their own — at a desk and on a phone."""

from playwright.sync_api import expect

from tests.browser.conftest import accessible, sign_in


def test_an_organiser_generates_weekly_periods(world, page):
    url = world["url"]
    title = f"Spring kilns ({page.viewport_name})"
    sign_in(page, url, "organiser", check=False)
    page.goto(f"{url}/organise/new/")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Organising unit").fill("BT")
    # 3 March to 13 April 2031: six weeks from Monday to Sunday, the fifth across March's end.
    page.get_by_label("Starts on").fill("2031-03-03")
    page.get_by_label("Ends on").fill("2031-04-13")
    page.get_by_role("button", name="Call the movement").click()
    expect(page.locator(".messages")).to_contain_text("is called, as a draft")

    periods = page.locator("#periods")
    periods.get_by_label("Every").select_option("week")
    periods.get_by_label("Weeks start on").select_option("monday")
    periods.get_by_role("button", name="Generate the periods").click()
    expect(page.locator("#periods").get_by_role("status")).to_contain_text("6 periods added.")
    table = page.locator("#periods table")
    expect(table.locator("tbody tr")).to_have_count(7)  # the whole movement and six weeks
    expect(table).to_contain_text("Week 5 (31 Mar–6 Apr)")
    expect(table).to_contain_text("Mon 31 Mar 2031")
    accessible(page, "organise-periods-weekly")

    periods = page.locator("#periods")
    periods.get_by_label("Every").select_option("month")
    periods.get_by_role("button", name="Generate the periods").click()
    alert = page.locator("#periods").get_by_role("alert")
    expect(alert).to_contain_text(
        "March 2031 (3–31 Mar) crosses the existing period 'Week 5 (31 Mar–6 Apr)'"
    )
    expect(page.locator("#periods table tbody tr")).to_have_count(7)
    accessible(page, "organise-periods-refused")

    custom = page.locator("#periods")
    custom.get_by_label("Name").fill("Firing week")
    custom.get_by_label("Starts on").fill("2031-04-07")
    custom.get_by_label("Ends on").fill("2031-04-20")
    custom.get_by_role("button", name="Add the period").click()
    expect(page.locator("#periods .errorlist")).to_contain_text("inside the movement")
    page.locator("#periods").get_by_label("Ends on").fill("2031-04-11")
    page.locator("#periods").get_by_role("button", name="Add the period").click()
    expect(page.locator("#periods").get_by_role("status")).to_contain_text(
        "Period Firing week added."
    )
    expect(page.locator("#periods table tbody tr")).to_have_count(8)
    accessible(page, "organise-periods-custom")

    # Launched, the dashboard shows the indicator period by period: every week ahead yet.
    indicators = page.locator("#indicators")
    indicators.get_by_label("Code").fill("kilns")
    indicators.get_by_label("Name", exact=True).fill("Kilns repaired")
    indicators.get_by_label("Unit of measure").fill("kilns")
    indicators.get_by_role("button", name="Add the indicator").click()
    page.get_by_role("button", name="Launch the movement").click()
    expect(page.get_by_role("heading", name=title)).to_contain_text("Launched")
    by_period = page.locator("table.by-period")
    expect(by_period.locator("tbody tr")).to_have_count(7)  # six weeks and the firing week
    expect(by_period.locator("tbody tr").first).to_contain_text("Week 1 (3–9 Mar)")
    expect(by_period.locator("tbody tr").first).to_contain_text("not started")
    accessible(page, "figures-by-period")
