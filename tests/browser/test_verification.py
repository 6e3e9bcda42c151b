"""What a verifier does, on a desktop and on a 390×844 phone: open the queue, see why each
flagged report is there, and confirm one, correct one and reject one, each in place."""

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, accessible, manage, screenshot, sign_in

SETUP = """
import datetime as dt
from django.contrib.auth import get_user_model
from django.utils import timezone
from pacesetter.accounts.actions import grant_role
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import Report, ReportFlag
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit

users = get_user_model()
if not users.objects.filter(username="verifier").exists():
    users.objects.create_user("verifier", password="{password}")
grant_role(user=users.objects.get(username="verifier"), role="verifier", unit=Unit.objects.get(code="BT"))
drive = Movement.objects.get(slug="brick-drive")
today = dt.datetime.now(dt.timezone.utc).date()
ids = record_reports(movement=drive, source="api", rows=[
    ReportRow(unit=unit, indicator="bricks", day=today, quantity=quantity, idempotency_key=f"{viewport}-{{n}}")
    for n, (unit, quantity) in enumerate((("BT-N", "9000"), ("BT-S", "12500"), ("BT-S", "20000")))
]).report_ids
reasons = (
    "9,000 pieces is 3.0 times the team's rated capacity of 3,000 a day",
    "12,500 pieces is 6.1 times its median of the last 14 days (2,050)",
    "20,000 pieces: a robust z-score of 7.4 against its block on this day",
)
for pk, kind, reason in zip(ids, ("over_capacity", "jump", "block_outlier"), reasons):
    report = Report.objects.get(pk=pk)
    ReportFlag.objects.get_or_create(report_id=pk, kind=kind, defaults=dict(
        movement=drive, unit_id=report.unit_id, indicator_id=report.indicator_id, day=report.day,
        reason=reason, numbers={{}}, flagged_at=timezone.now()))
print(" ".join(str(pk) for pk in ids))
"""


def test_a_verifier_confirms_corrects_and_rejects_from_the_queue(world, server_env, page):
    url = world["url"]
    ids = (
        manage(server_env, SETUP.format(password=PASSWORD, viewport=page.viewport_name))
        .strip()
        .splitlines()[-1]
        .split()
    )
    sign_in(page, url, "verifier", check=False)
    page.goto(f"{url}/verify/brick-drive/")
    expect(page.get_by_role("heading", name="Verification queue")).to_be_visible()
    confirm, correct, reject = (page.locator(f"#report-{pk}") for pk in ids)
    expect(confirm).to_contain_text("3.0 times the team's rated capacity")
    expect(confirm).to_contain_text("Above rated capacity")
    accessible(page, "verification-queue")

    confirm.get_by_label("Confirm: the figure is right").check()
    confirm.get_by_role("button", name="Decide").click()
    expect(confirm).to_contain_text("Decided: Confirmed.")
    expect(confirm.locator(".verification")).to_contain_text("Confirmed")

    correct.get_by_label("Correct it to another value").check()
    correct.get_by_role("button", name="Decide").click()
    # Nothing decided without the value and a reason: the card says so, in place.
    expect(correct.locator(".problems")).to_be_visible()
    accessible(page, "verification-card-errors")
    correct.get_by_label("Correct value").fill("2500")
    correct.get_by_label("Reason").fill("the kiln log shows 2,500")
    correct.get_by_role("button", name="Decide").click()
    expect(correct).to_contain_text("Decided: Corrected.")
    expect(correct).to_contain_text("It now counts 2,500 pieces.")

    reject.get_by_label("Reject it: it counts 0").check()
    reject.get_by_label("Reason").fill("no firing that day")
    reject.get_by_role("button", name="Decide").click()
    expect(reject).to_contain_text("Decided: Rejected.")
    reject.get_by_text("Verification history").click()
    expect(reject.locator(".history")).to_contain_text("no firing that day")
    accessible(page, "verification-decided")

    # A fresh look: the decided reports left the queue and are in the latest decisions.
    page.goto(f"{url}/verify/brick-drive/")
    for pk in ids:
        expect(page.locator(f"#report-{pk}")).to_have_count(0)
    expect(page.get_by_role("region", name="Table of the latest decisions")).to_contain_text(
        "no firing that day"
    )
    screenshot(page, "verification-queue-after")
