"""Every figure traceable: the reports behind a figure add up to it, with their corrections,
flags and verification state; and beside every headline figure the share verified and the
flags still open."""

import contextlib
import csv
import datetime as dt
import io

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacesetter.core.errors import ActionError
from pacesetter.figures import selectors
from pacesetter.figures.trace import figure_of, trace_filters
from pacesetter.ledger import report_selectors
from pacesetter.ledger.actions import ReportRow, correct_report, record_reports
from pacesetter.ledger.models import (
    FlagKind,
    Report,
    ReportFlag,
    SubtreePeriodTotal,
    VerificationDecision,
)
from pacesetter.units.models import Unit

pytestmark = pytest.mark.usefixtures("hand_made_flags_only")

DAY = dt.date(2025, 3, 10)


def _flag(report, kind=FlagKind.OVER_CAPACITY, at=None):
    return ReportFlag.objects.create(
        movement_id=report.movement_id,
        report_id=report.pk,
        unit_id=report.unit_id,
        indicator_id=report.indicator_id,
        day=report.day,
        kind=kind,
        reason="120 t against a rated capacity of 50 t",
        numbers={"quantity": "120", "capacity": "50"},
        flagged_at=at or timezone.now(),
    )


def _decide(report, decision, user, at=None):
    return VerificationDecision.objects.create(
        movement_id=report.movement_id,
        report_id=report.pk,
        unit_id=report.unit_id,
        indicator_id=report.indicator_id,
        day=report.day,
        decision=decision,
        reason="" if decision == "confirmed" else "checked at the site",
        decided_by=user,
        decided_at=at or timezone.now(),
    )


@pytest.fixture
def ledger(movement, units):
    """W1 60 (corrected to 55), W2 40 verified, W4 120 (flagged); steel."""
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit="W1", indicator="steel", day=DAY, quantity="60"),
            ReportRow(unit="W4", indicator="steel", day=DAY, quantity="120"),
        ],
        source="api",
    )
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W2", indicator="steel", day=DAY, quantity="40")],
        source="api",
        verified=True,
    )
    w1 = Report.objects.get(unit__code="W1")
    correct_report(report=w1, quantity="55", reason="scale misread", source="web")
    _flag(Report.objects.get(unit__code="W4"))
    return movement


def _filters(movement, unit, **given):
    params = {
        "indicator": "steel",
        "period": None,
        "day_from": None,
        "day_to": None,
        "within": None,
        "flagged": None,
        "state": None,
        **given,
    }
    return trace_filters(movement=movement, unit=unit, **params)


