"""Report entry and bulk upload pages."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from pacesetter.accounts import actions as account_actions
from pacesetter.ledger.models import Report, SubtreePeriodTotal
from tests import factories


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """Uploads waiting for confirmation go under the test's own var/, not the developer's."""
    settings.VAR_DIR = tmp_path


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def _post_report(client, movement, **fields):
    page = client.get(f"/report/{movement.slug}/").content.decode()
    data = {"unit": "W1", "indicator": "steel", "day": "2025-03-10", "quantity": "12.5"}
    data["idempotency_key"] = _key(page)
    data.update(fields)
    return client.post(f"/report/{movement.slug}/", data), data


def _national(movement, code="steel"):
    total = SubtreePeriodTotal.objects.filter(
        unit=movement.organiser, indicator__code=code, period__is_whole=True
    ).first()
    return total.quantity_minor if total else 0


def test_entry_page_asks_for_sign_in(client, movement):
    response = client.get(f"/report/{movement.slug}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_entry_page_defaults_to_today_in_the_movements_time_zone(signed_in, movement):
    from pacesetter.movements.selectors import movement_today

    page = signed_in.get(f"/report/{movement.slug}/").content.decode()
    assert f'value="{movement_today(movement).isoformat()}"' in page
    assert 'inputmode="decimal"' in page and 'name="idempotency_key"' in page


def test_a_report_is_saved_and_listed_post_redirect_get(signed_in, movement):
    response, _ = _post_report(signed_in, movement)
    assert response.status_code == 302
    assert "unit=W1" in response["Location"] and "day=2025-03-10" in response["Location"]
    assert _national(movement) == 125
    page = signed_in.get(response["Location"]).content.decode()
    assert "Saved: 12.5 t of Steel for W1 on 10 Mar 2025." in page
    assert "Undo this entry" in page and "12.5 t" in page
    report = Report.objects.get()
    assert report.source == "web" and report.entered_by.username == "operator"


def test_the_unit_is_remembered(signed_in, movement):
    _post_report(signed_in, movement, unit="W3")
    page = signed_in.get(f"/report/{movement.slug}/").content.decode()
    assert '<option value="W3" selected>' in page


def test_a_double_submit_counts_once(signed_in, movement):
    first, data = _post_report(signed_in, movement)
    again = signed_in.post(f"/report/{movement.slug}/", data)
    assert first.status_code == again.status_code == 302
    assert Report.objects.count() == 1 and _national(movement) == 125
    page = signed_in.get(again["Location"]).content.decode()
    assert "This form was sent twice; it counts once." in page


def test_each_rendered_form_has_its_own_key(signed_in, movement):
    one = _key(signed_in.get(f"/report/{movement.slug}/").content.decode())
    two = _key(signed_in.get(f"/report/{movement.slug}/").content.decode())
    assert one != two


def test_errors_are_shown_beside_their_fields(signed_in, movement):
    response, _ = _post_report(signed_in, movement, quantity="12.55", day="2025-03-10")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'class="field invalid"' in page and "decimal" in page
    assert Report.objects.count() == 0


def test_a_day_outside_the_period_is_refused(signed_in, movement):
    response, _ = _post_report(signed_in, movement, day="2026-01-05")
    assert response.status_code == 422
    assert Report.objects.count() == 0


def test_htmx_swaps_the_panel_with_a_fresh_form(signed_in, movement):
    page = signed_in.get(f"/report/{movement.slug}/").content.decode()
    data = {
        "unit": "W1",
        "indicator": "steel",
        "day": "2025-03-10",
        "quantity": "3",
        "idempotency_key": _key(page),
    }
    response = signed_in.post(f"/report/{movement.slug}/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="entry-panel">') and "<html" not in body
    assert "Saved: 3 t of Steel" in body and _key(body) != data["idempotency_key"]


def test_undo_files_a_correction_with_the_reason(signed_in, movement):
    _post_report(signed_in, movement)
    report = Report.objects.get()
    page = signed_in.get(f"/report/{movement.slug}/?unit=W1&day=2025-03-10").content.decode()
    undo_key = re.search(r'/undo/\d+/".*?name="idempotency_key" value="([^"]+)"', page, re.S).group(
        1
    )
    url = f"/report/{movement.slug}/undo/{report.pk}/"
    data = {"reason": "entered twice", "idempotency_key": undo_key}
    response = signed_in.post(url, data)
    assert response.status_code == 302
    signed_in.post(url, data)  # sent again: the same correction, not a second one
    assert Report.objects.filter(corrects=report).count() == 1
    assert _national(movement) == 0
    page = signed_in.get(response["Location"]).content.decode()
    assert "entered twice" in page and "Undo this entry" not in page


def test_undo_needs_a_reason(signed_in, movement):
    _post_report(signed_in, movement)
    report = Report.objects.get()
    response = signed_in.post(
        f"/report/{movement.slug}/undo/{report.pk}/", {"reason": "", "idempotency_key": "k-1"}
    )
    assert response.status_code == 302
    assert not Report.objects.filter(corrects=report).exists()
    assert "Say why" in signed_in.get(response["Location"]).content.decode()


def test_a_reporter_sees_only_their_units_and_not_other_movements(client, movement, units):
    reporter = factories.UserFactory(username="reporter")
    account_actions.grant_role(user=reporter, role="reporter", unit=units["C1"])
    client.force_login(reporter)
    page = client.get(f"/report/{movement.slug}/").content.decode()
    assert '<option value="W1"' in page and '<option value="W3"' not in page
    response, _ = _post_report(client, movement, unit="W3")
    assert response.status_code == 422 and Report.objects.count() == 0


def test_a_viewer_may_not_report(client, movement, units):
    viewer = factories.UserFactory(username="viewer")
    account_actions.grant_role(user=viewer, role="viewer", unit=units["KP"])
    client.force_login(viewer)
    response = client.get(f"/report/{movement.slug}/")
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_nobody_reports_into_a_draft(signed_in, units):
    draft = factories.movement(units["KP"], slug="draft", launch=False)
    response = signed_in.get(f"/report/{draft.slug}/")
    assert response.status_code == 409 and b"launched" in response.content


def test_entry_page_queries_are_pinned(signed_in, movement, django_assert_num_queries):
    _post_report(signed_in, movement)
    url = f"/report/{movement.slug}/?unit=W1&day=2025-03-10"
    # session, user (an operator: no grants to read); movement, scope, indicators, reportable
    # units; the listed unit, the day's reports, their corrections, their verification decisions
    with django_assert_num_queries(10):
        assert signed_in.get(url).status_code == 200


# --- bulk upload ---------------------------------------------------------------------------


def _csv(rows):
    lines = ["unit,indicator,day,quantity", *(",".join(row) for row in rows)]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


GOOD = [("W1", "steel", "2025-03-10", "10"), ("W2", "steel", "2025-03-11", "2.5")]
BAD = [
    ("W1", "steel", "2025-03-10", "10"),
    ("NOPE", "steel", "2025-03-10", "1"),
    ("W2", "steel", "2025-03-11", "2.55"),
]


def _upload(client, movement, stream, name="reports.csv"):
    stream.name = name
    return client.post(f"/report/{movement.slug}/upload/", {"file": stream})


def test_upload_preview_marks_every_bad_row_and_writes_nothing(signed_in, movement):
    response = _upload(signed_in, movement, _csv(BAD))
    assert response.status_code == 302
    preview = signed_in.get(response["Location"])
    page = preview.content.decode()
    assert "2 of 3 rows are not valid" in page
    assert 'data-row="3"' in page and 'data-row="4"' in page
    assert page.count('class="bad"') == 2
    assert "NOPE" in page and "quantity" in page
    assert "Confirm" not in page
    assert Report.objects.count() == 0 and _national(movement) == 0
    from pacesetter.audit.models import AuditEvent

    assert not AuditEvent.objects.filter(action="ledger.record_reports").exists()


def test_upload_preview_then_confirm_applies_all(signed_in, movement):
    response = _upload(signed_in, movement, _csv(GOOD))
    url = response["Location"]
    page = signed_in.get(url).content.decode()
    assert "All 2 rows are valid" in page
    assert 'data-indicator="steel"' in page and "+12.5" in page
    assert Report.objects.count() == 0
    confirmed = signed_in.post(url)
    assert confirmed.status_code == 302 and confirmed["Location"] == f"/movements/{movement.slug}/"
    assert Report.objects.count() == 2 and _national(movement) == 125
    assert signed_in.get(url).status_code == 404  # applied: the stored file is gone
    # The same file again: the preview says it counts once.
    again = _upload(signed_in, movement, _csv(GOOD))
    assert "2 recorded before, counted once" in signed_in.get(again["Location"]).content.decode()


def test_upload_reads_xlsx(signed_in, movement):
    book = Workbook()
    sheet = book.active
    sheet.append(["unit", "indicator", "day", "quantity"])
    sheet.append(["W1", "steel", "2025-03-10", 4])
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    response = _upload(signed_in, movement, stream, name="reports.xlsx")
    assert "All 1 rows are valid" in signed_in.get(response["Location"]).content.decode()


def test_upload_refuses_other_files_and_big_ones(signed_in, movement, settings):
    assert _upload(signed_in, movement, io.BytesIO(b"x"), name="a.txt").status_code == 422
    settings.UPLOAD_MAX_BYTES = 10
    response = _upload(signed_in, movement, _csv(GOOD))
    assert response.status_code == 422 and b"at most 10 are accepted" in response.content


def test_upload_without_columns_says_which(signed_in, movement):
    stream = io.BytesIO(b"unit,day\nW1,2025-03-10\n")
    response = _upload(signed_in, movement, stream)
    page = signed_in.get(response["Location"], follow=True).content.decode()
    assert "lacks the columns indicator, quantity" in page and "reports.csv" in page


def test_an_upload_belongs_to_its_session(client, signed_in, movement, user):
    url = _upload(signed_in, movement, _csv(GOOD))["Location"]
    other = factories.UserFactory(username="other", is_superuser=True)
    client.logout()
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_template_has_the_import_columns(signed_in, movement):
    response = signed_in.get(f"/report/{movement.slug}/template.csv")
    assert response.content.decode().splitlines()[0] == (
        "unit,indicator,day,quantity,member,idempotency_key"
    )


def test_upload_page_queries_are_pinned(signed_in, movement, django_assert_num_queries):
    # session, user; movement, scope; the indicators for the example
    with django_assert_num_queries(5):
        assert signed_in.get(f"/report/{movement.slug}/upload/").status_code == 200


# session, user, movement, scope, the stored upload's indicators, the totals before; the
# ingest (validation, inserts, aggregate upserts, its audit row and the hooks of other apps)
# and the totals after, all rolled back. The movement's frame (indicators, periods, scope)
# is read once per process (ledger.frame), so the first preview reads 2 more. PostgreSQL
# reads 3 more: the ingest's savepoint and its release (a retry after a concurrent writer
# needs them), and the new reports' ids, which its COPY does not give back. The plausibility
# flags (ledger.flags) read 2 (the rated capacities; the units' own and their blocks' day
# totals) and write 1 (these reports of 2025 are all late).
PREVIEW_QUERIES = {"sqlite": 25, "postgresql": 27}  # + the blocks of the changed units


def test_preview_queries_are_pinned_and_do_not_grow_with_rows(signed_in, movement):
    """The preview runs the ingest in a transaction it rolls back: the same statements for
    2 rows or 200 (bulk inserts and set-based upserts)."""
    counts = []
    for rows in (GOOD, [("W1", "steel", "2025-03-10", str(n)) for n in range(1, 201)]):
        url = _upload(signed_in, movement, _csv(rows))["Location"]
        assert signed_in.get(url).status_code == 200  # the frame is read here, once
        with CaptureQueriesContext(connection) as context:
            assert signed_in.get(url).status_code == 200
        counts.append(len(context.captured_queries))
    expected = PREVIEW_QUERIES[connection.vendor]
    assert counts == [expected, expected]


def test_upload_reads_a_semicolon_export_with_a_byte_order_mark(signed_in, movement):
    upload = io.BytesIO("\ufeffunit;indicator;day;quantity\r\nW1;steel;2025-03-10;10\r\n".encode())
    response = _upload(signed_in, movement, upload)
    assert "All 1 rows are valid" in signed_in.get(response["Location"]).content.decode()


def test_entry_times_are_in_the_movements_time_zone_on_the_page_and_in_the_export(
    signed_in, movement
):
    from zoneinfo import ZoneInfo

    from pacesetter.movements.models import Movement

    Movement.objects.filter(pk=movement.pk).update(time_zone="Europe/Paris")
    response, _ = _post_report(signed_in, movement)
    entered_at = Report.objects.get().entered_at.astimezone(ZoneInfo("Europe/Paris"))
    page = signed_in.get(response["Location"]).content.decode()
    assert f"entered {entered_at:%H:%M}" in page
    export = signed_in.get(f"/api/v1/movements/{movement.slug}/reports.csv")
    assert entered_at.isoformat() in b"".join(export.streaming_content).decode()


def test_upload_with_a_key_twice_counts_it_once_or_names_the_first_row_of_the_file(
    signed_in, movement
):
    text = (
        "unit,indicator,day,quantity,idempotency_key\n"
        "W1,steel,2025-03-10,10,k1\nW2,steel,2025-03-10,1,k2\n"
        "W1,steel,2025-03-10,10,k1\nW2,steel,2025-03-10,3,k2\n"
    )
    response = _upload(signed_in, movement, io.BytesIO(text.encode()))
    page = signed_in.get(response["Location"]).content.decode()
    assert "1 of 4 rows is not valid" in page and 'data-row="5"' in page
    assert "+11.0" in page  # row 4 repeats row 2 and counts once: 10 + 1
    assert "key &#x27;k2&#x27; is used by row 3 for a different report" in page
    assert Report.objects.count() == 0
