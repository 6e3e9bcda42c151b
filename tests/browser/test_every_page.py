"""axe-core on every page at both sizes, failing on any violation (not only serious ones).

The pages are found, not listed: signed in as the demo's organiser, the test follows every
link of the site from the home page and a few entry points, and checks one address of each
route (django's url name), so a page added later is checked as soon as something links to it.
"""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit

from django.urls import Resolver404, resolve
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
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
    "/units/KP/roles/",
)
# Not pages: files, the API, the admin, and what signs out.
SKIP_PREFIXES = ("/api/", "/admin/", "/static/", "/accounts/logout/")
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


def test_every_page_has_no_axe_violation_at_either_size(live_url, page):
    sign_in_as_demo(page, live_url)
    queue = [live_url + seed for seed in SEEDS]
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
    assert not found, found
    assert len(seen_routes) >= 25, sorted(seen_routes)


def test_a_form_sent_back_with_errors_opens_on_its_summary(live_url, page):
    page.goto(f"{live_url}/drives/flood-relief/volunteers/sign-up/")
    page.get_by_role("button", name="Sign up").click()
    summary = page.locator(".problems")
    expect(summary).to_be_visible()
    assert page.evaluate("() => document.activeElement.classList.contains('problems')")
    assert not violations(page)
    screenshot(page, "form-error-summary")
