"""record_reports: every bad-input case names the row, field and reason, and writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from pacesetter.core.errors import Conflict, RowError, StateError, ValidationFailed
from pacesetter.ledger import aggregates
from pacesetter.ledger.actions import MAX_BATCH, ReportRow, correct_report, record_reports
from pacesetter.ledger.domain import client_key
from pacesetter.ledger.models import DailyTotal, Report, SubtreePeriodTotal
from pacesetter.movements import actions as movement_actions
from pacesetter.units import actions as unit_actions
from tests import factories

DAY = "2025-03-10"


def ingest(movement, *rows, **kwargs):
    return record_reports(movement=movement, rows=list(rows), source="api", **kwargs)


def nothing_written():
    return (
        not Report.objects.exists()
        and not DailyTotal.objects.exists()
        and not SubtreePeriodTotal.objects.exists()
    )


def test_one_report_counts_in_unit_and_every_ancestor(movement, units):
    result = ingest(movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="12.5"))
    assert (result.created, result.replayed, result.statuses) == (1, 0, ["created"])
    report = Report.objects.get(pk=result.report_ids[0])
    assert report.quantity_minor == 125 and report.source == "api" and report.corrects_id is None
    whole = movement.periods.get(is_whole=True)
    march = movement.periods.get(name="March 2025")
    totals = dict(
        SubtreePeriodTotal.objects.filter(indicator__code="steel", period=whole).values_list(
            "unit__code", "quantity_minor"
        )
    )
    assert totals == {"KP": 125, "P1": 125, "C1": 125, "W1": 125}
    assert (
        SubtreePeriodTotal.objects.get(
            unit=units["KP"], period=march, indicator__code="steel"
        ).quantity_minor
        == 125
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ReportRow(unit="NOPE", indicator="steel", day=DAY, quantity="1"),
            RowError(1, "unit", "no unit with code 'NOPE'", "not_found"),
        ),
        (
            ReportRow(unit="", indicator="steel", day=DAY, quantity="1"),
            RowError(1, "unit", "a unit code is required", "required"),
        ),
        (
            ReportRow(unit="W1", indicator="gold", day=DAY, quantity="1"),
            RowError(1, "indicator", "no indicator 'gold' in this movement", "not_found"),
        ),
        (
            ReportRow(unit="W1", indicator="steel", day="2024-12-31", quantity="1"),
            RowError(
                1,
                "day",
                "2024-12-31 is outside the movement's period 2025-01-01 to 2025-12-31",
                "out_of_period",
            ),
        ),
        (
            ReportRow(unit="W1", indicator="steel", day="10/03/2025", quantity="1"),
            RowError(1, "day", "'10/03/2025' is not a date in the form YYYY-MM-DD", "invalid"),
        ),
        (
            ReportRow(unit="W1", indicator="steel", day=None, quantity="1"),
            RowError(1, "day", "a date (YYYY-MM-DD) is required", "invalid"),
        ),
        (
            ReportRow(unit="W1", indicator="steel", day=DAY, quantity="abc"),
            RowError(1, "quantity", "'abc' is not a number", "invalid"),
        ),
        (
            ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1.25"),
            RowError(1, "quantity", "1.25 has more than 1 decimal place", "invalid"),
        ),
        (
            ReportRow(unit="W1", indicator="steel", day=DAY, quantity="-3"),
            RowError(1, "quantity", "steel does not allow negative quantities", "invalid"),
        ),
        (
            ReportRow(unit="W1", indicator="steel", day=DAY, quantity=""),
            RowError(1, "quantity", "a number is required", "invalid"),
        ),
        (
            ReportRow(unit="W1", indicator="steel", day=DAY, quantity="NaN"),
            RowError(1, "quantity", "'NaN' is not a finite number", "invalid"),
        ),
        (
            ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1", member="ghost"),
            RowError(1, "member", "no member 'ghost'", "not_found"),
        ),
        (
            ReportRow(
                unit="W1", indicator="steel", day=DAY, quantity="1", idempotency_key="k" * 101
            ),
            RowError(1, "idempotency_key", "at most 100 characters", "too_long"),
        ),
    ],
)
def test_bad_row_is_named_and_nothing_is_written(movement, row, expected):
    with pytest.raises(ValidationFailed) as caught:
        ingest(movement, ReportRow(unit="W2", indicator="steel", day=DAY, quantity="5"), row)
    # The good first row is not written either: all or nothing.
    assert caught.value.errors == [
        RowError(2, *[getattr(expected, f) for f in ("field", "message", "code")])
    ]
    assert caught.value.status == 422
    assert nothing_written()


def test_every_bad_row_is_listed_at_once(movement):
    with pytest.raises(ValidationFailed) as caught:
        ingest(
            movement,
            ReportRow(unit="NOPE", indicator="steel", day=DAY, quantity="1"),
            ReportRow(unit="W1", indicator="steel", day=DAY, quantity="2"),
            ReportRow(unit="W1", indicator="gold", day="someday", quantity="x"),
        )
    assert [(e.row, e.field) for e in caught.value.errors] == [
        (1, "unit"),
        (3, "day"),
        (3, "indicator"),
    ]
    assert caught.value.detail == "2 of 3 report rows are not valid; nothing was recorded."
    assert nothing_written()


def test_future_day_is_refused(units):
    today = dt.date.today()
    live = factories.movement(
        units["KP"],
        slug="live",
        starts_on=today - dt.timedelta(days=5),
        ends_on=today + dt.timedelta(days=30),
    )
    tomorrow = (today + dt.timedelta(days=2)).isoformat()
    with pytest.raises(ValidationFailed) as caught:
        ingest(live, ReportRow(unit="W1", indicator="steel", day=tomorrow, quantity="1"))
    assert caught.value.errors[0].code == "future"
    assert nothing_written()


def test_unit_outside_scope_and_archived_unit_are_refused(units):
    scoped = factories.movement(units["P1"], slug="p1-only")
    unit_actions.archive_unit(unit=units["C2"])
    with pytest.raises(ValidationFailed) as caught:
        ingest(
            scoped,
            ReportRow(unit="W4", indicator="steel", day=DAY, quantity="1"),
            ReportRow(unit="W3", indicator="steel", day=DAY, quantity="1"),
        )
    assert caught.value.errors == [
        RowError(1, "unit", "W4 is outside the movement's scope", "out_of_scope"),
        RowError(2, "unit", "W3 is archived", "archived"),
    ]
    assert nothing_written()


def test_member_must_belong_to_the_unit(movement, units):
    unit_actions.create_member(unit=units["W2"], full_name="Ri Sun Hui", external_id="M-1")
    with pytest.raises(ValidationFailed) as caught:
        ingest(
            movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1", member="M-1")
        )
    assert caught.value.errors == [RowError(1, "member", "M-1 is not a member of W1", "mismatch")]
    result = ingest(
        movement, ReportRow(unit="W2", indicator="steel", day=DAY, quantity="1", member="M-1")
    )
    assert Report.objects.get(pk=result.report_ids[0]).member.external_id == "M-1"


def test_negative_quantities_where_the_indicator_allows_them(movement):
    ingest(movement, ReportRow(unit="W1", indicator="balance", day=DAY, quantity="-12.34"))
    assert Report.objects.get().quantity_minor == -1234


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_reports_only_while_launched(units, status):
    movement = factories.movement(units["KP"], slug="m", launch=status != "draft")
    if status == "closed":
        movement = movement_actions.close_movement(movement=movement)
    with pytest.raises(StateError) as caught:
        ingest(movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1"))
    assert f"is {status}: reports are accepted only while it is launched" in caught.value.detail
    assert caught.value.status == 409
    assert nothing_written()


def test_ids_follow_the_rows_of_a_batch_of_new_rows_replays_and_repeats(movement):
    """Each row gets the id of the report it recorded or replayed, in row order: new rows
    from the insert, stored replays from the key check, a repeat within the batch its
    first row's."""
    ingest(
        movement,
        ReportRow(unit="W1", indicator="steel", day=DAY, quantity="2", idempotency_key="old"),
    )
    result = ingest(
        movement,
        ReportRow(unit="W1", indicator="steel", day=DAY, quantity="3", idempotency_key="a"),
        ReportRow(unit="W1", indicator="steel", day=DAY, quantity="2", idempotency_key="old"),
        ReportRow(unit="W1", indicator="steel", day=DAY, quantity="4", idempotency_key="b"),
        ReportRow(unit="W1", indicator="steel", day=DAY, quantity="3", idempotency_key="a"),
    )
    by_key = {
        client_key(key): pk for key, pk in Report.objects.values_list("idempotency_key", "pk")
    }
    assert result.report_ids == [by_key["a"], by_key["old"], by_key["b"], by_key["a"]]
    assert result.statuses == ["created", "replayed", "created", "replayed"]
    assert by_key["a"] != by_key["b"]


