"""axe-core on every page at both sizes, failing on any violation (not only serious ones).

The pages are found, not listed: signed in as the demo's organiser, the test follows every
link of the site from the home page and a few entry points, and checks one address of each
route (django's url name), so a page added later is checked as soon as something links to it.
"""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit

from django.urls import Resolver404, resolve
from playwright.sync_api import expect

from tests.browser.conftest import manage, screenshot
from tests.browser.test_drives import sign_in_as_demo

# Entry points that no page of the demo links to from the home page.
SEEDS = (
    "/",
    "/drives/",
    "/titles/",
    "/titles/facts/",
    "/account/",
    "/audit/",
    "/movements/first-national-plan-1947/emulation/",
    "/movements/first-national-plan-1947/emulation/overtakings/",
    "/movements/first-national-plan-1947/practices/",
    "/units/KP/roles/",
    "/units/KP-PY/reserves/",
    "/units/KP-PY/visits/",
    "/visits/mine/",
    "/movements/first-national-plan-1947/reserve-links/",
    "/movements/first-national-plan-1947/flag-rules/",
    "/movements/first-national-plan-1947/secondments/",
    "/units/KP-PY/voices/",
    "/voices/mine/",
    "/voices/public/",
    "/verify/first-national-plan-1947/",
)
# Not pages: files, the API, the admin, and what signs out.
SKIP_PREFIXES = (
    "/api/",
    "/admin/",
    "/static/",
    "/accounts/logout/",
    "/titles/attachments/",
    "/practices/attachments/",
)
SKIP_SUFFIXES = (".pdf", ".csv", ".yaml", ".xlsx", ".json")
# The crawl visits one address of each route, at most this many routes.
MAX_ROUTES = 120

AXE_EVERYTHING = """async () => {
    const result = await axe.run(document, {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    });
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    }));
}"""


def _route(path: str) -> str | None:
    if path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def violations(page) -> list[dict]:
    from tests.browser.conftest import AXE

    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE + "\n;undefined")
    return page.evaluate(AXE_EVERYTHING)


# The demo has no titles: a council's nomination with a document, on the demo's Pyongyang,
# brings the run, the candidate and the dossier pages into the crawl. Printed: the run's page.
CRAWL_PACK = """
pack: crawl
name: Crawl titles
titles:
  - code: model
    name: Model unit
    subject: unit
    versions:
      - id: V1
        valid_from: 2000-01-01
        source: the crawl
        requires:
          - {fact: rating, op: ">=", value: good, label: rated good or better}
        vote: {threshold: ">= 50%", of: all_members}
"""
# A one-pixel PNG: a practice's picture.
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
TITLES_SEED = f"""
import io
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import grant_role
from pacesetter.titles import actions, dossiers
from pacesetter.titles.models import EvaluationRun, Title
from pacesetter.units.models import Unit

run = EvaluationRun.objects.filter(title__pack__slug="crawl").first()
if run is None:
    actions.load_pack(text={CRAWL_PACK!r})
    grant_role(user=get_user_model().objects.get(username="demo"), role="council_member",
               unit=Unit.objects.get(code="KP"))
    actions.record_facts(kind="evaluations", rows=[{{"unit": "KP-PY", "year": "2024",
                         "rating": "excellent"}}], source="crawl")
    run = actions.run_evaluation(title=Title.objects.get(pack__slug="crawl"), year=2024,
                                 scope=Unit.objects.get(code="KP-PY"))
    (nomination,) = actions.nominate(run=run)
    dossiers.add_attachment(nomination=nomination, kind="report", name="report.pdf",
                            content=io.BytesIO(b"%PDF-1.4 crawl"), size=14)
# The first plan has no practices: one, with a picture, so the practice page is in the crawl.
import base64
from pacesetter.experience.actions import publish_practice
from pacesetter.experience.attachments import Upload
from pacesetter.movements.models import Movement
movement = Movement.objects.get(slug="first-national-plan-1947")
picture = base64.b64decode("{PNG_1X1}")
if not movement.practices.exists():
    publish_practice(movement=movement, unit=movement.organiser, title="Crawl practice",
                     text="*One* practice.", indicator=movement.indicators.first(),
                     period=movement.periods.get(is_whole=True),
                     attachments=[Upload(name="crawl.png", content=io.BytesIO(picture),
                                         size=len(picture), caption="A crawl picture")])
print(f"/titles/runs/{{run.pk}}/")
"""


