"""Issue 28's story, end to end through the pages on 390×844 phones: a company runs a
four-week production contest between its 3 sites and 12 teams, on a fresh install without
the demo. The installation's operator (made by `pacesetter createsuperuser`, the one thing
done outside the pages) builds the tree and appoints the organiser; from then on the
organiser, a site's head, a team's reporter and an anonymous visitor do everything on the
pages: people and roles, the movement with weekly periods and plans, a ranked block, reports
from a phone and from a file, an overtaking and its notification, a title evaluated and
awarded, a public volunteer call and a donation drive with its receipt.

Each step saves a screenshot (var/screenshots/story-NN-*-phone.png) for a person to look at.
The database is only read, to check what the pages said.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pacesetter.movements.period_series import WEEKDAYS, span_label
from tests.browser.conftest import (
    BIN,
    PASSWORD,
    SCREENSHOTS,
    _new_page,
    running_server,
    screenshot,
    sign_in,
)

ZONE = "Europe/Paris"
SLUG = "spring-contest"
DRIVE = "solidarity-saturday"
SITES = {"HM-N": "North site", "HM-S": "South site", "HM-W": "West site"}
# Each site's 4 teams; North's are the block ranked on plan fulfilment.
TEAMS = {
    f"{site}{n}": f"{name.split()[0]} team {n}" for site, name in SITES.items() for n in "1234"
}
WEEKLY_PLAN = {"HM-N1": 500, "HM-N2": 500, "HM-N3": 400, "HM-N4": 400}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict:
    """A fresh installation: migrated, no demo, one operator (a superuser)."""
    var = tmp_path_factory.mktemp("story-server")
    env = {
        **os.environ,
        "PACESETTER_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/pacesetter.sqlite3",
        "WEB_CONCURRENCY": "2",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    pacesetter = str(BIN / "pacesetter")
    subprocess.run([pacesetter, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run(
        [pacesetter, "createsuperuser", "--noinput", "--username", "operator", "--email", ""],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with running_server(env) as url:
        yield {"url": url, "database": var / "pacesetter.sqlite3"}


def _query(database: Path, sql: str, *params) -> list[tuple]:
    """Read the server's database (never write it)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute(sql, params).fetchall()


def _csv(name: str, lines: list[str]) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode()}


def _shot(page, number: int, name: str) -> None:
    screenshot(page, f"story-{number:02d}-{name}")


def test_a_four_week_contest_on_a_fresh_install(fresh, browser):
    url, database = fresh["url"], fresh["database"]
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    starts = today - dt.timedelta(days=7)  # week 1 is over, week 2 starts today
    weeks = [
        (starts + dt.timedelta(days=7 * i), starts + dt.timedelta(days=7 * i + 6)) for i in range(4)
    ]
    phones = []

    def phone():
        page = _new_page(browser, "phone")
        phones.append(page)
        return page

    try:
        operator = phone()
        _tree(operator, url)
        _appoint_the_organiser(operator, url)
        organiser = phone()
        sign_in(organiser, url, "olga", check=False)
        _people(organiser, url)
        _movement(organiser, url, starts, weeks)
        _ranking(organiser, url)
        head, reporter = phone(), phone()
        _reports(organiser, head, reporter, url, today, weeks)
        _overtaking(head, reporter, url, today, database)
        _title(organiser, url, _week_names(weeks)[0])
        visitor = phone()
        _volunteer_call(organiser, visitor, url, today)
        _donation(organiser, url)
    finally:
        for page in phones:
            violations = page.csp_violations
            page.context.close()
            assert not violations, violations


def _tree(page, url: str) -> None:
    """1. The operator builds the tree: the company and a site by hand, the rest from a file."""
    sign_in(page, url, "operator", check=False)
    page.goto(f"{url}/units/")
    expect(page.locator("#tops-heading + p.empty")).to_be_visible()  # a fresh install
    add = page.locator("#add-root")
    add.get_by_label("Code").fill("HM")
    add.get_by_label("Name").fill("Hillside Manufacturing")
    add.get_by_label("Kind").fill("company")
    add.get_by_label("Headcount").fill("160")
    add.get_by_role("button", name="Add the unit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hillside Manufacturing")

    under = page.locator("form", has=page.get_by_role("button", name="Add the unit"))
    under.get_by_label("Code").fill("HM-N")
    under.get_by_label("Name").fill("North site")
    under.get_by_label("Kind").fill("site")
    under.get_by_label("Headcount").fill("60")
    under.get_by_role("button", name="Add the unit").click()
    expect(page.get_by_role("status").filter(has_text="North site was added under")).to_be_visible()

    rows = ["code,name,kind,parent_code,headcount"]
    rows += [f"{code},{name},site,HM,50" for code, name in SITES.items() if code != "HM-N"]
    rows += [f"{code},{name},team,{code[:-1]},{10 + int(code[-1])}" for code, name in TEAMS.items()]
    page.goto(f"{url}/units/")
    page.get_by_label("Units file").set_input_files(_csv("units.csv", rows))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".messages")).to_contain_text("14 units created, 0 updated")
    page.get_by_role("link", name="Hillside Manufacturing").click()
    expect(page.get_by_role("link", name="West site")).to_be_visible()
    page.get_by_role("link", name="North site").click()
    expect(page.get_by_role("link", name="North team 4")).to_be_visible()
    _shot(page, 1, "tree")


