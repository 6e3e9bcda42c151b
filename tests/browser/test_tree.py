"""An organiser on a phone builds and changes the tree, adds a person and gives them a role on
the new unit — through the pages only."""

from playwright.sync_api import expect

from tests.browser.conftest import accessible, sign_in


def test_an_organiser_changes_the_tree_and_adds_a_person_on_a_phone(world, phone):
    url, page = world["url"], phone
    sign_in(page, url, "organiser", check=False)
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Units").click()
    page.get_by_role("link", name="Brickworks trust").click()
    accessible(page, "tree-unit")

    add = page.locator("form", has=page.get_by_role("button", name="Add the unit"))
    add.get_by_label("Code").fill("BT-E")
    add.get_by_label("Name").fill("East kiln team")
    add.get_by_label("Kind").fill("workteam")
    add.get_by_label("Headcount").fill("9")
    add.get_by_role("button", name="Add the unit").click()
    expect(page.get_by_role("status")).to_contain_text("East kiln team was added under")
    accessible(page, "tree-added")

    page.get_by_role("link", name="East kiln team").click()
    edit = page.locator("form", has=page.get_by_role("button", name="Save"))
    edit.get_by_label("Name").fill("")
    edit.get_by_role("button", name="Save").click()
    expect(edit.locator(".errorlist")).to_contain_text("required")  # beside the field
    accessible(page, "tree-rename-error")
    page.locator("form", has=page.get_by_role("button", name="Save")).get_by_label("Name").fill(
        "East kiln brigade"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("East kiln brigade")
    accessible(page, "tree-renamed")

    page.get_by_label("New parent (code)").fill("BT-N")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_contain_text("is now under North kiln team")
    expect(page.get_by_role("navigation", name="Breadcrumbs")).to_contain_text("North kiln team")
    accessible(page, "tree-moved")

    page.goto(f"{url}/account/")
    page.get_by_role("link", name="People: add someone").click()
    page.get_by_label("Username").fill("east-reporter")
    page.get_by_label("Full name").fill("Eda East")
    page.get_by_role("button", name="Add the person").click()
    expect(page.locator("#set-password-link")).to_contain_text("/accounts/reset/")
    accessible(page, "people-added")

    page.goto(f"{url}/units/BT-E/")
    page.get_by_role("link", name="Grant or withdraw roles").click()
    page.get_by_label("Person (username)").fill("east-reporter")
    page.get_by_label("Role", exact=True).select_option("reporter")
    page.get_by_role("button", name="Grant").click()
    page.goto(f"{url}/units/BT-E/")
    expect(page.locator("#holders-heading + ul")).to_contain_text("Eda East")
    accessible(page, "tree-holder")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("status")).to_contain_text("are archived")
    expect(page.get_by_role("heading", level=1)).to_contain_text("archived")
    accessible(page, "tree-archived")