# The demo's reserves are verified or declined: one proposed in Pyongyang brings the reserve
# page with every transition form (the demo organiser may use them all) into the crawl.
RESERVES_SEED = """
from pacesetter.reserves.actions import propose_reserve
from pacesetter.reserves.models import Reserve
from pacesetter.units.models import Unit

reserve = Reserve.objects.filter(description="Crawl reserve").first() or propose_reserve(
    unit=Unit.objects.get(code="KP-PY"), kind="time", description="Crawl reserve",
    estimated="3", measure="hours")
print(f"/reserves/{reserve.pk}/")
"""

# The demo has no voices yet: a topic and one voice in Pyongyang bring the voice page (with
# every handler's step: the demo organiser may take them all) into the crawl.
VOICES_SEED = """
from pacesetter.units.models import Unit
from pacesetter.voices.actions import raise_voice, set_topic
from pacesetter.voices.models import Voice

unit = Unit.objects.get(code="KP-PY")
topic = set_topic(code="crawl", name="Crawl topic", organiser=unit, public=True)
voice = Voice.objects.filter(key="crawl").first() or raise_voice(
    topic=topic, unit=unit, subject="Crawl voice", text="A request.", key="crawl")
print(f"/voices/{voice.pk}/")
"""


# The demo has no visits yet: one to Pyongyang with an overdue follow-up of the demo organiser
# brings the visit page (its mark-done and add forms) and the overdue list into the crawl.
VISITS_SEED = """
from pacesetter.visits.actions import FollowUpRow, record_visit
from pacesetter.visits.models import Visit

visit = Visit.objects.filter(purpose="Crawl visit").first() or record_visit(
    unit="KP-PY", visited_on="2024-05-02", purpose="Crawl visit", visitors=["demo"],
    guest_names=["Ri Myong Su"], findings="Belts *worn* on threshers 2 and 5",
    follow_ups=[FollowUpRow("Send belts", "demo", "2024-05-20")])
print(f"/visits/{visit.pk}/")
"""


def test_every_page_has_no_axe_violation_at_either_size(live_url, server_env, page):
    run_page = manage(server_env, TITLES_SEED).strip().splitlines()[-1]
    reserve_page = manage(server_env, RESERVES_SEED).strip().splitlines()[-1]
    visit_page = manage(server_env, VISITS_SEED).strip().splitlines()[-1]
    voice_page = manage(server_env, VOICES_SEED).strip().splitlines()[-1]
    sign_in_as_demo(page, live_url)
    queue = [live_url + seed for seed in (*SEEDS, run_page, reserve_page, visit_page, voice_page)]
    seen_routes: dict[str, str] = {}
    found: dict[str, list[dict]] = {}
    while queue and len(seen_routes) < MAX_ROUTES:
        url = queue.pop(0)
        route = _route(urlsplit(url).path)
        if route is None or route in seen_routes:
            continue
        response = page.goto(url)
        if (
            response is None
            or response.status != 200
            or "html" not in response.headers.get("content-type", "")
        ):
            continue
        seen_routes[route] = url
        csp_before = len(page.csp_violations)
        if problems := violations(page):
            found[url] = problems
        if len(page.csp_violations) > csp_before:
            found.setdefault(url, []).append({"csp": page.csp_violations[csp_before:]})
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            target = urldefrag(href)[0]
            if target.startswith(live_url) and _route(urlsplit(target).path) not in seen_routes:
                queue.append(target)
    assert not found, "\n".join(f"{url}: {problems}" for url, problems in found.items())
    assert len(seen_routes) >= 25, sorted(seen_routes)
    assert {"titles:run", "titles:candidate", "titles:dossier"} <= seen_routes.keys()
    assert {"practice-list", "practice-detail", "practice-publish"} <= seen_routes.keys()
    assert {
        "reserves-unit",
        "reserves-propose",
        "reserves-detail",
        "reserves-links",
    } <= seen_routes.keys()
    assert "movement-secondments" in seen_routes
    assert {
        "visits-unit",
        "visits-record",
        "visits-detail",
        "visits-mine",
        "visits-overdue",
        "visits-coverage",
        "visits-import",
    } <= seen_routes.keys()
    assert {
        "voices-queue",
        "voices-raise",
        "voices-import",
        "voices-topics",
        "voices-mine",
        "voices-public",
        "voices-detail",
        "voices-movement",
    } <= seen_routes.keys()


def test_a_form_sent_back_with_errors_opens_on_its_summary(live_url, page):
    page.goto(f"{live_url}/drives/flood-relief/volunteers/sign-up/")
    page.get_by_role("button", name="Sign up").click()
    summary = page.locator(".problems")
    expect(summary).to_be_visible()
    assert page.evaluate("() => document.activeElement.classList.contains('problems')")
    assert not violations(page)
    screenshot(page, "form-error-summary")