def _grant(page, url: str, unit: str, username: str, role: str) -> None:
    page.goto(f"{url}/units/{unit}/")
    page.get_by_role("link", name="Grant or withdraw roles here and below").click()
    page.get_by_label("Person (username)").fill(username)
    page.get_by_label("Role", exact=True).select_option(role)
    page.get_by_role("button", name="Grant").click()
    expect(page.locator(".messages")).to_contain_text(f"{username} now holds the role")


def _add_person(page, url: str, username: str, full_name: str) -> None:
    page.goto(f"{url}/people/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Full name").fill(full_name)
    page.get_by_label("Initial password").fill(PASSWORD)
    page.get_by_role("button", name="Add the person").click()
    expect(page.get_by_role("status")).to_contain_text(f"{username} was added")


def _appoint_the_organiser(page, url: str) -> None:
    """2a. The operator adds the organiser and makes her organiser of the company."""
    _add_person(page, url, "olga", "Olga Organiser")
    _grant(page, url, "HM", "olga", "organiser")


def _people(page, url: str) -> None:
    """2b. The organiser adds the North site's head and North team 1's reporter, and grants
    their roles from the units' pages."""
    _add_person(page, url, "nadia", "Nadia Head")
    _add_person(page, url, "ravi", "Ravi Reporter")
    _grant(page, url, "HM-N", "nadia", "unit_head")
    _grant(page, url, "HM-N1", "ravi", "reporter")
    page.goto(f"{url}/people/")
    people = page.get_by_role("region", name=re.compile("People"))
    expect(people).to_contain_text("Reporter · North team 1")
    expect(people).to_contain_text("Unit head · North site")
    # Every row's action is in reach on the phone, without scrolling sideways.
    width = page.viewport_size["width"]
    for button in people.get_by_role("button", name=re.compile("Deactivate")).all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    _shot(page, 2, "people")
    page.goto(f"{url}/units/HM-N1/")
    expect(page.locator("#holders-heading + ul")).to_contain_text("Ravi Reporter")
    _shot(page, 2, "unit-roles")


def _movement(page, url: str, starts: dt.date, weeks: list[tuple[dt.date, dt.date]]) -> None:
    """3. The movement: its indicator, four weekly periods generated with one button, and
    every team's plans (a file, previewed before it is saved)."""
    week_names = _week_names(weeks)
    page.goto(f"{url}/")
    page.get_by_role("link", name="Call a new movement").click()
    page.get_by_label("Title", exact=True).fill("Spring production contest")
    page.get_by_label("Slug").fill(SLUG)
    page.get_by_label("Call text").fill("Four weeks, twelve teams: every team over its plan.")
    page.get_by_label("Organising unit").fill("HM")
    page.get_by_label("Starts on").fill(starts.isoformat())
    page.get_by_label("Ends on").fill(weeks[-1][1].isoformat())
    page.get_by_label("Time zone").fill(ZONE)
    page.get_by_role("button", name="Call the movement").click()
    expect(page.locator(".messages")).to_contain_text("is called, as a draft")

    indicators = page.locator("#indicators")
    indicators.get_by_label("Code").fill("parts")
    indicators.get_by_label("Name", exact=True).fill("Parts")
    indicators.get_by_label("Unit of measure").fill("parts")
    indicators.get_by_role("button", name="Add the indicator").click()
    expect(page.locator(".messages")).to_contain_text("Indicator Parts added")

    # Four weekly periods in one go: weeks start on the movement's first weekday, so the four
    # weeks are whole; the plans file names them as they were generated.
    periods = page.locator("#periods")
    periods.get_by_label("Every").select_option("week")
    periods.get_by_label("Weeks start on").select_option(WEEKDAYS[starts.weekday()])
    periods.get_by_role("button", name="Generate the periods").click()
    expect(page.locator("#periods").get_by_role("status")).to_contain_text("4 periods added.")
    table = page.locator("#periods table")
    expect(table.locator("tbody tr")).to_have_count(5)  # the whole movement and 4 weeks
    for name in week_names:
        expect(table).to_contain_text(name)
    _shot(page, 3, "periods")

    rows = ["unit_code,indicator,period,planned"]
    for code in TEAMS:
        weekly = WEEKLY_PLAN.get(code, 450)
        rows += [f"{code},parts,{name},{weekly}" for name in week_names]
        rows.append(f"{code},parts,,{4 * weekly}")  # the whole contest
    plans = page.locator("#plans")
    plans.get_by_label("Plans file").set_input_files(_csv("plans.csv", rows))
    plans.get_by_role("button", name="Preview the plans").click()
    expect(page.get_by_role("status")).to_contain_text("Confirming creates 60 plans")
    _shot(page, 3, "plans-preview")
    page.get_by_role("button", name="Confirm: save 60 plans").click()
    expect(page.locator(".messages")).to_contain_text("60 plans created, 0 changed")
    expect(page.locator("#plans caption")).to_contain_text("60 plans")
    _shot(page, 3, "movement")