def test_batch_limit(movement):
    rows = [ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1")] * (MAX_BATCH + 1)
    with pytest.raises(
        ValidationFailed, match="At most 10,000 rows per call; this call has 10,001"
    ):
        ingest(movement, *rows)
    assert nothing_written()


def test_same_key_same_payload_counts_once(movement):
    row = ReportRow(unit="W1", indicator="steel", day=DAY, quantity="7", idempotency_key="tap-1")
    first = ingest(movement, row)
    again = ingest(movement, row, row)
    assert again.created == 0 and again.replayed == 2
    assert again.report_ids == first.report_ids * 2
    assert again.statuses == ["replayed", "replayed"]
    assert Report.objects.count() == 1
    assert (
        SubtreePeriodTotal.objects.get(
            unit__code="KP", period__is_whole=True, indicator__code="steel"
        ).quantity_minor
        == 70
    )


def test_same_key_in_one_batch_counts_once(movement):
    row = ReportRow(unit="W1", indicator="steel", day=DAY, quantity="7", idempotency_key="tap-1")
    result = ingest(movement, row, row)
    assert (result.created, result.replayed) == (1, 1)
    assert Report.objects.count() == 1


def test_same_key_different_payload_is_a_conflict(movement):
    ingest(
        movement,
        ReportRow(unit="W1", indicator="steel", day=DAY, quantity="7", idempotency_key="tap-1"),
    )
    first_id = Report.objects.get().pk
    with pytest.raises(Conflict) as caught:
        ingest(
            movement,
            ReportRow(unit="W1", indicator="steel", day=DAY, quantity="8", idempotency_key="tap-1"),
        )
    assert caught.value.status == 409
    assert caught.value.errors == [
        RowError(
            1,
            "idempotency_key",
            f"key 'tap-1' was already used for a different report (id {first_id})",
            "idempotency_conflict",
        )
    ]
    assert Report.objects.count() == 1


def test_correction_amends_and_keeps_the_original(movement, units):
    ingest(movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="30.5"))
    original = Report.objects.get()
    correction = correct_report(
        report=original, quantity="40", reason="typed 30.5 for 40", source="web"
    )
    assert correction.corrects_id == original.pk and correction.quantity_minor == 95
    assert correction.reason == "typed 30.5 for 40" and correction.day == original.day
    original.refresh_from_db()
    assert original.quantity_minor == 305  # untouched
    total = SubtreePeriodTotal.objects.get(
        unit=units["KP"], period__is_whole=True, indicator__code="steel"
    )
    assert (total.quantity_minor, total.entries) == (400, 1)
    reversal = correct_report(
        report=correction, quantity="0", reason="duplicate sheet", source="web"
    )
    assert reversal.corrects_id == original.pk and reversal.quantity_minor == -400
    total.refresh_from_db()
    assert total.quantity_minor == 0
    assert aggregates.rebuild() == []


