"""The organiser's pages: call, set up, launch and close a movement without the admin."""

import io
import re

import pytest

from pacesetter.accounts import actions as account_actions
from pacesetter.movements.models import Indicator, Movement, Plan
from tests import factories


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def draft(units):
    return factories.movement(units["KP"], slug="draft", launch=False)


def _create(client, **fields):
    data = {
        "title": "Spring sowing",
        "call_text": "Sow early, sow well.",
        "organiser": "KP",
        "scope": "P1, P2",
        "starts_on": "2025-03-01",
        "ends_on": "2025-05-31",
        "time_zone": "Asia/Pyongyang",
        "is_public": "on",
    }
    data.update(fields)
    return client.post("/organise/new/", data)


def test_an_organiser_calls_a_movement(signed_in, units):
    response = _create(signed_in)
    assert response.status_code == 302 and response["Location"] == "/organise/spring-sowing/"
    movement = Movement.objects.get(slug="spring-sowing")
    assert movement.status == "draft" and movement.time_zone == "Asia/Pyongyang"
    assert movement.is_public and movement.created_by.username == "operator"
    assert sorted(movement.scope.values_list("code", flat=True)) == ["P1", "P2"]
    page = signed_in.get(response["Location"]).content.decode()
    assert "is called, as a draft" in page and "Add at least one indicator" in page


def test_create_shows_each_problem_beside_its_field(signed_in, units):
    response = _create(signed_in, organiser="NOPE", scope="P1 ZZ", time_zone="Mars/Olympus")
    assert response.status_code == 422
    page = response.content.decode()
    assert "No unit with code &#x27;NOPE&#x27;" in page and "No unit with code ZZ" in page
    response = _create(signed_in, time_zone="Mars/Olympus", ends_on="2025-01-01")
    assert response.status_code == 422
    assert not Movement.objects.exists()


def test_an_organiser_of_one_province_may_not_call_for_the_country(client, units):
    organiser = factories.UserFactory(username="p1-organiser")
    account_actions.grant_role(user=organiser, role="organiser", unit=units["P1"])
    client.force_login(organiser)
    assert client.get("/organise/new/").status_code == 200
    response = _create(client, organiser="KP", scope="")
    assert response.status_code == 422 and not Movement.objects.exists()
    assert _create(client, organiser="P1", scope="").status_code == 302


def test_a_reporter_may_not_organise(client, draft, units):
    reporter = factories.UserFactory(username="reporter")
    account_actions.grant_role(user=reporter, role="reporter", unit=units["KP"])
    client.force_login(reporter)
    assert client.get("/organise/new/").status_code == 404
    assert client.get(f"/organise/{draft.slug}/").status_code == 403
    assert client.post(f"/organise/{draft.slug}/launch/").status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_indicators_periods_plans_launch_close(signed_in, units):
    _create(signed_in)
    base = "/organise/spring-sowing"
    response = signed_in.post(
        f"{base}/indicators/",
        {
            "code": "area",
            "name": "Area sown",
            "unit_of_measure": "ha",
            "aggregation": "sum",
            "direction": "more",
            "decimal_places": "1",
            "decimal_comma": "on",
        },
    )
    assert response.status_code == 302
    assert Indicator.objects.get(code="area").decimal_comma
    assert signed_in.post(f"{base}/periods/monthly/").status_code == 302
    response = signed_in.post(
        f"{base}/plans/", {"unit_code": "P1", "indicator": "area", "planned": "1200.5"}
    )
    assert response.status_code == 302
    response = signed_in.post(
        f"{base}/plans/",
        {"unit_code": "C1", "indicator": "area", "period": "April 2025", "planned": "100"},
    )
    assert response.status_code == 302
    assert Plan.objects.count() == 2
    page = signed_in.get(f"{base}/").content.decode()
    assert "1,200.5" in page and "April 2025" in page
    response = signed_in.post(f"{base}/launch/")
    assert response.status_code == 302 and response["Location"] == "/movements/spring-sowing/"
    assert Movement.objects.get().status == "launched"
    # Launched: indicators are fixed (reports are stored in their places).
    page = signed_in.get(f"{base}/").content.decode()
    assert "Add an indicator" not in page and "Close the movement" in page
    assert signed_in.post(f"{base}/close/").status_code == 302
    assert Movement.objects.get().status == "closed"


def test_every_field_of_a_drafts_organise_page_has_an_id_of_its_own(signed_in, draft):
    """The indicator and period forms both have a "name": with one id, the period's label
    named the indicator's field, and a person typing a period's name filled the other form."""
    page = signed_in.get(f"/organise/{draft.slug}/").content.decode()
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for target in re.findall(r'<label[^>]* for="([^"]+)"', page):
        assert ids.count(target) == 1, target
    assert 'for="period_name"' in page and 'for="id_name"' in page


