"""Emulation as people use it: the leaderboard with its method, the overtaking feed on the
dashboard, whom to learn from on a unit page, a challenge made and accepted, and the
notifications of a unit that was overtaken."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, accessible, manage, screenshot, sign_in

SETUP = f"""
import datetime as dt
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import grant_role
from pacesetter.emulation import actions as emulation
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement
from pacesetter.units.actions import UnitRow, create_block, import_units
from pacesetter.units.models import Unit

if not Movement.objects.filter(slug="spring-emulation").exists():
    import_units(rows=[
        UnitRow(code="EM", name="Riverside trust", kind="enterprise", parent_code="", headcount=95),
        UnitRow(code="EM-A", name="Sunrise team", kind="workteam", parent_code="EM", headcount=30),
        UnitRow(code="EM-B", name="Red Star team", kind="workteam", parent_code="EM", headcount=25),
        UnitRow(code="EM-C", name="Vanguard team", kind="workteam", parent_code="EM", headcount=40),
    ])
    users = get_user_model()
    for name in ("em-organiser", "em-head-b"):
        if not users.objects.filter(username=name).exists():
            users.objects.create_user(name, password="{PASSWORD}")
    trust = Unit.objects.get(code="EM")
    grant_role(user=users.objects.get(username="em-organiser"), role="organiser", unit=trust)
    grant_role(user=users.objects.get(username="em-head-b"), role="unit_head", unit=Unit.objects.get(code="EM-B"))
    today = dt.datetime.now(dt.timezone.utc).date()
    drive = movements.create_movement(
        title="Spring emulation", slug="spring-emulation", organiser=trust,
        starts_on=today - dt.timedelta(days=20), ends_on=today + dt.timedelta(days=40),
        call_text="Each team against its peers, every day.",
    )
    movements.add_indicator(movement=drive, code="bricks", name="Bricks", unit_of_measure="pieces")
    drive = movements.launch_movement(movement=drive)
    block = create_block(code="em-teams", name="Riverside teams", units=Unit.objects.filter(code__in=["EM-A", "EM-B", "EM-C"]))
    emulation.create_scoring(movement=drive, block=block, code="bricks", name="Teams by bricks",
        components=[emulation.ComponentSpec("bricks", "raw")])
    emulation.create_scoring(movement=drive, block=block, code="per-member", name="Teams by bricks per member",
        components=[emulation.ComponentSpec("bricks", "per_member")])
    day = today - dt.timedelta(days=2)
    for rows in (
        [("EM-A", 1000), ("EM-B", 2000), ("EM-C", 3000)],
        [("EM-A", 2500)],
        [("EM-B", 2000)],
    ):
        record_reports(movement=drive, source="api", rows=[
            ReportRow(unit=unit, indicator="bricks", day=day, quantity=quantity) for unit, quantity in rows
        ])
        day += dt.timedelta(days=1)
print("ready")
"""


@pytest.fixture(scope="session")
def arena(live_url, server_env) -> str:
    """A private launched movement of three teams in a ranked block; three ingests in which
    Sunrise passes the others and Red Star passes everyone."""
    assert manage(server_env, SETUP).strip().endswith("ready")
    return live_url


def test_leaderboard_and_the_overtaking_feed(arena, page):
    sign_in(page, arena, "em-organiser", check=False)
    page.goto(f"{arena}/movements/spring-emulation/")
    feed = page.get_by_role("region", name="Overtakings")
    expect(feed).to_contain_text(re.compile("Red Star team.*overtook.*Sunrise team"))
    screenshot(page, "emulation-dashboard")
    feed.get_by_role("link", name="Rankings").click()
    page.get_by_role("heading", name="Teams by bricks", exact=True).get_by_role("link").click()
    rows = page.locator("table.leaderboard tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Red Star team")
    expect(rows.nth(0)).to_contain_text("4,000 pieces")
    expect(page.locator(".method")).to_contain_text("total, more is better")
    accessible(page, "emulation-leaderboard")


def test_learn_from_on_the_unit_page(arena, page):
    sign_in(page, arena, "em-organiser", check=False)
    page.goto(f"{arena}/movements/spring-emulation/units/EM-C/")
    section = page.get_by_role("region", name="Whom Vanguard team can learn from")
    expect(section).to_contain_text("Red Star team")
    expect(section).to_contain_text("Sunrise team")
    accessible(page, "emulation-learn-from")


def test_challenge_made_and_accepted(arena, page):
    sign_in(page, arena, "em-organiser", check=False)
    page.goto(f"{arena}/movements/spring-emulation/emulation/challenges/")
    page.get_by_label("Your unit", exact=True).select_option("EM-C")
    page.get_by_label("Challenge a unit (its code)").fill("EM-A")
    page.get_by_label("Answer by").fill(
        page.evaluate("() => new Date().toISOString().slice(0, 10)")
    )
    page.get_by_label("Stake").fill("The losers host the winners' meeting")
    page.get_by_role("button", name="Send the challenge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Vanguard team challenges Sunrise team"
    )
    page.get_by_role("button", name="Accept for Sunrise team").click()
    expect(page.locator("[data-status]")).to_have_text("Accepted, running")
    standings = page.locator("#standings + div table tbody tr")
    expect(standings.nth(0)).to_contain_text("Sunrise team")
    expect(standings.nth(1)).to_contain_text("Vanguard team")
    accessible(page, "emulation-challenge")


def test_notifications_of_an_overtaken_unit(arena, page):
    sign_in(page, arena, "em-head-b", check=False)
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator(".notifications")).to_contain_text("Sunrise team overtook you")
    accessible(page, "emulation-notifications")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator(".notifications li.unread")).to_have_count(0)