def _week_names(weeks: list[tuple[dt.date, dt.date]]) -> list[str]:
    """The generated weeks' names: "Week 1 (3–9 Mar)", numbered from the movement's start."""
    return [f"Week {n} ({span_label(first, last)})" for n, (first, last) in enumerate(weeks, 1)]


def _ranking(page, url: str) -> None:
    """4. North site's teams, a block ranked on plan fulfilment."""
    page.goto(f"{url}/organise/{SLUG}/")
    page.get_by_role("link", name="Rank a block").click()
    block = page.locator("#block")
    block.get_by_label("Code", exact=True).fill("north-teams")
    block.get_by_label("Name", exact=True).fill("North site teams")
    block.get_by_label("Unit codes").fill("HM-N1 HM-N2 HM-N3 HM-N4")
    block.get_by_role("button", name="Make the block").click()
    expect(page.locator(".messages")).to_contain_text("Block North site teams is made")
    rank = page.locator("#rank")
    rank.get_by_label("Block ranked").select_option(label="North site teams (north-teams)")
    rank.get_by_label("Code", exact=True).fill("north")
    rank.get_by_label("Name", exact=True).fill("North teams on plan fulfilment")
    rank.get_by_label("Indicator 1").select_option(label="Parts")
    rank.get_by_label("Compared as 1").select_option(label="Plan fulfilment")
    rank.get_by_role("button", name="Rank the block").click()
    expect(page.get_by_role("heading", name="North teams on plan fulfilment")).to_be_visible()
    _shot(page, 4, "ranking")


def _reports(organiser, head, reporter, url, today, weeks) -> None:
    """5. Launch; the North site's head uploads last week's file, previewed first; North team
    1's reporter enters today's figure on the phone."""
    organiser.goto(f"{url}/organise/{SLUG}/")
    organiser.get_by_role("button", name="Launch the movement").click()
    expect(organiser.get_by_role("heading", name="Spring production contest")).to_contain_text(
        "Launched"
    )

    sign_in(head, url, "nadia", check=False)
    head.goto(f"{url}/report/{SLUG}/upload/")
    first, _last = weeks[0]
    week = {"HM-N1": 250, "HM-N2": 200, "HM-N3": 150, "HM-N4": 120}
    rows = ["unit,indicator,day,quantity"]
    for offset in (1, 3):
        rows += [
            f"{code},parts,{first + dt.timedelta(days=offset)},{q}" for code, q in week.items()
        ]
    head.get_by_label("File", exact=True).set_input_files(_csv("north-week-1.csv", rows))
    head.get_by_role("button", name="Show the preview").click()
    expect(head.get_by_role("status")).to_contain_text("All 8 rows are valid")
    expect(head.locator("[data-indicator=parts]")).to_contain_text("+1,440")
    _shot(head, 5, "upload-preview")
    head.get_by_role("button", name=re.compile("Confirm")).click()
    expect(head.locator(".messages")).to_contain_text("8 reports recorded")

    sign_in(reporter, url, "ravi", check=False)
    reporter.get_by_role("link", name="Enter reports").first.click()
    expect(reporter.get_by_label("Day", exact=True)).to_have_value(today.isoformat())
    expect(reporter.get_by_label("Unit", exact=True)).to_have_value("HM-N1")
    reporter.get_by_label("Quantity").fill("120")
    reporter.get_by_role("button", name="Save").click()
    expect(reporter.locator(".saved")).to_contain_text("Saved: 120 parts of Parts for HM-N1")
    _shot(reporter, 5, "report-entry")