def test_correction_needs_a_reason_and_a_change(movement):
    ingest(movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="3"))
    original = Report.objects.get()
    with pytest.raises(ValidationFailed) as caught:
        ingest(movement, ReportRow(corrects=original.pk, quantity="4"))
    assert caught.value.errors == [RowError(1, "reason", "a correction needs a reason", "required")]
    with pytest.raises(ValidationFailed) as caught:
        ingest(movement, ReportRow(corrects=original.pk, quantity="3", reason="same"))
    assert caught.value.errors == [
        RowError(1, "quantity", "the report already has this value", "no_change")
    ]
    with pytest.raises(ValidationFailed) as caught:
        ingest(movement, ReportRow(corrects=original.pk + 999, quantity="3", reason="x"))
    assert caught.value.errors[0].code == "not_found"
    with pytest.raises(ValidationFailed) as caught:
        ingest(movement, ReportRow(corrects=original.pk, unit="W2", quantity="5", reason="x"))
    assert caught.value.errors == [
        RowError(1, "unit", "the corrected report has unit W1", "mismatch")
    ]
    assert Report.objects.count() == 1


def test_retried_correction_counts_once(movement):
    ingest(movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="3"))
    original = Report.objects.get()
    row = ReportRow(corrects=original.pk, quantity="5", reason="recount", idempotency_key="fix-1")
    ingest(movement, row)
    again = ingest(movement, row)
    assert again.statuses == ["replayed"]
    assert Report.objects.count() == 2
    assert DailyTotal.objects.get().quantity_minor == 50


