"""The organiser's secondments page on a desktop and on a 390×844 phone: reached from the
organise page, a refused secondment shown beside its field, then one entered (the panel
swapped in place by htmx) and listed."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accessible, manage, sign_in

BRIGADE = """
from pacesetter.units.actions import UnitRow, import_units
import_units(rows=[UnitRow(code="BT-SB", name="Shock brigade", kind="brigade", parent_code="BT")])
print("ready")
"""


@pytest.fixture(scope="session")
def brigade(world, server_env) -> dict[str, str]:
    """A brigade formed under the trust, apart from its kiln teams."""
    assert manage(server_env, BRIGADE).strip().endswith("ready")
    return world


def test_an_organiser_seconds_persons_to_a_brigade(brigade, page):
    url = brigade["url"]
    sign_in(page, url, "organiser", check=False)
    page.goto(f"{url}/organise/{brigade['movement']}/")
    page.get_by_role("link", name="Secondments").click()
    expect(page.get_by_role("heading", name="Secondments", exact=True)).to_be_visible()
    form = page.locator("form[hx-post]")
    form.get_by_label("Brigade").fill("BT-SB")
    form.get_by_label("Home unit").fill("BT")
    form.get_by_label("Persons").fill("7")
    form.get_by_role("button", name="Second the persons").click()
    expect(page.locator("#secondment_home_error")).to_contain_text("must be apart")
    expect(page.locator('[data-secondment="BT-SB:BT"]')).to_have_count(0)
    accessible(page, "secondments-refused")
    page.locator("form[hx-post]").get_by_label("Home unit").fill("BT-N")
    page.locator("form[hx-post]").get_by_label("Note").fill("from the night shift")
    page.get_by_role("button", name="Second the persons").click()
    expect(page.get_by_text("Saved: 7 of BT-N seconded to BT-SB.")).to_be_visible()
    row = page.locator('[data-secondment="BT-SB:BT-N"]')
    expect(row).to_contain_text("Shock brigade")
    expect(row).to_contain_text("North kiln team")
    expect(row).to_contain_text("from the night shift")
    expect(row.locator("td.num")).to_have_text("7")
    accessible(page, "secondments-saved")