def test_a_bad_plan_is_refused_beside_its_field(signed_in, draft):
    response = signed_in.post(
        f"/organise/{draft.slug}/plans/", {"unit_code": "W1", "indicator": "steel", "planned": "x"}
    )
    assert response.status_code == 422
    assert 'class="field invalid"' in response.content.decode()
    assert not Plan.objects.exists()


def test_launch_without_indicators_says_why(signed_in, units):
    _create(signed_in)
    response = signed_in.post("/organise/spring-sowing/launch/", follow=True)
    assert "at least one indicator" in response.content.decode()
    assert Movement.objects.get().status == "draft"


def _plans_file(lines):
    stream = io.BytesIO(("\n".join(lines) + "\n").encode())
    stream.name = "plans.csv"
    return stream


def test_plans_from_a_file_are_previewed_then_saved_all_or_nothing(signed_in, draft):
    url = f"/organise/{draft.slug}/plans/upload/"
    bad = _plans_file(
        [
            "unit_code,indicator,planned,rated_capacity",
            "W1,steel,100,",
            "NOPE,steel,5,",
            "W2,steel,,0",
        ]
    )
    response = signed_in.post(url, {"file": bad})
    assert response.status_code == 302
    preview = signed_in.get(response["Location"])
    assert preview.status_code == 422
    page = preview.content.decode()
    assert "2 of 3 rows are not valid." in page and "No plan has been saved." in page
    assert '<td class="num">3</td><td>unit_code</td>' in page
    assert '<td class="num">4</td><td>rated_capacity</td>' in page
    assert "Confirm" not in page
    assert not Plan.objects.exists()

    good = _plans_file(["unit,indicator,planned", "W1,steel,100", "W2,steel,80.5"])
    preview_url = signed_in.post(url, {"file": good})["Location"]
    page = signed_in.get(preview_url).content.decode()
    assert "Confirming creates 2 plans, changes 0 and leaves 0 as they are." in page
    assert (
        '<tr data-unit="W2"><td class="nowrap">W2</td><td>steel</td><td>Whole movement</td>' in page
    )
    assert not Plan.objects.exists()  # a preview saves nothing
    assert signed_in.post(preview_url).status_code == 302
    assert Plan.objects.count() == 2
    assert signed_in.get(preview_url).status_code == 404  # applied: the upload is gone

    again = _plans_file(["unit,indicator,planned", "W1,steel,100", "W2,steel,90"])
    page = signed_in.get(signed_in.post(url, {"file": again})["Location"]).content.decode()
    assert "Confirming creates 0 plans, changes 1 and leaves 1 as they are." in page
    assert "<del>80.5</del> → 90.0" in page


def test_plans_template(signed_in, draft):
    response = signed_in.get(f"/organise/{draft.slug}/plans/template.csv")
    assert response.content.decode().startswith("unit_code,indicator,period,planned")


def test_organise_page_queries_are_pinned(signed_in, draft, django_assert_num_queries):
    # session, user; movement, scope paths; scope units, indicators, periods, plans, plan
    # count, indicators and periods again for the plan form's choices
    with django_assert_num_queries(11):
        assert signed_in.get(f"/organise/{draft.slug}/").status_code == 200


