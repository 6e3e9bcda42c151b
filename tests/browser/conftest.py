"""Browser tests drive Debian's chromium (never a downloaded browser) through Playwright,
against the server as `make run` starts it: gunicorn on a fresh database with the demo.

The server runs on its own SQLite file, not the pytest-django test database: the ledger's
triggers refuse the DELETEs a transactional test flush would need. Screenshots go to
var/screenshots/ (desktop and a 390×844 phone) for people to look at.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pacesetter_bench.server import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
BIN = Path(sys.executable).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server_env(tmp_path_factory) -> dict[str, str]:
    """The environment of the server's database: `manage` runs commands against it."""
    var = tmp_path_factory.mktemp("server-var")
    return {
        **os.environ,
        "PACESETTER_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/pacesetter.sqlite3",
        "DEMO_PASSWORD": "browser-demo-password",
        "WEB_CONCURRENCY": "2",
    }


def manage(env: dict[str, str], python: str) -> str:
    """Run Python in `pacesetter shell` on the server's database (as the system), e.g. to
    set up units, users and their roles; returns what it printed."""
    done = subprocess.run(
        [str(BIN / "pacesetter"), "shell", "-c", python],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"setup failed: {done.stderr[-3000:]}")
    return done.stdout


@contextlib.contextmanager
def running_server(env: dict[str, str]) -> Iterator[str]:
    """`pacesetter serve` (gunicorn) on the database of `env` (migrated and seeded by the
    caller), on a free port; yields its address and stops it afterwards."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is missing: `make test` installs it (apt-get install chromium)."
        )
    var = Path(env["PACESETTER_VAR"])
    port = free_port()
    env["BIND"] = f"127.0.0.1:{port}"
    log = open(var / "server.log", "wb")  # noqa: SIM115 - kept open for the server's lifetime
    server = subprocess.Popen(
        [str(BIN / "pacesetter"), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # collectstatic and two workers on a busy machine
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the server did not start: {(var / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


@pytest.fixture(scope="session")
def live_url(server_env):
    env = server_env
    pacesetter = str(BIN / "pacesetter")
    subprocess.run([pacesetter, "migrate", "-v", "0"], env=env, check=True)
    # Without the 1950 call's 740,000 sign-ups (minutes of loading no browser test looks at).
    subprocess.run(
        [pacesetter, "demo", "--without", "volunteers-1950"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with running_server(env) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


expect.set_options(timeout=15_000)


def pytest_report_header(config):
    return f"browser screenshots: {SCREENSHOTS}"


def _new_page(browser, viewport: str, **options):
    if viewport == "phone":
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            **options,
        )
    else:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    # The machine that runs the suite may be busy: wait for pages as long as a person would.
    page.set_default_timeout(30_000)
    page.viewport_name = viewport
    # Anything the Content-Security-Policy refuses (an inline style or script) is a failure.
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and page.csp_violations.append(f"{message.text[:120]} at {message.location}")
        ),
    )
    return page


@pytest.fixture(params=["desktop", "phone"])
def page(request, browser):
    page = _new_page(browser, request.param)
    yield page
    violations = page.csp_violations
    page.context.close()
    assert not violations, violations


@pytest.fixture
def phone(browser):
    """A 390×844 phone, for what people do on one."""
    page = _new_page(browser, "phone")
    yield page
    violations = page.csp_violations
    page.context.close()
    assert not violations, violations


@pytest.fixture
def page_without_javascript(browser):
    page = _new_page(browser, "phone", java_script_enabled=False)
    yield page
    page.context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
# What a person cannot get past: missing labels, too little contrast, no landmarks...
BLOCKING = {"serious", "critical"}


def accessible(page, name: str = "") -> None:
    """Run axe-core (vendored; injected through the DevTools protocol, which the page's
    Content-Security-Policy does not govern) on the page as it is now, and fail on serious
    or critical violations; save a screenshot under `name`."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE + "\n;undefined")
    result = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]},
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )
    blocking = [v for v in result if v["impact"] in BLOCKING]
    if name:
        screenshot(page, name)
    assert not blocking, f"{page.url}: {blocking}"


PASSWORD = "browser-test-password"
SETUP = f"""
import datetime as dt
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import grant_role
from pacesetter.movements import actions as movements
from pacesetter.units.actions import UnitRow, import_units
from pacesetter.units.models import Unit

import_units(rows=[
    UnitRow(code="BT", name="Brickworks trust", kind="enterprise", parent_code="", headcount=40),
    UnitRow(code="BT-N", name="North kiln team", kind="workteam", parent_code="BT", headcount=12),
    UnitRow(code="BT-S", name="South kiln team", kind="workteam", parent_code="BT", headcount=14),
])
users = get_user_model()
for name in ("organiser", "reporter"):
    if not users.objects.filter(username=name).exists():
        users.objects.create_user(name, password="{PASSWORD}")
trust, north = Unit.objects.get(code="BT"), Unit.objects.get(code="BT-N")
grant_role(user=users.objects.get(username="organiser"), role="organiser", unit=trust)
grant_role(user=users.objects.get(username="reporter"), role="reporter", unit=north)
today = dt.datetime.now(dt.timezone.utc).date()
drive = movements.create_movement(
    title="Brick drive", slug="brick-drive", organiser=trust,
    starts_on=today - dt.timedelta(days=20), ends_on=today + dt.timedelta(days=40),
    call_text="Every kiln fired every day.",
)
movements.add_indicator(movement=drive, code="bricks", name="Bricks", unit_of_measure="pieces")
movements.set_plans(movement=drive, rows=[movements.PlanRow("BT", "bricks", "100000")])
movements.launch_movement(movement=drive)
print(today.isoformat())
"""


@pytest.fixture(scope="session")
def world(live_url, server_env) -> dict[str, str]:
    """A trust of two kiln teams, an organiser of the trust and a reporter of the north team
    (signed in with PASSWORD), and a launched private movement, "brick-drive", running today."""
    today = manage(server_env, SETUP).strip().splitlines()[-1]
    return {"url": live_url, "today": today, "movement": "brick-drive"}


def sign_in(page, url: str, username: str, *, check: bool = True) -> None:
    """Sign in by keyboard alone: the password is reached with Tab, the form sent with Enter.
    `check`: run the accessibility check on the sign-in page (it needs JavaScript)."""
    page.goto(f"{url}/accounts/login/")
    if check:
        accessible(page, "sign-in")
    page.get_by_label("Username").fill(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/")
