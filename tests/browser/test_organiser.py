"""What an organiser does at a desk (and, to be sure, on a phone): call a movement, give it an
indicator and plans (typed in and from a file), launch it — without the admin."""

import datetime as dt

from playwright.sync_api import expect

from tests.browser.conftest import accessible, sign_in


def test_an_organiser_calls_and_launches_a_movement(world, page):
    url = world["url"]
    today = dt.date.fromisoformat(world["today"])
    title = f"Kiln repair ({page.viewport_name})"
    sign_in(page, url, "organiser")
    accessible(page, "home-organiser")
    page.get_by_role("link", name="Call a new movement").click()
    accessible(page, "movement-create")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Call text").fill("Every kiln repaired before the frost.")
    page.get_by_label("Organising unit").fill("BT")
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label("Ends on").fill((today + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Call the movement").click()
    expect(page.locator(".messages")).to_contain_text("is called, as a draft")
    expect(page.get_by_role("button", name="Launch the movement")).to_be_disabled()
    accessible(page, "organise-draft")

    indicators = page.locator("#indicators")
    indicators.get_by_label("Code").fill("repairs")
    indicators.get_by_label("Name", exact=True).fill("Kilns repaired")
    indicators.get_by_label("Unit of measure").fill("kilns")
    indicators.get_by_role("button", name="Add the indicator").click()
    expect(page.locator(".messages")).to_contain_text("Indicator Kilns repaired added")

    plans = page.locator("#plans")
    plans.get_by_label("Unit code").fill("BT")
    plans.get_by_label("Planned").fill("12")
    plans.get_by_role("button", name="Save the plan").click()
    expect(page.locator(".messages")).to_contain_text("Plan of BT saved")

    page.locator("#plans").get_by_label("Plans file").set_input_files(
        {
            "name": "plans.csv",
            "mimeType": "text/csv",
            "buffer": b"unit_code,indicator,planned\nBT-N,repairs,5\nBT-S,repairs,7\n",
        }
    )
    page.locator("#plans").get_by_role("button", name="Preview the plans").click()
    expect(page.get_by_role("status")).to_contain_text("Confirming creates 2 plans")
    accessible(page, "organise-plans-preview")
    page.get_by_role("button", name="Confirm: save 2 plans").click()
    expect(page.locator(".messages")).to_contain_text("2 plans created, 0 changed")
    expect(page.locator("#plans table")).to_contain_text("South kiln team")
    accessible(page, "organise-ready")

    page.get_by_role("button", name="Launch the movement").click()
    expect(page.get_by_role("heading", name=title)).to_contain_text("Launched")
    expect(page.locator("[data-figure=actual]")).to_have_text("0")
    expect(page.get_by_text("Every kiln repaired before the frost.")).to_be_visible()
    accessible(page, "dashboard-new-movement")


def test_a_bad_plans_file_lists_every_bad_row(world, page):
    url = world["url"]
    sign_in(page, url, "organiser")
    page.goto(f"{url}/organise/brick-drive/")
    page.locator("#plans").get_by_label("Plans file").set_input_files(
        {
            "name": "plans.csv",
            "mimeType": "text/csv",
            "buffer": b"unit_code,indicator,planned\nBT-N,bricks,x\nNOPE,bricks,5\n",
        }
    )
    page.locator("#plans").get_by_role("button", name="Preview the plans").click()
    expect(page.get_by_role("alert")).to_contain_text("2 of 2 rows are not valid")
    expect(page.locator("tr.bad")).to_have_count(2)
    accessible(page, "organise-plans-errors")
