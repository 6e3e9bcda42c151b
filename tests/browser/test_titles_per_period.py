"""A title judged per week, as an organiser runs it: the title page asks for the movement's
period (not the year), the run names the week, the award and its public verification page show
the week it was won in.

The server runs on its own database, seeded with a movement of four weekly periods (plans of
100 t a week) and two workteams per viewport: team A makes 120 t in week 3, team B 100 t.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pacesetter_bench.server import free_port
from tests.browser.conftest import BIN, CHROMIUM, accessible, screenshot

PASSWORD = "per-period-browser-password"

PACK = """\
pack: weekly
name: Weekly titles
titles:
  - code: team_of_the_week
    name: Team of the week
    subject: unit
    unit_kind: workteam
    judged: per_week
    versions:
      - id: v1
        valid_from: 2020-01-01
        requires:
          - fact: plan_fulfilment
            indicator: output
            op: ">="
            value: 110
            label: at least 110% of the week's plan
"""

SEED = f"""
import datetime as dt
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import grant_role
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movements
from pacesetter.titles.actions import load_pack
from pacesetter.units.actions import UnitRow, import_units
from pacesetter.units.models import Unit

teams = [("AD", "Team A (desktop)", "MD"), ("BD", "Team B (desktop)", "MD"),
         ("AP", "Team A (phone)", "MP"), ("BP", "Team B (phone)", "MP")]
import_units(rows=[UnitRow("TT", "Textile trust", "country")]
    + [UnitRow("MD", "Mill (desktop)", "enterprise", "TT"),
       UnitRow("MP", "Mill (phone)", "enterprise", "TT")]
    + [UnitRow(code, name, "workteam", parent) for code, name, parent in teams])
movement = movements.create_movement(
    title="Spring weeks", slug="spring-weeks", organiser=Unit.objects.get(code="TT"),
    starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 29),
)
movements.add_indicator(movement=movement, code="output", name="Output", unit_of_measure="t")
for week in range(4):
    monday = dt.date(2026, 3, 2) + dt.timedelta(days=7 * week)
    movements.add_period(movement=movement, name=f"week {{week + 1}}", starts_on=monday,
                         ends_on=monday + dt.timedelta(days=6))
movements.set_plans(movement=movement, rows=[
    movements.PlanRow(code, "output", "100", period=f"week {{week + 1}}")
    for code, _, _ in teams for week in range(4)
])
movement = movements.launch_movement(movement=movement)
record_reports(movement=movement, source="api", verified=True, rows=[
    ReportRow(unit=code, indicator="output", day="2026-03-18",
              quantity="120" if code.startswith("A") else "100")
    for code, _, _ in teams
])
load_pack(text={PACK!r})
made = get_user_model().objects.create_user(username="organiser", password={PASSWORD!r})
grant_role(user=made, role="organiser", unit=Unit.objects.get(code="TT"))
"""


@pytest.fixture(scope="module")
def weekly_url(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it.")
    var = tmp_path_factory.mktemp("per-period-server")
    port = free_port()
    env = {
        **os.environ,
        "PACESETTER_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/pacesetter.sqlite3",
        "WEB_CONCURRENCY": "2",
        "BIND": f"127.0.0.1:{port}",
    }
    pacesetter = str(BIN / "pacesetter")
    subprocess.run([pacesetter, "migrate", "-v", "0"], env=env, check=True)
    seeded = subprocess.run(
        [pacesetter, "shell", "-c", SEED], env=env, capture_output=True, text=True, check=False
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    log = open(var / "server.log", "wb")  # noqa: SIM115 - kept open for the server's lifetime
    server = subprocess.Popen([pacesetter, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the server did not start: {(var / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(timeout=15)
    log.close()


def test_an_organiser_runs_team_of_the_week_for_a_week(weekly_url, page):
    url = weekly_url
    mill = "MD" if page.viewport_name == "desktop" else "MP"
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("organiser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{url}/")

    # The title page asks for the movement and its period, not for a year.
    page.goto(f"{url}/titles/packs/weekly/team_of_the_week/")
    expect(page.locator("main")).to_contain_text("judged for each calendar week")
    expect(page.get_by_label("Year")).to_have_count(0)
    page.get_by_label("Unit").fill(mill)
    page.get_by_label("Movement").fill("spring-weeks")
    page.get_by_label("Period").fill("week 9")
    page.get_by_role("button", name="Evaluate").click()
    expect(page.locator("main")).to_contain_text("No period 'week 9' in this movement.")
    page.get_by_label("Period").fill("week 3")
    accessible(page, "titles-per-period-form")
    page.get_by_role("button", name="Evaluate").click()

    # The run names the week; team A (120%) is selected, team B (100%) is told why not.
    expect(page.get_by_role("heading", level=1)).to_contain_text("week 3 (16–22 Mar)")
    expect(page.locator("dl.facts")).to_contain_text("2 judged · 1 eligible · 1 selected")
    expect(page.locator("table.candidates")).to_contain_text(
        "in week 3 (16–22 Mar): at least 110% of the week's plan"
    )
    accessible(page, "titles-per-period-run")
    page.get_by_role("button", name="Award the 1 selected").click()
    expect(page.locator(".messages")).to_contain_text("Awarded 1")

    # The award and its public verification show the week.
    page.goto(f"{url}/titles/packs/weekly/team_of_the_week/")
    page.locator("#awards-h + ul li", has_text=f"Team A ({page.viewport_name})").get_by_role(
        "link"
    ).click()
    expect(page.locator("dl.facts")).to_contain_text("week 3 (16–22 Mar)")
    code = page.locator("dl.facts code").first.inner_text()
    # Final once the awarding body's decision is recorded (the server's dates are UTC's).
    decision = page.locator("#decision")
    decision.get_by_label("Decision number").fill("W3/2026")
    decision.get_by_label("Decision date").fill(dt.datetime.now(dt.UTC).date().isoformat())
    decision.get_by_label("Awarding body").fill("The mill's committee")
    decision.get_by_label("Signed by (name)").fill("A. Chair")
    decision.get_by_label("Signer's position").fill("Chair")
    decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision")).to_contain_text("the award is final")
    screenshot(page, "titles-per-period-award")
    page.context.clear_cookies()
    page.goto(f"{url}/verify/{code}")
    expect(page.locator(".verdict")).to_contain_text("genuine and valid")
    expect(page.locator("dl.facts")).to_contain_text("Period")
    expect(page.locator("dl.facts")).to_contain_text("week 3 (16–22 Mar)")
    accessible(page, "titles-per-period-verify")