def test_the_reports_behind_a_figure_add_up_to_it(ledger, units, user, client):
    filters, period = _filters(ledger, units["KP"])
    quantity, verified, originals = report_selectors.trace_sum(filters)
    total = SubtreePeriodTotal.objects.get(unit=units["KP"], indicator__code="steel", period=period)
    assert (quantity, verified, originals) == (total.quantity_minor, total.verified_minor, 3)
    assert quantity == 2150  # 55 + 40 + 120 t, one decimal place
    figure = figure_of(filters, period)
    assert str(figure.quantity) == "215.0" and str(figure.verified) == "40.0"
    rows = report_selectors.behind_figure(filters)
    assert sum(row.counted_minor for row in rows) == quantity
    client.force_login(user)
    page = client.get(
        f"/movements/{ledger.slug}/units/KP/reports/?indicator=steel"
    ).content.decode()
    assert 'data-trace="equal"' in page
    w1 = Report.objects.get(unit__code="W1", corrects__isnull=True)
    row = page[page.index(f'id="report-{w1.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "60.0" in row and "-5.0 — scale misread" in row and "55.0" in row


def test_filters_narrow_the_list_and_its_sum(ledger, units, user):
    w4 = Report.objects.get(unit__code="W4")
    filters, _ = _filters(ledger, units["KP"], flagged="yes")
    assert [row.report.pk for row in report_selectors.behind_figure(filters)] == [w4.pk]
    assert report_selectors.trace_sum(filters)[0] == 1200
    filters, _ = _filters(ledger, units["KP"], state="verified")
    assert [row.report.unit.code for row in report_selectors.behind_figure(filters)] == ["W2"]
    # A unit below narrows to its subtree: its own figure.
    filters, period = _filters(ledger, units["KP"], within="P1")
    assert report_selectors.trace_sum(filters)[0] == 950
    assert figure_of(filters, period).quantity == 95
    # A decision overrides the stored state: rejected, then it no longer counts as verified.
    w2 = Report.objects.get(unit__code="W2")
    _decide(w2, "rejected", user)
    filters, _ = _filters(ledger, units["KP"], state="rejected")
    assert [row.report.pk for row in report_selectors.behind_figure(filters)] == [w2.pk]
    # A span of days outside the reports lists nothing.
    filters, period = _filters(ledger, units["KP"], day_from="2025-03-11", day_to="2025-03-20")
    assert period is None and report_selectors.behind_figure(filters) == []
    assert figure_of(filters, period).quantity == 0


def test_open_flags_and_the_share_verified_beside_the_figure(ledger, units, user, client):
    whole = ledger.periods.get(is_whole=True)
    figure = selectors.unit_figures(unit=units["KP"], movement=ledger, period=whole)[0]
    assert figure.open_flags == 1
    assert figure.verified_share.quantize(1) == 19  # 40 of 215 t: 18.6%
    # A decision on the flagged report after the flag answers it.
    w4 = Report.objects.get(unit__code="W4")
    _decide(w4, "confirmed", user)
    figure = selectors.unit_figures(unit=units["KP"], movement=ledger, period=whole)[0]
    assert figure.open_flags == 0
    # A flag raised after the decision (on a correction of the report) is open again.
    correction = correct_report(report=w4, quantity="110", reason="recount", source="web")
    _flag(correction, kind=FlagKind.CORRECTIONS, at=timezone.now() + dt.timedelta(seconds=1))
    client.force_login(user)
    page = client.get(f"/movements/{ledger.slug}/").content.decode()
    assert "1 open flag" in page and "verified" in page
    assert f"/movements/{ledger.slug}/units/KP/reports/?indicator=steel" in page
    # Outside the subtree, nothing is open.
    figure = selectors.unit_figures(unit=units["P1"], movement=ledger, period=whole)[0]
    assert figure.open_flags == 0


def test_the_csv_lists_every_report(ledger, units, user, client):
    client.force_login(user)
    response = client.get(f"/movements/{ledger.slug}/units/KP/reports/?indicator=steel&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["unit"] for row in rows) == ["W1", "W2", "W4"]
    by_unit = {row["unit"]: row for row in rows}
    assert by_unit["W1"]["counts_as"] == "55.0" and by_unit["W4"]["flags"] == "over_capacity"
    assert by_unit["W2"]["state"] == "verified"


def test_the_page_and_the_api_take_a_fixed_number_of_queries(
    ledger, units, user, client, django_assert_num_queries
):
    client.force_login(user)
    url = f"/movements/{ledger.slug}/units/KP/reports/?indicator=steel"
    # session, user; the movement and its scope; the unit (visible), the scope's paths;
    # indicators, periods (for the filters and the form); the page (4: the originals, their
    # corrections, flags, decisions); the sum (1); the figure (1)
    with django_assert_num_queries(14):
        assert client.get(url).status_code == 200
    for n in range(5):
        record_reports(
            movement=ledger,
            rows=[ReportRow(unit="W3", indicator="steel", day=DAY, quantity=str(n + 1))],
            source="api",
        )
    with django_assert_num_queries(14):
        assert client.get(url).status_code == 200
    api = f"/api/v1/movements/{ledger.slug}/units/KP/reports?indicator=steel&limit=3"
    # as the page (a session's CSRF-free GET), the page one row longer to tell if more follow
    with django_assert_num_queries(14):
        body = client.get(api).json()
    assert body["figure"] == "230.0" and body["listed"] == "230.0" and len(body["results"]) == 3
    assert body["next_offset"] == 3


def test_a_unit_one_may_not_see_is_not_found(ledger, units, client):
    from pacesetter.accounts import actions as account_actions
    from tests import factories

    viewer = factories.UserFactory(username="p2-viewer")
    account_actions.grant_role(user=viewer, role="viewer", unit=units["P2"])
    client.force_login(viewer)
    assert client.get(f"/movements/{ledger.slug}/units/P2/reports/").status_code == 200
    assert client.get(f"/movements/{ledger.slug}/units/P1/reports/").status_code == 404
    assert client.get(f"/movements/{ledger.slug}/units/P2/reports/?unit=W1").status_code == 404
    assert client.get(f"/api/v1/movements/{ledger.slug}/units/P1/reports").status_code == 404


# --- property: the drill-down sums equal the figure -------------------------------------------

UNITS = ["KP", "P1", "P2", "C1", "C2", "C3", "W1", "W2", "W3", "W4"]
START = dt.date(2025, 1, 1)
report_op = st.tuples(
    st.just("report"),
    st.sampled_from(UNITS),
    st.sampled_from(["steel", "losses", "balance"]),
    st.integers(0, 80),
    st.integers(0, 500),
    st.booleans(),  # entered verified
)
correct_op = st.tuples(st.just("correct"), st.integers(0, 50), st.integers(0, 500))


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    operations=st.lists(st.one_of(report_op, report_op, correct_op), min_size=1, max_size=10),
    unit=st.sampled_from(UNITS),
)
def test_drill_down_sums_equal_the_figure(movement, operations, unit):
    with transaction.atomic():
        for operation in operations:
            with contextlib.suppress(ActionError):
                if operation[0] == "report":
                    _, code, indicator, offset, quantity, verified = operation
                    record_reports(
                        movement=movement,
                        rows=[
                            ReportRow(
                                unit=code,
                                indicator=indicator,
                                day=START + dt.timedelta(days=offset),
                                quantity=quantity,
                            )
                        ],
                        source="api",
                        verified=verified,
                    )
                else:
                    originals = list(Report.objects.filter(corrects__isnull=True).order_by("pk"))
                    if originals:
                        original = originals[operation[1] % len(originals)]
                        # Filed as its original was, so the stored verified totals (kept per
                        # row today) and the state of the original agree.
                        record_reports(
                            movement=movement,
                            rows=[
                                ReportRow(
                                    corrects=original.pk, quantity=operation[2], reason="recount"
                                )
                            ],
                            source="api",
                            verified=original.verification == Report.Verification.VERIFIED,
                        )
        target = Unit.objects.get(code=unit)
        for period in movement.periods.all():
            for indicator in ("steel", "losses", "balance"):
                filters, chosen = _filters(movement, target, indicator=indicator, period=period.pk)
                stored = SubtreePeriodTotal.objects.filter(
                    unit=target, indicator__code=indicator, period=period
                ).first()
                quantity, verified, _ = report_selectors.trace_sum(filters)
                assert quantity == (stored.quantity_minor if stored else 0)
                assert verified == (stored.verified_minor if stored else 0)
                listed = report_selectors.behind_figure(filters, limit=10_000)
                assert sum(row.counted_minor for row in listed) == quantity
                assert figure_of(filters, chosen).quantity == filters.indicator.quantity(quantity)
        transaction.set_rollback(True)