def test_correction_may_not_make_a_quantity_negative(movement):
    ingest(movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="3"))
    with pytest.raises(ValidationFailed) as caught:
        ingest(movement, ReportRow(corrects=Report.objects.get().pk, quantity="-1", reason="x"))
    assert caught.value.errors[0].field == "quantity"


def test_verified_and_all_are_kept_apart(movement, units):
    ingest(movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="2"))
    ingest(movement, ReportRow(unit="W2", indicator="steel", day=DAY, quantity="3"), verified=True)
    total = SubtreePeriodTotal.objects.get(
        unit=units["KP"], period__is_whole=True, indicator__code="steel"
    )
    assert (total.quantity_minor, total.verified_minor, total.entries, total.verified_entries) == (
        50,
        30,
        2,
        1,
    )


def test_quantities_are_exact_decimals(movement):
    rows = [ReportRow(unit="W1", indicator="balance", day=DAY, quantity="0.10")] * 1
    rows += [ReportRow(unit="W2", indicator="balance", day=DAY, quantity="0.20")]
    ingest(movement, *rows)
    total = SubtreePeriodTotal.objects.get(
        unit__code="KP", period__is_whole=True, indicator__code="balance"
    )
    assert total.indicator.from_minor(total.quantity_minor) == Decimal("0.30")


def test_raw_insert_path_keeps_entered_at_aware(movement, user):
    ingest(
        movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1"), entered_by=user
    )
    report = Report.objects.get()
    assert report.entered_at.tzinfo is not None and report.entered_by == user
    assert connection.vendor in {"sqlite", "postgresql"}


def test_too_large_a_quantity_is_a_row_error_not_a_crash(movement):
    with pytest.raises(ValidationFailed) as caught:
        ingest(movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1e30"))
    assert caught.value.errors == [
        RowError(
            1,
            "quantity",
            "1E+30 is too large (at most 1,000,000,000,000.0 in one entry)",
            "invalid",
        )
    ]
    assert nothing_written()


def test_replayed_correction_does_not_move_the_base_of_the_next(movement):
    report_id = ingest(
        movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="10")
    ).report_ids[0]
    ingest(movement, ReportRow(corrects=report_id, quantity="15", reason="r", idempotency_key="K1"))
    ingest(movement, ReportRow(corrects=report_id, quantity="20", reason="r", idempotency_key="K2"))
    result = ingest(
        movement,
        ReportRow(corrects=report_id, quantity="15", reason="r", idempotency_key="K1"),  # a retry
        ReportRow(corrects=report_id, quantity="30", reason="r", idempotency_key="K3"),
    )
    assert result.statuses == ["replayed", "created"]
    assert DailyTotal.objects.get().quantity_minor == 300
    assert aggregates.rebuild() == []


def test_correction_key_reused_for_another_value_is_a_conflict(movement):
    report_id = ingest(
        movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="10")
    ).report_ids[0]
    ingest(movement, ReportRow(corrects=report_id, quantity="15", reason="r", idempotency_key="K1"))
    with pytest.raises(Conflict):
        ingest(
            movement, ReportRow(corrects=report_id, quantity="99", reason="r", idempotency_key="K1")
        )
    with pytest.raises(Conflict):
        ingest(
            movement,
            ReportRow(corrects=report_id, quantity="16", reason="r", idempotency_key="K4"),
            ReportRow(corrects=report_id, quantity="20", reason="r", idempotency_key="K4"),
        )
    assert DailyTotal.objects.get().quantity_minor == 150


