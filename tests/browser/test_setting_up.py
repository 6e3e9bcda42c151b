"""What an organiser sets up on a 390×844 phone without the API or the demo: a block of
comparable teams ranked on plan fulfilment, and a public volunteer call that an anonymous
visitor then signs up to."""

import datetime as dt

from playwright.sync_api import expect

from tests.browser.conftest import _new_page, accessible, sign_in


def test_an_organiser_ranks_a_block_on_plan_fulfilment(world, phone):
    url = world["url"]
    sign_in(phone, url, "organiser", check=False)
    phone.goto(f"{url}/organise/{world['movement']}/")
    plans = phone.locator("#plans")
    for code, planned in (("BT-N", "500"), ("BT-S", "400")):
        plans.get_by_label("Unit code").fill(code)
        plans.get_by_label("Planned").fill(planned)
        plans.get_by_role("button", name="Save the plan").click()
        expect(phone.locator(".messages")).to_contain_text(f"Plan of {code} saved")
    phone.get_by_role("link", name="Rank a block").click()
    accessible(phone, "rank-set-up")

    block = phone.locator("#block")
    block.get_by_label("Code", exact=True).fill("kiln-teams")
    block.get_by_label("Name", exact=True).fill("Kiln teams")
    block.get_by_label("Unit codes").fill("BT-N, BT-NOPE")
    block.get_by_role("button", name="Make the block").click()
    expect(block.locator(".errorlist")).to_contain_text("no unit with code 'BT-NOPE'")
    accessible(phone, "rank-set-up-block-error")
    block.get_by_label("Unit codes").fill("BT-N BT-S")
    block.get_by_role("button", name="Make the block").click()
    expect(phone.locator(".messages")).to_contain_text("Block Kiln teams is made")

    rank = phone.locator("#rank")
    rank.get_by_label("Block ranked").select_option(label="Kiln teams (kiln-teams)")
    rank.get_by_label("Code", exact=True).fill("kilns")
    rank.get_by_label("Name", exact=True).fill("Kiln teams by plan fulfilment")
    rank.get_by_label("Indicator 1").select_option(label="Bricks")
    rank.get_by_label("Compared as 1").select_option(label="Plan fulfilment")
    rank.get_by_role("button", name="Rank the block").click()
    expect(phone.get_by_role("heading", name="Kiln teams by plan fulfilment")).to_be_visible()
    accessible(phone, "rank-leaderboard-new")

    phone.goto(f"{url}/movements/{world['movement']}/emulation/")
    expect(phone.get_by_text("This movement ranks no block yet")).to_have_count(0)
    expect(phone.get_by_role("link", name="Kiln teams by plan fulfilment")).to_be_visible()
    accessible(phone, "rank-rankings-page")


def test_an_organiser_opens_a_public_volunteer_call_and_a_visitor_signs_up(world, phone, browser):
    url = world["url"]
    today = dt.date.fromisoformat(world["today"])
    sign_in(phone, url, "organiser", check=False)
    phone.goto(f"{url}/organise/new/")
    phone.get_by_label("Title", exact=True).fill("Kiln helpers")
    phone.get_by_label("Slug").fill("kiln-helpers")
    phone.get_by_label("Organising unit").fill("BT")
    phone.get_by_label("Starts on").fill((today - dt.timedelta(days=1)).isoformat())
    phone.get_by_label("Ends on").fill((today + dt.timedelta(days=30)).isoformat())
    phone.get_by_label("Public: totals").check()
    phone.get_by_role("button", name="Call the movement").click()
    expect(phone.locator(".messages")).to_contain_text("is called, as a draft")
    slug = "kiln-helpers"

    phone.get_by_role("link", name="Set up a drive").click()
    accessible(phone, "drive-set-up")
    call = phone.locator("#volunteers")
    expect(call).to_contain_text("anyone may sign up")
    call.get_by_label("Volunteers wanted (quota)").fill("20")
    call.get_by_label("Opens").fill(f"{today - dt.timedelta(days=1)}T00:00")
    call.get_by_label("Closes").fill(f"{today + dt.timedelta(days=20)}T18:00")
    call.get_by_label("Roles").fill("carrier; Brick carrier\nstoker")
    call.get_by_role("button", name="Set up the volunteer call").click()
    expect(call.locator(".errorlist")).to_contain_text("Line 2: give a code and a name")
    accessible(phone, "drive-set-up-errors")
    call.get_by_label("Roles").fill("carrier; Brick carrier\nstoker; Kiln stoker")
    call.get_by_role("button", name="Set up the volunteer call").click()
    expect(phone.locator(".messages")).to_contain_text("The volunteer call is set up")
    accessible(phone, "drive-volunteers-draft")

    phone.goto(f"{url}/organise/{slug}/")
    phone.get_by_role("button", name="Launch the movement").click()
    expect(phone.get_by_role("heading", name="Kiln helpers")).to_contain_text("Launched")

    visitor = _new_page(browser, "phone")
    try:
        visitor.goto(f"{url}/drives/{slug}/volunteers/sign-up/")
        accessible(visitor, "drive-public-sign-up")
        visitor.get_by_label("Your name").fill("Pak Chol")
        visitor.get_by_label("Phone or e-mail").fill("+850 2 555 0101")
        visitor.get_by_label("Where you live or work").select_option(label="South kiln team")
        visitor.get_by_label("What you volunteer for").select_option(label="Kiln stoker")
        visitor.get_by_role("button", name="Sign up").click()
        expect(visitor.get_by_role("heading", name="You are signed up")).to_be_visible()
        accessible(visitor, "drive-public-signed-up")
        assert not visitor.csp_violations, visitor.csp_violations
    finally:
        visitor.context.close()
