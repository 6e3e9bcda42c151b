import re

import pytest

from pacesetter.figures import selectors
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movement_actions
from tests import factories


@pytest.fixture
def reported(movement, units):
    movement_actions.set_plans(
        movement=movement, rows=[movement_actions.PlanRow("KP", "steel", "100")]
    )
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit=u, indicator="steel", day="2025-03-10", quantity="60")
            for u in ("W1", "W4")
        ],
        source="api",
    )
    return movement


def test_private_movement_asks_for_sign_in(client, reported):
    response = client.get(f"/movements/{reported.slug}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_movement_page_shows_figures(client, reported, user):
    client.force_login(user)
    response = client.get(f"/movements/{reported.slug}/")
    assert response.status_code == 200
    assert b"120.0%" in response.content  # 120 t on a plan of 100: shown as it is


def test_unit_outside_scope_is_404(client, reported, user, units):
    factories.unit("ELSEWHERE", None, kind="country")
    client.force_login(user)
    assert client.get(f"/movements/{reported.slug}/units/ELSEWHERE/").status_code == 404
    assert client.get(f"/movements/{reported.slug}/units/NOPE/").status_code == 404
    assert client.get(f"/movements/{reported.slug}/units/C3/").status_code == 200


def test_unit_page_shows_reports_with_their_corrections(client, reported, user):
    from pacesetter.ledger.actions import correct_report
    from pacesetter.ledger.models import Report

    original = Report.objects.get(unit__code="W1")
    correct_report(report=original, quantity="55", reason="scale misread", source="web")
    client.force_login(user)
    page = client.get(f"/movements/{reported.slug}/units/W1/").content.decode()
    row = page[page.index(f'id="report-{original.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "60.0" in row and "-5.0 — scale misread" in row and "55.0" in row


def test_children_sort_by_fulfilment(client, reported, user):
    movement_actions.set_plans(
        movement=reported,
        rows=[
            movement_actions.PlanRow("P1", "steel", "30"),
            movement_actions.PlanRow("P2", "steel", "240"),
        ],
    )
    client.force_login(user)
    page = client.get(f"/movements/{reported.slug}/?sort=fulfilment&dir=desc").content.decode()
    assert page.index("Unit P1") < page.index("Unit P2")  # 200% before 25%
    page = client.get(f"/movements/{reported.slug}/?sort=fulfilment").content.decode()
    assert page.index("Unit P2") < page.index("Unit P1")


def test_page_queries_do_not_grow_with_children(
    client, reported, user, units, django_assert_max_num_queries
):
    client.force_login(user)
    with django_assert_max_num_queries(40) as few:
        client.get(f"/movements/{reported.slug}/")
    for n in range(15):
        factories.unit(f"EXTRA{n}", units["KP"], kind="province")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/movements/{reported.slug}/")


def test_unit_figures_take_a_fixed_number_of_queries(reported, units, django_assert_num_queries):
    with django_assert_num_queries(10):
        selectors.unit_figures(unit=units["P1"], movement=reported)
    for n in range(10):
        factories.unit(f"SIB{n}", units["KP"], kind="province")
    with django_assert_num_queries(10):
        selectors.unit_figures(unit=units["P1"], movement=reported)


def test_honour_board_is_public_for_public_movements_only(client, reported):
    assert client.get(f"/board/{reported.slug}/").status_code == 404
    reported.is_public = True
    reported.save(update_fields=["is_public"])
    response = client.get(f"/board/{reported.slug}/")
    assert response.status_code == 200 and b"120.0% of the plan" in response.content


def test_leading_units_rank_by_fulfilment(reported, units):
    movement_actions.set_plans(
        movement=reported,
        rows=[
            movement_actions.PlanRow("W1", "steel", "30"),
            movement_actions.PlanRow("W4", "steel", "120"),
        ],
    )
    steel = reported.indicators.get(code="steel")
    leaders = selectors.leading_units(
        movement=reported, indicator=steel, period=reported.periods.get(is_whole=True)
    )
    assert [(leader.unit.code, str(leader.fulfilment)) for leader in leaders] == [
        ("W1", "200"),
        ("W4", "50"),
    ]


def test_non_reporters_are_neither_ranked_nor_leading(reported, units):
    losses = reported.indicators.get(code="losses")
    movement_actions.set_plans(
        movement=reported,
        rows=[
            movement_actions.PlanRow("W1", "losses", "100"),
            movement_actions.PlanRow("W2", "losses", "100"),
        ],
    )
    record_reports(
        movement=reported,
        rows=[ReportRow(unit="W1", indicator="losses", day="2025-03-10", quantity="50")],
        source="api",
    )
    leaders = selectors.leading_units(
        movement=reported, indicator=losses, period=reported.periods.get(is_whole=True)
    )
    assert [leader.unit.code for leader in leaders] == ["W1"]
    w1 = next(
        f
        for f in selectors.unit_figures(unit=units["W1"], movement=reported)
        if f.indicator == losses
    )
    assert w1.rank_among_siblings == 1


def test_pace_before_the_period_starts_has_nothing_elapsed(units):
    import datetime as dt

    today = dt.date.today()
    future = factories.movement(
        units["KP"],
        slug="future",
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=100),
    )
    movement_actions.set_plans(
        movement=future, rows=[movement_actions.PlanRow("KP", "steel", "100")]
    )
    pace = selectors.unit_figures(unit=units["KP"], movement=future)[0].pace
    assert pace.elapsed_days == 0 and pace.days_ahead is None


# --- home, permissions, error pages, locale, the bar -------------------------------------


def _grant(user, role, unit):
    from pacesetter.accounts import actions as account_actions

    account_actions.grant_role(user=user, role=role, unit=unit)


def test_home_signed_out_shows_public_movements_only(client, reported, units):
    page = client.get("/").content.decode()
    assert "No movement is public yet" in page
    assert f'href="/movements/{reported.slug}/"' not in page
    reported.is_public = True
    reported.save(update_fields=["is_public"])
    page = client.get("/").content.decode()
    assert f'href="/movements/{reported.slug}/"' in page and "Honour board" in page
    assert "Enter reports" not in page


def test_home_takes_an_operator_everywhere(client, reported, user):
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "You run this installation" in page and "Call a new movement" in page
    assert f'href="/report/{reported.slug}/"' in page
    assert f'href="/organise/{reported.slug}/"' in page


def test_home_of_a_reporter_shows_their_role_and_report_entry(client, reported, units):
    reporter = factories.UserFactory(username="reporter")
    _grant(reporter, "reporter", units["C1"])
    client.force_login(reporter)
    page = client.get("/").content.decode()
    assert "Reporter of <strong>Unit C1</strong>" in page
    assert f'href="/report/{reported.slug}/"' in page
    assert "/organise/" not in page and "Call a new movement" not in page


def test_home_of_someone_without_a_role_says_what_to_do(client, reported):
    client.force_login(factories.UserFactory(username="newcomer"))
    page = client.get("/").content.decode()
    assert "You have no role yet" in page and "Nothing you may see has been called yet" in page


def test_home_queries_are_pinned(client, reported, units, django_assert_num_queries):
    reporter = factories.UserFactory(username="reporter")
    _grant(reporter, "reporter", units["C1"])
    client.force_login(reporter)
    # session, user, grants (the actor's), movements, their scope, grants with their units
    with django_assert_num_queries(6):
        assert client.get("/").status_code == 200


def test_private_movement_pages_follow_the_roles(client, reported, units):
    outsider = factories.UserFactory(username="outsider")
    client.force_login(outsider)
    assert client.get(f"/movements/{reported.slug}/").status_code == 404
    reporter = factories.UserFactory(username="reporter")
    _grant(reporter, "reporter", units["C1"])
    client.force_login(reporter)
    page = client.get(f"/movements/{reported.slug}/").content.decode()
    assert "Enter reports" in page and "Organise" not in page
    assert client.get(f"/movements/{reported.slug}/units/W1/").status_code == 200
    assert client.get(f"/movements/{reported.slug}/units/W4/").status_code == 404


def test_movement_page_queries_are_pinned(client, reported, user, django_assert_num_queries):
    client.force_login(user)
    # session, user; the movement and its scope; the unit's figures (8); the children: how
    # many, their ranking (3), the page's units, their recent days; own reports, pledges;
    # + 1: the overtaking feed (emulation's partial on the dashboard); + 2: the figures of
    # each of the movement's own periods (their totals and their plans); + 1: what verified
    # reserves counted (figures.selectors.from_reserves); + 1: the open flags beside each
    # figure (ledger.report_selectors.open_flags); + 1: where a brigade's people come from
    # (movements.selectors.secondments_to)
    with django_assert_num_queries(25):
        assert client.get(f"/movements/{reported.slug}/").status_code == 200


def test_unit_page_queries_are_pinned(client, reported, user, django_assert_num_queries):
    client.force_login(user)
    # as the dashboard, with the unit, its siblings' ranks and its breadcrumbs;
    # + 2: "learn from" (emulation's partial); + 2: the figures period by period; + 1: what
    # verified reserves counted; + 1: the open flags beside each figure; + 1: a brigade's
    # secondments
    with django_assert_num_queries(30):
        assert client.get(f"/movements/{reported.slug}/units/C1/").status_code == 200


def test_honour_board_queries_are_pinned(client, reported, django_assert_num_queries):
    reported.is_public = True
    reported.save(update_fields=["is_public"])
    # 4 indicators: the figures, then 2 queries per indicator for its leading units; + 1:
    # the title holders (titles' partial)
    with django_assert_num_queries(17):
        assert client.get(f"/board/{reported.slug}/").status_code == 200


def test_the_bar_has_no_inline_style_and_is_honest_past_100(client, reported, user):
    from pacesetter.movements import actions as movement_actions

    movement_actions.set_plans(
        movement=reported, rows=[movement_actions.PlanRow("KP", "steel", "42")]
    )
    client.force_login(user)
    page = client.get(f"/movements/{reported.slug}/").content.decode()
    assert "style=" not in page and "<script>" not in page
    # 120 t on 42: 285.7%, on a track 300% wide: the fill is 95% of it, the mark at 33%.
    assert "285.7%" in page
    assert 'class="fill w-95 over"' in page and 'class="mark at-33"' in page


def test_numbers_follow_the_readers_locale(client, reported, user):
    client.force_login(user)
    english = client.get(f"/movements/{reported.slug}/").content.decode()
    german = client.get(f"/movements/{reported.slug}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "120.0%" in english and "120,0%" in german


def test_error_pages_are_in_the_layout(client, rf, db):
    from pacesetter.figures import views

    response = client.get("/no/such/page/")
    assert response.status_code == 404 and b"Back to your home page" in response.content
    assert b'class="site-header"' in response.content
    request = rf.get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    for handler, status in ((views.error_400, 400), (views.error_403, 403)):
        response = handler(request, Exception())
        assert response.status_code == status and b"site-header" in response.content
    response = views.error_500(request)
    assert response.status_code == 500 and b"Something went wrong" in response.content


def test_a_refusal_is_a_403_page(client, reported, units):
    viewer = factories.UserFactory(username="viewer")
    _grant(viewer, "viewer", units["KP"])
    client.force_login(viewer)
    response = client.get(f"/report/{reported.slug}/")
    assert response.status_code == 403
    assert b"Not allowed" in response.content and b"site-header" in response.content


def test_many_children_are_shown_a_page_at_a_time(client, reported, user, units):
    from pacesetter.figures.views import CHILDREN_PER_PAGE
    from pacesetter.units import actions as unit_actions

    unit_actions.import_units(
        rows=[
            unit_actions.UnitRow(
                code=f"T{n:03}", name=f"Team {n:03}", kind="workteam", parent_code="C2"
            )
            for n in range(CHILDREN_PER_PAGE + 5)
        ]
    )
    client.force_login(user)
    first = client.get(f"/movements/{reported.slug}/units/C2/").content.decode()
    assert "1–20 of 26" in first and "Team 019" in first and "Team 020" not in first
    second = client.get(f"/movements/{reported.slug}/units/C2/?page=2").content.decode()
    assert "21–26 of 26" in second and "Team 020" in second and 'rel="prev"' in second
    assert client.get(f"/movements/{reported.slug}/units/C2/?page=x").status_code == 200


def test_an_expired_form_says_what_to_do(user, movement):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(f"/report/{movement.slug}/", {"quantity": "1"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content and b"site-header" in response.content


def test_display_filters_round_half_up_never_cap_and_follow_the_locale():
    from decimal import Decimal

    from django.utils import translation

    from pacesetter.core.templatetags.pacesetter import bar_step, minor, percent, quantity

    assert percent(Decimal("285.714")) == "285.7%"
    assert percent(Decimal("0.05")) == "0.1%"  # half-up
    assert percent(Decimal("100000.04")) == "100,000.0%"  # never capped
    assert percent(None) == quantity(None) == "—"
    assert quantity(Decimal("1234567.25"), 1) == "1,234,567.3"
    assert quantity(Decimal("12"), 2) == "12.00"
    with translation.override("de"):
        assert percent(Decimal("1234.56")) == "1.234,6%"
        assert quantity(Decimal("1234567.25"), 1) == "1.234.567,3"
    with translation.override("fr"):
        assert quantity(Decimal("1234.5"), 1) == "1\N{NO-BREAK SPACE}234,5"

    class Steel:
        decimal_places = 1

        def from_minor(self, value):
            return Decimal(value).scaleb(-1)

    assert minor(Steel(), 123456) == "12,345.6"
    # the bar: 285.7% on a 300% track fills 95% of it, the 100% mark at 33%
    assert bar_step(Decimal("285.7"), Decimal(300)) == 95
    assert bar_step(100, Decimal(300)) == 33


def test_own_reports_and_the_day_list_seek_the_units_index(reported, units):
    """Not a walk through every report of the movement (what SQLite chose when they were
    filtered by the movement)."""
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pacesetter.ledger.report_selectors import entries_on

    if connection.vendor != "sqlite":
        pytest.skip("the query plan is SQLite's")
    with CaptureQueriesContext(connection) as queries:
        selectors.own_reports(unit=units["W1"], movement=reported)
        entries_on(movement=reported, unit=units["W1"], day=dt.date(2025, 3, 10))
    plans = []
    for sql in (queries.captured_queries[0]["sql"], queries.captured_queries[2]["sql"]):
        with connection.cursor() as cursor:
            plans.append(str(cursor.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()))
    assert all("report_unit_indicator_day" in plan for plan in plans), plans


@pytest.fixture
def many_reports(reported):
    """W1 reports 31 days, 1–31 March (the 10th already): four slices of its own reports."""
    record_reports(
        movement=reported,
        rows=[
            ReportRow(unit="W1", indicator="steel", day=f"2025-03-{day:02d}", quantity=str(day))
            for day in range(1, 32)
            if day != 10
        ],
        source="api",
    )
    return reported


def _report_days(html: str) -> list[str]:
    import re

    return re.findall(r'<tr id="report-\d+"><td class="day">([^<]+)</td>', html)


def test_own_reports_come_ten_at_a_time_newest_first(client, many_reports, user):
    client.force_login(user)
    page = client.get(f"/movements/{many_reports.slug}/units/W1/").content.decode()
    assert _report_days(page) == [f"{day} Mar 2025" for day in range(31, 21, -1)]
    assert 'href="?reports=2"' in page and 'hx-get="?reports=2"' in page
    # Without JavaScript the link opens the whole page with the next ten.
    page = client.get(f"/movements/{many_reports.slug}/units/W1/?reports=2").content.decode()
    assert "<html" in page
    assert _report_days(page) == [f"{day} Mar 2025" for day in range(21, 11, -1)]


def test_show_more_answers_htmx_with_the_next_rows_alone(client, many_reports, user):
    client.force_login(user)
    url = f"/movements/{many_reports.slug}/units/W1/?sort=actual&reports=3"
    rows = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in rows and "<table" not in rows and "Actual, as of" not in rows
    assert _report_days(rows) == [f"{day} Mar 2025" for day in range(11, 1, -1)]
    assert 'hx-get="?sort=actual&amp;reports=4"' in rows  # the next, keeping the sort
    last = client.get(url.replace("=3", "=4"), headers={"HX-Request": "true"}).content.decode()
    assert _report_days(last) == ["1 Mar 2025"] and "Show more" not in last


def test_the_next_rows_take_a_fixed_number_of_queries(
    client, many_reports, user, django_assert_num_queries
):
    client.force_login(user)
    url = f"/movements/{many_reports.slug}/units/W1/?reports=2"
    # The visitor's session and roles, the movement, the unit, the reports and their
    # corrections: none of the page's figures, which the rows do not show.
    with django_assert_num_queries(7):
        client.get(url, headers={"HX-Request": "true"})


def test_indicators_after_the_first_are_collapsed_until_sorted_or_paged(client, reported, user):
    import re

    client.force_login(user)
    page = client.get(f"/movements/{reported.slug}/").content.decode()
    opened = re.findall(r'<details class="indicator"( open)?>', page)
    assert opened == [" open"] + [""] * (len(opened) - 1) and len(opened) == 4
    # each says its actual and fulfilment in its summary, shown while it is closed
    assert 'class="when-closed muted">· 120.0 · 120.0%</span>' in page
    sorted_page = client.get(f"/movements/{reported.slug}/?sort=actual").content.decode()
    assert re.findall(r'<details class="indicator"( open)?>', sorted_page) == [" open"] * 4


def test_breadcrumbs_link_only_the_units_the_reader_may_open(client, reported, units):
    reporter = factories.UserFactory(username="county-reporter")
    _grant(reporter, "reporter", units["C1"])
    client.force_login(reporter)
    page = client.get(f"/movements/{reported.slug}/units/W1/").content.decode()
    crumbs = page[
        page.index('aria-label="Breadcrumbs"') : page.index("</nav>", page.index("Breadcrumbs"))
    ]
    links = re.findall(r'href="([^"]+)"', crumbs)
    assert links == [
        f"/movements/{reported.slug}/",
        f"/movements/{reported.slug}/units/KP/",
        f"/movements/{reported.slug}/units/C1/",
    ]
    assert "Unit P1" in crumbs
    for link in links:
        assert client.get(link).status_code == 200, link