def test_correction_keeps_the_member_of_the_original(movement, units):
    unit_actions.create_member(unit=units["W1"], full_name="Ri", external_id="M-1")
    unit_actions.create_member(unit=units["W1"], full_name="O", external_id="M-2")
    report_id = ingest(
        movement, ReportRow(unit="W1", indicator="steel", day=DAY, quantity="10", member="M-1")
    ).report_ids[0]
    fix = correct_report(
        report=Report.objects.get(pk=report_id), quantity="12", reason="recount", source="web"
    )
    assert fix.member.external_id == "M-1"
    with pytest.raises(ValidationFailed) as caught:
        ingest(movement, ReportRow(corrects=report_id, quantity="13", reason="r", member="M-2"))
    assert caught.value.errors == [
        RowError(1, "member", "the corrected report has member M-1", "mismatch")
    ]


def test_a_latest_level_has_one_report_per_unit_and_day(movement):
    first = ingest(
        movement, ReportRow(unit="W1", indicator="stock", day=DAY, quantity="100")
    ).report_ids[0]
    with pytest.raises(ValidationFailed) as caught:
        ingest(movement, ReportRow(unit="W1", indicator="stock", day=DAY, quantity="120"))
    assert caught.value.errors == [
        RowError(
            1,
            "day",
            f"a level for this day is already reported (report {first}); file a correction of it",
            "level_exists",
        )
    ]
    with pytest.raises(ValidationFailed) as caught:
        ingest(
            movement,
            ReportRow(unit="W2", indicator="stock", day=DAY, quantity="1"),
            ReportRow(unit="W2", indicator="stock", day=DAY, quantity="2"),
        )
    assert caught.value.errors[0].message == "row 1 already gives the level for this day"
    # The way to change a level is a correction; the retry of the first report is a replay.
    correct_report(
        report=Report.objects.get(pk=first), quantity="120", reason="evening count", source="web"
    )
    total = SubtreePeriodTotal.objects.get(
        unit__code="KP", period__is_whole=True, indicator__code="stock"
    )
    assert total.quantity_minor == 120


def test_a_reversed_level_falls_back_to_the_previous_one(movement, units):
    ingest(movement, ReportRow(unit="W1", indicator="stock", day="2025-03-01", quantity="100"))
    later = ingest(
        movement, ReportRow(unit="W1", indicator="stock", day="2025-03-05", quantity="50")
    ).report_ids[0]
    correct_report(
        report=Report.objects.get(pk=later), quantity="0", reason="sent twice", source="web"
    )
    total = SubtreePeriodTotal.objects.get(
        unit=units["KP"], period__is_whole=True, indicator__code="stock"
    )
    assert (total.quantity_minor, total.entries) == (100, 1)
    assert aggregates.rebuild() == []
    # Given a value again, it counts again.
    correct_report(
        report=Report.objects.get(pk=later), quantity="60", reason="recount", source="web"
    )
    total.refresh_from_db()
    assert (total.quantity_minor, total.entries) == (60, 2)
    assert aggregates.rebuild() == []


def test_a_reversed_day_is_not_a_day_worked(movement, units):
    from pacesetter.figures.selectors import unit_figures

    movement_actions.set_plans(
        movement=movement,
        rows=[movement_actions.PlanRow("W1", "steel", "1000", daily_assignment="100")],
    )
    ingest(movement, ReportRow(unit="W1", indicator="steel", day="2025-03-01", quantity="100"))
    second = ingest(
        movement, ReportRow(unit="W1", indicator="steel", day="2025-03-02", quantity="50")
    ).report_ids[0]
    correct_report(
        report=Report.objects.get(pk=second), quantity="0", reason="wrong team", source="web"
    )
    steel = next(
        f for f in unit_figures(unit=units["W1"], movement=movement) if f.indicator.code == "steel"
    )
    assert (steel.days_reported, steel.daily_assignment_rate, steel.entries) == (1, Decimal(100), 1)
