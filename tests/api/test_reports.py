"""The ledger API: recording, replays and conflicts, corrections, listing, export."""

import csv
import io
import json
from urllib.parse import urlsplit

import pytest
from django.test import Client

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import Report, SubtreePeriodTotal
from tests.api.conftest import post, problem

URL = "/api/v1/movements/drive/reports"


def body(response, status=200):
    assert response.status_code == status, response.content
    return json.loads(response.content)


def report(unit="W1", indicator="steel", day="2025-03-10", quantity="10", **extra):
    return {"unit": unit, "indicator": indicator, "day": day, "quantity": quantity, **extra}


def kp_total(indicator="steel"):
    row = SubtreePeriodTotal.objects.filter(
        unit__code="KP", indicator__code=indicator, period__is_whole=True
    ).first()
    return row.quantity_minor if row else 0


def test_one_report_is_the_whole_body(api, movement, user):
    # A JSON number with a fraction is read as the exact decimal it spells, never a float.
    result = body(post(api, URL, report(quantity=12.1)), 201)
    stored = Report.objects.get()
    assert result == {
        "created": 1,
        "replayed": 0,
        "results": [{"row": 1, "id": stored.pk, "status": "created"}],
    }
    assert (stored.quantity_minor, stored.source, stored.entered_by) == (121, "api", user)
    assert kp_total() == 121


def test_a_batch_is_recorded_in_order(api, movement):
    rows = [report(unit=u, quantity=q) for u, q in (("W1", "1.5"), ("W2", "2"), ("W4", "3"))]
    result = body(post(api, URL, {"reports": rows}), 201)
    ids = [r["id"] for r in result["results"]]
    assert result["created"] == 3 and [r["status"] for r in result["results"]] == ["created"] * 3
    assert [Report.objects.get(pk=pk).unit.code for pk in ids] == ["W1", "W2", "W4"]
    assert kp_total() == 65


def test_same_key_same_payload_is_a_replay_answered_200(api, movement):
    rows = [report(idempotency_key="k1"), report(unit="W2", idempotency_key="k2")]
    first = body(post(api, URL, {"reports": rows}), 201)
    again = body(post(api, URL, {"reports": rows}), 200)
    assert again["created"] == 0 and again["replayed"] == 2
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    assert [r["status"] for r in again["results"]] == ["replayed", "replayed"]
    mixed = body(
        post(api, URL, {"reports": [*rows[:1], report(unit="W3", idempotency_key="k3")]}), 201
    )
    assert [r["status"] for r in mixed["results"]] == ["replayed", "created"]
    assert Report.objects.count() == 3 and kp_total() == 300


def test_same_key_other_payload_is_409_and_writes_nothing(api, movement):
    first = body(post(api, URL, report(idempotency_key="k1")), 201)
    before = kp_total()
    response = post(
        api,
        URL,
        {
            "reports": [
                report(unit="W2", idempotency_key="new"),
                report(quantity="11", idempotency_key="k1"),
            ]
        },
    )
    result = problem(response, 409)
    assert result["type"] == "urn:pacesetter:problem:conflict"
    assert result["errors"] == [
        {
            "row": 2,
            "field": "idempotency_key",
            "message": f"key 'k1' was already used for a different report (id {first['results'][0]['id']})",
            "code": "idempotency_conflict",
        }
    ]
    assert Report.objects.count() == 1 and kp_total() == before


def test_bad_rows_are_422_with_every_error_and_nothing_written(api, movement, units):
    rows = [
        report(),
        report(unit="NOPE", quantity="1.25"),
        report(day="2026-13-01"),
        report(indicator="losses", quantity="-3"),
    ]
    result = problem(post(api, URL, {"reports": rows}), 422)
    assert result["type"] == "urn:pacesetter:problem:validation-failed"
    assert result["detail"] == "3 of 4 report rows are not valid; nothing was recorded."
    assert result["errors"] == [
        {"row": 2, "field": "unit", "message": "no unit with code 'NOPE'", "code": "not_found"},
        {
            "row": 2,
            "field": "quantity",
            "message": "1.25 has more than 1 decimal place",
            "code": "invalid",
        },
        {
            "row": 3,
            "field": "day",
            "message": "'2026-13-01' is not a date in the form YYYY-MM-DD",
            "code": "invalid",
        },
        {
            "row": 4,
            "field": "quantity",
            "message": "losses does not allow negative quantities",
            "code": "invalid",
        },
    ]
    assert not Report.objects.exists() and not SubtreePeriodTotal.objects.exists()


def test_shape_errors_name_row_and_field(api, movement):
    result = problem(
        post(api, URL, {"reports": [report(), report(qty=3), report(quantity=[1])]}), 422
    )
    assert result["errors"] == [
        {
            "row": 2,
            "field": "qty",
            "message": "Extra inputs are not permitted",
            "code": "extra_forbidden",
        },
        {
            "row": 3,
            "field": "quantity",
            "message": "a number, or a decimal number as a string, is required",
            "code": "value_error",
        },
    ]
    assert not Report.objects.exists()


