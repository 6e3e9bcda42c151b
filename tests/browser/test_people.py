"""An organiser on a phone changes a person's name and email on the people page: the form is
swapped in place (HTMX), its errors beside the fields, then saved."""

from playwright.sync_api import expect

from tests.browser.conftest import accessible, sign_in


def test_an_organiser_renames_a_person_on_a_phone(world, phone):
    url, page = world["url"], phone
    sign_in(page, url, "organiser", check=False)
    page.goto(f"{url}/people/")
    page.get_by_role("link", name="Edit reporter").click()
    page.wait_for_url(f"{url}/people/reporter/edit/")
    accessible(page, "person-edit")

    page.get_by_role("textbox", name="Full name").fill("")
    page.get_by_role("textbox", name="Email (optional)").fill("not-an-address")
    page.get_by_role("button", name="Save").click()
    problems = page.locator(".problems")
    expect(problems).to_contain_text("Full name")
    expect(problems).to_contain_text("Email")
    expect(page.locator("#person-panel .errorlist").first).to_be_visible()  # beside the field
    accessible(page, "person-edit-errors")

    page.get_by_role("textbox", name="Full name").fill("Rana Reporter")
    page.get_by_role("textbox", name="Email (optional)").fill("rana@example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: Rana Reporter.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rana Reporter")
    accessible(page, "person-edit-saved")
    page.goto(f"{url}/people/")
    expect(page.get_by_role("table")).to_contain_text("Rana Reporter")