def _overtaking(head, reporter, url, today, database) -> None:
    """6. North team 2 reports a big day and passes North team 1 (31.0% of the contest's plan):
    the leaderboard shows it, and team 1's reporter is told."""
    head.goto(f"{url}/report/{SLUG}/")
    head.get_by_label("Unit", exact=True).select_option("HM-N2")
    head.get_by_label("Quantity").fill("300")
    head.get_by_role("button", name="Save").click()
    expect(head.locator(".saved")).to_contain_text("Saved: 300 parts of Parts for HM-N2")

    head.goto(f"{url}/movements/{SLUG}/emulation/north/")
    rows = head.locator("table.leaderboard tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("North team 2")
    expect(rows.nth(0)).to_contain_text("35.0%")
    expect(rows.nth(1)).to_contain_text("North team 1")
    expect(rows.nth(1)).to_contain_text("31.0%")
    _shot(head, 6, "leaderboard")
    head.goto(f"{url}/movements/{SLUG}/emulation/overtakings/")
    expect(head.locator("main")).to_contain_text(re.compile("North team 2.*overtook.*North team 1"))
    _shot(head, 6, "overtakings")

    reporter.goto(f"{url}/")
    reporter.get_by_role("link", name="Notifications").click()
    expect(reporter.locator(".notifications")).to_contain_text("North team 2 overtook you")
    _shot(reporter, 6, "notification")
    assert _query(
        database,
        "SELECT count(*) FROM emulation_overtakingevent e"
        " JOIN units_unit a ON a.id = e.ahead_id JOIN units_unit b ON b.id = e.behind_id"
        " WHERE a.code = 'HM-N2' AND b.code = 'HM-N1'",
    ) == [(1,)]


PACK = """\
pack: contest
name: Production contest titles
titles:
  - code: team_of_the_week
    name: Team of the week
    subject: unit
    unit_kind: team
    judged: per_period
    awarding_body: The contest committee
    versions:
      - id: v1
        valid_from: 2000-01-01
        requires:
          - fact: rank_in_block
            block: north-teams
            indicator: parts
            figures: all
            op: "=="
            value: 1
            label: first of its block on plan fulfilment in the week
          - fact: plan_fulfilment
            indicator: parts
            figures: all
            op: ">="
            value: 30
            label: at least 30% of the week's plan
        cap:
          max: 1
"""


def _title(page, url: str, week: str) -> None:
    """7. "Team of the week", judged per period: evaluated for week 1 (over: North team 1 made
    its whole plan, 100%, ahead of team 2's 80%), awarded, and made final by the contest
    committee's decision recorded on the award's page."""
    page.goto(f"{url}/titles/")
    page.get_by_label("Rule pack (YAML or JSON)").fill(PACK)
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Loaded Production contest titles")
    page.get_by_role("link", name="Team of the week").first.click()
    expect(page.get_by_label("Year")).to_have_count(0)  # judged per period: no year asked
    page.get_by_label("Unit").fill("HM-N")
    page.get_by_label("Movement").fill(SLUG)
    page.get_by_label("Period").fill(week)
    _shot(page, 7, "title-form")
    page.get_by_role("button", name="Evaluate").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(week)
    expect(heading).not_to_contain_text(f"{week} (")  # the week's days are named once
    expect(page.locator("dl.facts")).to_contain_text("4 judged · 1 eligible · 1 selected")
    candidates = page.locator("table.candidates")
    expect(candidates).to_contain_text("first of its block on plan fulfilment in the week")
    winner = candidates.locator("tbody tr", has_text="North team 1")
    expect(winner).to_contain_text("selected")
    _shot(page, 7, "title-run")
    page.get_by_role("button", name="Award the 1 selected").click()
    expect(page.locator(".messages")).to_contain_text("Awarded 1")

    page.goto(f"{url}/titles/packs/contest/team_of_the_week/")
    page.locator("#awards-h + ul li", has_text="North team 1").get_by_role("link").first.click()
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("North team 1")
    expect(facts).to_contain_text(week)
    expect(facts).not_to_contain_text(f"{week} (")
    decision = page.locator("#decision")
    expect(decision).to_contain_text("Awaiting the awarding body's decision")
    # The server's dates are UTC's: the decision is dated the day the award was made.
    decision.get_by_label("Decision number").fill("CC-2026/01")
    decision.get_by_label("Decision date").fill(dt.datetime.now(dt.UTC).date().isoformat())
    decision.get_by_label("Awarding body").fill("The contest committee")
    decision.get_by_label("Signed by (name)").fill("Olga Organiser")
    decision.get_by_label("Signer's position").fill("Chair of the contest committee")
    decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision")).to_contain_text("the award is final")
    expect(page.locator("#decision")).to_contain_text("CC-2026/01")
    _shot(page, 7, "title-award")


def _volunteer_call(page, visitor, url: str, today: dt.date) -> None:
    """8. A public movement with a volunteer call; an anonymous visitor signs up on its public
    page, and the organiser sees the sign-up."""
    page.goto(f"{url}/organise/new/")
    page.get_by_label("Title", exact=True).fill("Solidarity Saturday")
    page.get_by_label("Slug").fill(DRIVE)
    page.get_by_label("Organising unit").fill("HM")
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label("Ends on").fill((today + dt.timedelta(days=27)).isoformat())
    page.get_by_label("Time zone").fill(ZONE)
    page.get_by_label("Public: totals").check()
    page.get_by_role("button", name="Call the movement").click()
    expect(page.locator(".messages")).to_contain_text("is called, as a draft")
    page.get_by_role("link", name="Set up a drive").click()

    call = page.locator("#volunteers")
    call.get_by_label("Volunteers wanted (quota)").fill("40")
    call.get_by_label("Opens").fill(f"{today}T00:00")
    call.get_by_label("Closes").fill(f"{today + dt.timedelta(days=20)}T18:00")
    call.get_by_label("Roles").fill("packer; Food-bank packer\ndriver; Delivery driver")
    call.get_by_role("button", name="Set up the volunteer call").click()
    expect(page.locator(".messages")).to_contain_text("The volunteer call is set up")

    page.goto(f"{url}/drives/{DRIVE}/set-up/")
    donations = page.locator("#donations")
    donations.get_by_label("Items").fill("coats; Winter coats; coats; 0")
    donations.get_by_role("button", name="Set up the donation drive").click()
    expect(page.locator(".messages")).to_contain_text("The donation drive is set up")

    page.goto(f"{url}/organise/{DRIVE}/")
    page.get_by_role("button", name="Launch the movement").click()
    expect(page.get_by_role("heading", name="Solidarity Saturday")).to_contain_text("Launched")

    visitor.goto(f"{url}/drives/{DRIVE}/volunteers/sign-up/")
    visitor.get_by_label("Your name").fill("Pia Passer-by")
    visitor.get_by_label("Phone or e-mail").fill("pia@example.org")
    visitor.get_by_label("Where you live or work").select_option(label="South site")
    visitor.get_by_label("What you volunteer for").select_option(label="Food-bank packer")
    visitor.get_by_role("button", name="Sign up").click()
    expect(visitor.get_by_role("heading", name="You are signed up")).to_be_visible()
    _shot(visitor, 8, "signed-up")

    page.goto(f"{url}/drives/{DRIVE}/volunteers/")
    expect(page.locator("[data-figure=signups]")).to_have_text("1")
    expect(page.locator("table.signups")).to_contain_text("Pia Passer-by")
    _shot(page, 8, "volunteers")


def _donation(page, url: str) -> None:
    """9. A gift of coats recorded at the North site, and the donor's receipt."""
    page.goto(f"{url}/drives/{DRIVE}/donations/?unit=HM-N")
    gift = page.locator("form:has(input[name=form][value=gift])")
    gift.get_by_label("Item").select_option(label="Winter coats (coats)")
    gift.get_by_label("Quantity").fill("35")
    gift.get_by_label("Donor kind").select_option(label="Anonymous")
    gift.locator("input[name=gift-donor]").fill("The night shift")
    gift.get_by_role("button", name="Record the gift").click()
    expect(page.locator(".notice")).to_contain_text("The donor's receipt (PDF)")
    expect(page.locator("[data-item=coats] [data-figure=held]")).to_have_text("35")
    _shot(page, 9, "donation")
    href = page.get_by_role("link", name="The donor's receipt (PDF)").get_attribute("href")
    response = page.request.get(url + href)
    assert response.headers["content-type"] == "application/pdf"
    pdf = SCREENSHOTS / "story-09-receipt.pdf"
    pdf.write_bytes(response.body())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
        check=True,
    )
