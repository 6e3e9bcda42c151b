"""What a reporter does, on a 390×844 phone: enter the day's figure and see the total move; a
double tap or a retry after a dropped connection counts once; a file with bad rows is shown
row by row and nothing is written until a corrected file is confirmed."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import accessible, screenshot, sign_in


def _actual(page, url: str) -> int:
    page.goto(f"{url}/movements/brick-drive/")
    return int(page.locator("[data-figure=actual]").first.inner_text().replace(",", ""))


def _entry(page, url: str) -> None:
    page.goto(f"{url}/report/brick-drive/")
    expect(page.get_by_role("heading", name="Enter reports")).to_be_visible()


def test_a_reporter_enters_a_figure_and_the_dashboard_total_changes(world, phone):
    url = world["url"]
    sign_in(phone, url, "reporter")
    accessible(phone, "home-reporter")
    before = _actual(phone, url)
    accessible(phone, "dashboard-before")
    phone.get_by_role("link", name="Enter reports").click()
    accessible(phone, "report-entry")
    # Today (in the movement's time zone) is filled in; the reporter's one unit is chosen.
    expect(phone.get_by_label("Day", exact=True)).to_have_value(world["today"])
    expect(phone.get_by_label("Unit", exact=True)).to_have_value("BT-N")
    phone.get_by_label("Quantity").fill("250")
    phone.get_by_role("button", name="Save").click()
    expect(phone.locator(".saved")).to_contain_text("Saved: 250 pieces of Bricks for BT-N")
    expect(phone.locator(".entries")).to_contain_text("250 pieces")
    # A fresh form for the next entry, with a new key.
    expect(phone.get_by_label("Quantity")).to_have_value("")
    accessible(phone, "report-entry-saved")
    assert _actual(phone, url) == before + 250
    screenshot(phone, "dashboard-after")


def test_undo_files_a_correction_and_the_total_goes_back(world, phone):
    url = world["url"]
    sign_in(phone, url, "reporter")
    before = _actual(phone, url)
    _entry(phone, url)
    phone.get_by_label("Quantity").fill("31")
    phone.get_by_role("button", name="Save").click()
    expect(phone.locator(".saved")).to_contain_text("Saved: 31 pieces")
    assert _actual(phone, url) == before + 31
    _entry(phone, url)
    entry = phone.locator(".entries li").filter(has_text="31 pieces").first
    entry.get_by_text("Undo this entry").click()
    entry.get_by_label("Why?").fill("counted the same kiln twice")
    accessible(phone, "report-entry-undo")
    entry.get_by_role("button", name="Undo").click()
    expect(phone.locator(".saved")).to_contain_text("Undone: 31 pieces of Bricks")
    expect(phone.locator(".entries")).to_contain_text("counted the same kiln twice")
    assert _actual(phone, url) == before


def test_a_retry_after_a_dropped_connection_counts_once(world, phone):
    url = world["url"]
    sign_in(phone, url, "reporter")
    before = _actual(phone, url)
    _entry(phone, url)
    phone.get_by_label("Quantity").fill("7")
    dropped = []

    def drop_the_first_answer(route):
        if route.request.method == "POST" and not dropped:
            dropped.append(route.fetch().status)  # the server records the report...
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    phone.route(re.compile(r".*/report/brick-drive/$"), drop_the_first_answer)
    phone.get_by_role("button", name="Save").click()
    for _ in range(100):
        if dropped:
            break
        phone.wait_for_timeout(100)
    assert dropped == [200]
    expect(phone.locator(".saved")).to_have_count(0)
    # The reporter, seeing nothing happen, taps Save again: the same form, the same key.
    phone.get_by_role("button", name="Save").click()
    expect(phone.locator(".saved")).to_contain_text("This form was sent twice; it counts once.")
    screenshot(phone, "report-entry-retry")
    phone.unroute_all(behavior="ignoreErrors")
    assert _actual(phone, url) == before + 7


def test_a_double_tap_without_javascript_counts_once(world, page_without_javascript):
    page, url = page_without_javascript, world["url"]
    sign_in(page, url, "reporter", check=False)
    before = _actual(page, url)
    _entry(page, url)
    page.get_by_label("Quantity").fill("5")
    page.get_by_role("button", name="Save").dblclick()
    expect(page.locator(".messages")).to_contain_text("5 pieces of Bricks for BT-N")
    assert _actual(page, url) == before + 5


def test_report_entry_works_by_keyboard(world, phone):
    url = world["url"]
    sign_in(phone, url, "reporter")
    before = _actual(phone, url)
    _entry(phone, url)
    quantity = phone.get_by_label("Quantity")
    for _ in range(40):
        phone.keyboard.press("Tab")
        if quantity.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the quantity")
    phone.keyboard.type("4")
    phone.keyboard.press("Enter")
    expect(phone.locator(".saved")).to_contain_text("Saved: 4 pieces")
    assert _actual(phone, url) == before + 4


def _csv(today: str, rows: list[tuple[str, str]]) -> dict:
    lines = ["unit,indicator,day,quantity", *(f"{u},bricks,{today},{q}" for u, q in rows)]
    return {"name": "bricks.csv", "mimeType": "text/csv", "buffer": "\n".join(lines).encode()}


def test_a_bulk_upload_with_two_bad_rows_writes_nothing_then_a_fixed_file_applies(world, page):
    url, today = world["url"], world["today"]
    big = "1100" if page.viewport_name == "desktop" else "1200"  # a different file per run
    sign_in(page, url, "reporter")
    before = _actual(page, url)
    page.get_by_role("link", name="Upload a file").click()
    accessible(page, "upload")
    bad = [("BT-N", big), ("BT-S", "5"), ("BT-N", "2.5"), ("BT-N", "9")]
    page.get_by_label("File", exact=True).set_input_files(_csv(today, bad))
    page.get_by_role("button", name="Show the preview").click()
    expect(page.get_by_role("alert")).to_contain_text("2 of 4 rows are not valid")
    bad_rows = page.locator("tr.bad")
    expect(bad_rows).to_have_count(2)
    expect(bad_rows.nth(0)).to_contain_text("BT-S")
    expect(bad_rows.nth(1)).to_contain_text("2.5")
    expect(page.get_by_role("button", name=re.compile("Confirm"))).to_have_count(0)
    accessible(page, "upload-preview-bad")
    assert _actual(page, url) == before  # nothing written

    page.goto(f"{url}/report/brick-drive/upload/")
    fixed = [("BT-N", big), ("BT-N", "2"), ("BT-N", "9")]
    page.get_by_label("File", exact=True).set_input_files(_csv(today, fixed))
    page.get_by_role("button", name="Show the preview").click()
    expect(page.get_by_role("status")).to_contain_text("All 3 rows are valid")
    expect(page.locator("[data-indicator=bricks]")).to_contain_text(f"+{int(big) + 11:,}")
    accessible(page, "upload-preview-good")
    page.get_by_role("button", name=re.compile("Confirm")).click()
    expect(page.locator(".messages")).to_contain_text("3 reports recorded")
    assert _actual(page, url) == before + int(big) + 11