def test_more_than_ten_thousand_rows_is_refused(api, movement):
    result = problem(post(api, URL, {"reports": [report()] * 10_001}), 422)
    assert result["detail"] == "At most 10,000 rows per call; this call has 10,001."
    assert not Report.objects.exists()


def test_reports_need_a_launched_movement(api, movement):
    post(api, "/api/v1/movements/drive/close")
    assert "accepted only while it is launched" in problem(post(api, URL, report()), 409)["detail"]
    problem(post(api, "/api/v1/movements/nope/reports", report()), 404)


def test_correction_is_a_new_entry_beside_the_original(api, movement, user):
    original = body(post(api, URL, report(quantity="60")), 201)["results"][0]["id"]
    correction = body(
        post(
            api,
            f"/api/v1/reports/{original}/corrections",
            {"quantity": "55", "reason": "scale misread", "idempotency_key": "fix-1"},
        ),
        201,
    )
    assert correction == {
        **correction,
        "unit": "W1",
        "indicator": "steel",
        "day": "2025-03-10",
        "quantity": "-5.0",
        "corrects": original,
        "reason": "scale misread",
        "entered_by": "operator",
        "corrections": [],
    }
    assert body(api.get(f"/api/v1/reports/{original}"))["corrections"] == [correction["id"]]
    assert body(api.get(f"/api/v1/reports/{original}"))["quantity"] == "60.0"  # never edited
    replay = post(
        api,
        f"/api/v1/reports/{original}/corrections",
        {"quantity": "55", "reason": "scale misread", "idempotency_key": "fix-1"},
    )
    assert body(replay, 200)["id"] == correction["id"]
    assert Report.objects.count() == 2 and kp_total() == 550


def test_correction_refusals(api, movement):
    original = body(post(api, URL, report(quantity="60")), 201)["results"][0]["id"]
    no_reason = post(
        api, f"/api/v1/reports/{original}/corrections", {"quantity": "50", "reason": ""}
    )
    assert problem(no_reason, 422)["errors"] == [
        {"row": 1, "field": "reason", "message": "a correction needs a reason", "code": "required"}
    ]
    same = post(api, f"/api/v1/reports/{original}/corrections", {"quantity": "60", "reason": "x"})
    assert problem(same, 422)["errors"][0]["code"] == "no_change"
    problem(post(api, "/api/v1/reports/999999/corrections", {"quantity": "1", "reason": "x"}), 404)
    problem(api.get("/api/v1/reports/999999"), 404)
    assert Report.objects.count() == 1


@pytest.fixture
def ledger(movement, user):
    """Reports of several units, indicators, days and sources, and one correction."""
    rows = [
        ReportRow(unit=u, indicator=i, day=f"2025-03-{d:02d}", quantity=q)
        for u, i, d, q in (
            ("W1", "steel", 1, "10"),
            ("W2", "steel", 2, "20"),
            ("W3", "steel", 3, "30"),
            ("W4", "steel", 4, "40"),
            ("W1", "losses", 5, "5"),
            ("C1", "steel", 6, "6"),
        )
    ]
    ids = record_reports(movement=movement, rows=rows, source="api", entered_by=user).report_ids
    web = record_reports(
        movement=movement,
        rows=[ReportRow(unit="W1", indicator="balance", day="2025-03-07", quantity="-5.00")],
        source="web",
    ).report_ids
    fix = record_reports(
        movement=movement,
        rows=[ReportRow(corrects=ids[0], quantity="12", reason="=SUM(A1) recount")],
        source="api",
    ).report_ids
    return {"ids": ids, "web": web[0], "fix": fix[0]}


def listed(api, query=""):
    return [(r["unit"], r["indicator"]) for r in body(api.get(f"{URL}?{query}"))["results"]]


def test_list_shows_corrections_both_ways(api, ledger):
    results = body(api.get(URL))["results"]
    by_id = {r["id"]: r for r in results}
    assert [r["id"] for r in results] == sorted(by_id)
    assert by_id[ledger["ids"][0]]["corrections"] == [ledger["fix"]]
    assert by_id[ledger["fix"]]["corrects"] == ledger["ids"][0]
    assert by_id[ledger["fix"]]["quantity"] == "2.0"
    assert by_id[ledger["web"]]["quantity"] == "-5.00"


def test_list_filters(api, ledger):
    assert listed(api, "unit=W1") == [
        ("W1", "steel"),
        ("W1", "losses"),
        ("W1", "balance"),
        ("W1", "steel"),
    ]
    assert listed(api, "unit=C1") == [("C1", "steel")]
    assert sorted(set(listed(api, "unit=C1&subtree=true"))) == [
        ("C1", "steel"),
        ("W1", "balance"),
        ("W1", "losses"),
        ("W1", "steel"),
        ("W2", "steel"),
    ]
    assert listed(api, "indicator=losses") == [("W1", "losses")]
    assert listed(api, "day_from=2025-03-03&day_to=2025-03-04") == [
        ("W3", "steel"),
        ("W4", "steel"),
    ]
    assert listed(api, "source=web") == [("W1", "balance")]
    assert listed(api, "unit=P2&subtree=true&indicator=steel") == [("W4", "steel")]
    assert problem(api.get(f"{URL}?unit=NOPE"), 422)["errors"][0]["field"] == "unit"
    assert problem(api.get(f"{URL}?indicator=nope"), 422)["errors"][0]["field"] == "indicator"
    assert problem(api.get(f"{URL}?source=fax"), 422)["errors"] == [
        {
            "row": 1,
            "field": "source",
            "message": "one of web, api, import, demo, cli, reserve",
            "code": "invalid",
        }
    ]