def test_create_page_queries_are_pinned(signed_in, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert signed_in.get("/organise/new/").status_code == 200


def _upload_and_confirm(client, url, upload):
    """Upload, read the preview, confirm: the preview's status and its page."""
    preview_url = client.post(url, {"file": upload})["Location"]
    preview = client.get(preview_url)
    if preview.status_code == 200:
        assert client.post(preview_url).status_code == 302
    return preview.status_code, preview.content.decode()


def test_plans_from_a_semicolon_export_with_a_byte_order_mark(signed_in, draft):
    upload = io.BytesIO("\ufeffunit_code;indicator;planned\r\nW1;steel;100\r\n".encode())
    upload.name = "plans.csv"
    status, page = _upload_and_confirm(signed_in, f"/organise/{draft.slug}/plans/upload/", upload)
    assert status == 200, page
    assert Plan.objects.get().unit.code == "W1"


def test_plans_from_a_semicolon_file_with_decimal_commas_where_the_indicator_says_so(
    signed_in, draft
):
    url = f"/organise/{draft.slug}/plans/upload/"
    upload = io.BytesIO(b"unit_code;indicator;planned\nW1;steel;1.200,5\n")
    upload.name = "plans.csv"
    status, page = _upload_and_confirm(signed_in, url, upload)
    assert status == 422  # a point-decimal indicator: refused, never 12005
    assert "not a number" in page and not Plan.objects.exists()
    draft.indicators.filter(code="steel").update(decimal_comma=True)
    upload.seek(0)
    assert _upload_and_confirm(signed_in, url, upload)[0] == 200
    assert Plan.objects.get().planned_minor == 12005


def test_plans_come_a_slice_at_a_time_in_the_trees_order(signed_in, draft, units, monkeypatch):
    import re

    from pacesetter.movements import actions, views

    monkeypatch.setattr(views, "PLANS_SHOWN", 4)
    codes = ["KP", "P1", "C1", "W1", "W2", "C2"]
    actions.set_plans(movement=draft, rows=[actions.PlanRow(c, "steel", "10") for c in codes])
    url = f"/organise/{draft.slug}/"
    page = signed_in.get(url).content.decode()
    assert (
        re.findall(r'<span class="muted unit-code">(\w+)</span></td><td>Steel', page) == codes[:4]
    )
    assert "6 plans" in page and f'hx-get="{url}?plans=2"' in page
    rows = signed_in.get(url + "?plans=2", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in rows and "Set a plan" not in rows
    assert (
        re.findall(r'<span class="muted unit-code">(\w+)</span></td><td>Steel', rows) == codes[4:]
    )
    # After a refused form the page is rendered at the form's address: "Show more" still
    # asks the organise page.
    refused = signed_in.post(
        f"/organise/{draft.slug}/plans/", {"unit_code": "W1", "indicator": "steel", "planned": "x"}
    )
    assert f'href="{url}?plans=2"' in refused.content.decode()


def test_a_movements_pages_give_times_in_its_time_zone(signed_in, movement):
    """The base template puts every page that has a movement in the movement's time zone."""
    from zoneinfo import ZoneInfo

    from pacesetter.movements.models import Movement

    Movement.objects.filter(pk=movement.pk).update(time_zone="Europe/Paris")
    launched = Movement.objects.get(pk=movement.pk).launched_at.astimezone(ZoneInfo("Europe/Paris"))
    page = signed_in.get(f"/organise/{movement.slug}/").content.decode()
    assert f"Launched {launched:%-d %b %Y, %H:%M}." in page


def test_periods_generated_on_the_page_with_htmx(signed_in, draft, django_assert_num_queries):
    url = f"/organise/{draft.slug}/periods/generate/"
    htmx = {"HTTP_HX_REQUEST": "true"}
    # session, user; movement, scope paths; the movement's periods (twice: the action reads
    # them, the panel lists them); the audit row; savepoints around the action
    with django_assert_num_queries(10):
        response = signed_in.post(url, {"every": "quarter", "week_starts": "monday"}, **htmx)
    panel = response.content.decode()
    assert response.status_code == 200 and panel.startswith('<section class="card" id="periods"')
    assert "4 periods added." in panel
    assert "Q1 2025" in panel and "Q4 2025" in panel and "<html" not in panel
    again = signed_in.post(url, {"every": "quarter", "week_starts": "monday"}, **htmx)
    assert "0 periods added; 4 were there already." in again.content.decode()
    # Weeks cross the quarters' ends: refused whole, each crossing week named in the panel.
    refused = signed_in.post(url, {"every": "week", "week_starts": "monday"}, **htmx)
    panel = refused.content.decode()
    assert refused.status_code == 200 and 'role="alert"' in panel
    assert "Week 14 (31 Mar–6 Apr) crosses the existing period &#x27;Q1 2025&#x27;" in panel
    assert "Week 27 (30 Jun–6 Jul) crosses the existing period" in panel
    assert draft.periods.count() == 5
    unknown = signed_in.post(url, {"every": "fortnight"}, **htmx).content.decode()
    assert "Select a valid choice" in unknown


def test_periods_generated_without_htmx_go_back_to_the_page(signed_in, draft):
    url = f"/organise/{draft.slug}/periods/generate/"
    response = signed_in.post(url, {"every": "month", "week_starts": "monday"})
    assert response.status_code == 302 and response["Location"].endswith("#periods")
    assert draft.periods.filter(is_whole=False).count() == 12
    refused = signed_in.post(url, {"every": "week", "week_starts": "monday"})
    assert refused.status_code == 422
    assert "crosses the existing period" in refused.content.decode()


def test_one_custom_period_with_htmx_errors_beside_the_fields(signed_in, draft):
    url = f"/organise/{draft.slug}/periods/"
    htmx = {"HTTP_HX_REQUEST": "true"}
    outside = signed_in.post(
        url, {"name": "Late", "starts_on": "2025-12-01", "ends_on": "2026-01-31"}, **htmx
    ).content.decode()
    assert 'id="period_starts_on_error"' in outside and "inside the movement" in outside
    added = signed_in.post(
        url, {"name": "Harvest", "starts_on": "2025-09-01", "ends_on": "2025-10-15"}, **htmx
    ).content.decode()
    assert "Period Harvest added." in added and "Mon 1 Sep 2025" in added


def test_a_plans_file_with_a_plan_twice_names_both_rows(signed_in, draft):
    twice = _plans_file(
        ["unit_code,indicator,planned", "W1,steel,100", "W2,steel,5", "W1,steel,90"]
    )
    response = signed_in.post(f"/organise/{draft.slug}/plans/upload/", {"file": twice})
    page = signed_in.get(response["Location"]).content.decode()
    assert "1 of 3 rows is not valid." in page
    assert '<td class="num">4</td><td>unit_code</td><td>repeats the plan of row 2</td>' in page
    assert not Plan.objects.exists()
