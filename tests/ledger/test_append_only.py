"""The database itself refuses UPDATE and DELETE on the ledger, on SQLite and PostgreSQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import Report


@pytest.fixture
def report(movement):
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W1", indicator="steel", day="2025-03-10", quantity="1")],
        source="api",
    )
    return Report.objects.get()


@pytest.mark.parametrize(
    "sql",
    ["UPDATE ledger_report SET quantity_minor = 999", "DELETE FROM ledger_report"],
)
def test_raw_sql_is_refused(report, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    report.refresh_from_db()
    assert report.quantity_minor == 10


def test_orm_update_and_delete_are_refused(report):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Report.objects.filter(pk=report.pk).update(quantity_minor=5)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Report.objects.filter(pk=report.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        report.reason = "edited"
        report.save()
    assert Report.objects.get(pk=report.pk).quantity_minor == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_truncate_is_refused_on_postgresql(report):
    # Inside the test's transaction PostgreSQL refuses the TRUNCATE for its pending foreign-key
    # events before our trigger runs, so check both: it fails, and our trigger guards it.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE ledger_report CASCADE")
    assert Report.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger_report'::regclass AND NOT tgisinternal"
            " AND (tgtype & 32) <> 0"  # 32: a TRUNCATE trigger
        )
        assert cursor.fetchall() == [("ledger_report_no_truncate",)]