def test_cursor_pagination_walks_every_report_once(api, movement):
    rows = [
        report(unit=u, day=f"2025-02-{d:02d}", quantity=str(d))
        for d in range(1, 28)
        for u in ("W1", "W3")
    ]
    body(post(api, URL, {"reports": rows}), 201)
    body(post(api, URL, report(unit="W4")), 201)  # filtered out below
    seen, pages, url = [], 0, f"{URL}?unit=P1&subtree=true&limit=10"
    while url:
        page = body(api.get(url))
        seen += [r["id"] for r in page["results"]]
        pages += 1
        url = page["next"]
        if url:
            parts = urlsplit(url)
            assert parts.scheme == "http" and "unit=P1" in parts.query and "limit=10" in parts.query
            url = f"{parts.path}?{parts.query}"
    assert pages == 6 and len(seen) == 54 and len(set(seen)) == 54
    assert seen == sorted(seen)
    assert set(seen) == set(
        Report.objects.filter(unit__code__in=["W1", "W3"]).values_list("pk", flat=True)
    )


def test_a_forged_cursor_is_422(api, movement):
    for cursor in ("garbage!", "eDoxMA"):  # "eDoxMA" is base64 of "x:10": not our version
        assert problem(api.get(f"{URL}?cursor={cursor}"), 422)["errors"][0]["field"] == "cursor"


def test_list_query_count_does_not_grow_with_the_page(
    client, user, movement, django_assert_num_queries
):
    client.force_login(user)

    def fill(count, start):
        rows = [
            report(unit="W2", day=f"2025-04-{1 + n % 28:02d}", quantity=str(n + 1))
            for n in range(start, start + count)
        ]
        ids = [r["id"] for r in body(post(client, URL, {"reports": rows}), 201)["results"]]
        for pk in ids[:3]:
            post(client, f"/api/v1/reports/{pk}/corrections", {"quantity": "0", "reason": "void"})

    fill(4, 0)
    # session, user, movement, unit filter, page, its corrections, their decisions, indicators
    with django_assert_num_queries(8):
        small = body(client.get(f"{URL}?unit=W2&limit=1000"))
    fill(60, 4)
    with django_assert_num_queries(8):
        large = body(client.get(f"{URL}?unit=W2&limit=1000"))
    assert len(small["results"]) == 7 and len(large["results"]) == 70


def test_csv_export_streams_the_filtered_ledger(api, ledger):
    response = api.get(f"{URL}.csv?unit=W1")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="drive-reports.csv"'
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0] == [
        "id",
        "unit",
        "indicator",
        "member",
        "day",
        "quantity",
        "source",
        "entered_by",
        "entered_at",
        "idempotency_key",
        "verification",
        "corrects",
        "corrections",
        "reason",
    ]
    rows = {int(line[0]): dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
    assert set(rows) == {ledger["ids"][0], ledger["ids"][4], ledger["web"], ledger["fix"]}
    original, fix, web = rows[ledger["ids"][0]], rows[ledger["fix"]], rows[ledger["web"]]
    assert (original["quantity"], original["day"], original["entered_by"]) == (
        "10.0",
        "2025-03-01",
        "operator",
    )
    assert original["corrections"] == str(ledger["fix"]) and original["corrects"] == ""
    assert (fix["quantity"], fix["corrects"]) == ("2.0", str(ledger["ids"][0]))
    # Text a spreadsheet would run as a formula is defused; a negative quantity is not text.
    assert fix["reason"] == "'=SUM(A1) recount"
    assert (web["quantity"], web["source"]) == ("-5.00", "web")


def test_csv_export_reads_in_chunks(api, movement, monkeypatch):
    from pacesetter.ledger import report_selectors

    rows = [report(unit="W1", day=f"2025-02-{d:02d}") for d in range(1, 8)]
    body(post(api, URL, {"reports": rows}), 201)
    real = report_selectors.iter_reports
    monkeypatch.setattr(report_selectors, "iter_reports", lambda **kw: real(**kw, chunk=3))
    lines = b"".join(api.get(f"{URL}.csv").streaming_content).decode().splitlines()
    assert len(lines) == 8 and len({line.split(",")[0] for line in lines[1:]}) == 7


def test_csv_export_refusals(api, client, ledger):
    problem(client.get(f"{URL}.csv"), 401)
    problem(api.get("/api/v1/movements/nope/reports.csv"), 404)
    problem(api.get(f"{URL}.csv?source=fax"), 422)


def test_an_unauthenticated_report_is_refused_and_not_recorded(movement):
    problem(post(Client(), URL, report()), 401)
    assert not Report.objects.exists()
