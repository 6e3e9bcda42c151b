"""Partitioning of the ledger and the per-day aggregates (migration 0003, `pacesetter
partitions`). PostgreSQL only: on SQLite the migration does nothing and the command says so."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from pacesetter.ledger import actions, domain
from pacesetter.ledger.actions import ReportRow, correct_report, record_reports
from pacesetter.ledger.aggregates import rebuild
from pacesetter.ledger.models import DailyTotal, Report
from pacesetter.ledger.partitions import (
    AHEAD,
    DAY_PARTITIONED,
    Quarter,
    add_quarters,
    partitions_of,
)
from tests import factories

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is a PostgreSQL feature"
)

# Last year: no quarter partition covers it in a test database (migrated empty, so its
# quarters start at the current one), so its rows go to the DEFAULT partitions until a test
# adds its quarters; and few quarters lie between it and now (the migration test makes them).
YEAR = dt.date.today().year - 1

# A report by raw SQL, into the parent or straight into a partition (which has no identity
# default of its own: the id is drawn from the parent's sequence here).
INSERT_REPORT = (
    "INSERT INTO {table} (id, day, quantity_minor, source, entered_at, idempotency_key,"
    " verification, reason, corrects_id, indicator_id, movement_id, unit_id)"
    " SELECT nextval(pg_get_serial_sequence('ledger_report', 'id')), %s, 1, 'cli', now(), %s,"
    " 'unverified', %s, %s, indicator_id, movement_id, unit_id FROM ledger_report LIMIT 1"
)


@pytest.fixture
def old_movement(units):
    return factories.movement(
        units["KP"], slug="old", starts_on=dt.date(YEAR, 1, 1), ends_on=dt.date(YEAR, 12, 31)
    )


def record(movement, day: str, key: str, quantity: str = "1") -> int:
    result = record_reports(
        movement=movement,
        rows=[
            ReportRow(unit="W1", indicator="steel", day=day, quantity=quantity, idempotency_key=key)
        ],
        source="api",
    )
    return result.report_ids[0]


def stored(movement, key: str) -> str:
    """The key as the ledger stores it: scoped to the movement and (here) the system."""
    return domain.scoped_key(movement.pk, None, key)


def sql(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def holder(table: str, **where) -> list[str]:
    """The partitions holding `table`'s rows that match `where`."""
    condition = " AND ".join(f"{column} = %s" for column in where)
    rows = sql(
        f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {condition}",
        list(where.values()),
    )
    return sorted(name for (name,) in rows)


def settle() -> None:
    """Check the test transaction's deferred foreign keys now: PostgreSQL refuses to change a
    table (detach a partition, rename it) that still has trigger events pending."""
    sql("SET CONSTRAINTS ALL IMMEDIATE")


@postgresql_only
def test_the_ledger_and_the_daily_aggregates_are_partitioned_by_quarter(db):
    rows = sql(
        "SELECT c.relname, p.partstrat, a.attname FROM pg_partitioned_table p"
        " JOIN pg_class c ON c.oid = p.partrelid"
        " JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]"
        " WHERE c.relname LIKE 'ledger%' ORDER BY c.relname"
    )
    # r: RANGE. The per-period aggregate stays one table (docs/scaling.md says why).
    assert rows == [
        ("ledger_dailytotal", "r", "day"),
        ("ledger_report", "r", "day"),
        ("ledger_subtreedailytotal", "r", "day"),
    ]
    current = Quarter.of(timezone.localdate())
    for table in DAY_PARTITIONED:
        with connection.cursor() as cursor:
            partitions = partitions_of(cursor, [table])
        assert {p.quarter for p in partitions} >= set(current.until(current.after(AHEAD)))
        assert [p.name for p in partitions if p.is_default] == [f"{table}_default"]
        children = sql("SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", [table])
        assert children == [(len(partitions),)]


@postgresql_only
def test_rows_land_in_their_quarter_and_days_without_one_in_default(old_movement):
    with connection.cursor() as cursor:
        for table in DAY_PARTITIONED:
            add_quarters(cursor, table, [Quarter(YEAR, 1)])
    march = record(old_movement, f"{YEAR}-03-10", "march")
    may = record(old_movement, f"{YEAR}-05-05", "may")

    assert holder("ledger_report", id=march) == [f"ledger_report_{YEAR}q1"]
    assert holder("ledger_report", id=may) == ["ledger_report_default"]
    for table in ("ledger_dailytotal", "ledger_subtreedailytotal"):
        assert holder(table, day=dt.date(YEAR, 3, 10)) == [f"{table}_{YEAR}q1"]
        assert holder(table, day=dt.date(YEAR, 5, 5)) == [f"{table}_default"]
    assert sql("SELECT report_id, day FROM ledger_reportkey ORDER BY report_id") == [
        (march, dt.date(YEAR, 3, 10)),
        (may, dt.date(YEAR, 5, 5)),
    ]


@postgresql_only
@pytest.mark.parametrize("table", ["ledger_report", "ledger_report_default"])
def test_a_recorded_key_is_refused_again_in_any_partition(old_movement, table):
    record(old_movement, f"{YEAR}-03-10", "once")
    # Another day, so another partition's rows: uniqueness does not depend on the day.
    with pytest.raises(IntegrityError, match="ledger_reportkey_pkey"), transaction.atomic():
        sql(
            INSERT_REPORT.format(table=table),
            [dt.date(YEAR, 7, 1), stored(old_movement, "once"), "", None],
        )
    assert Report.objects.count() == 1


@postgresql_only
def test_a_key_recorded_between_the_check_and_the_insert_is_a_replay(old_movement, monkeypatch):
    """The race of two writers: the key was not there when this batch looked, and is when it
    inserts. The insert fails in its own statement and the ingest's retry sees a replay."""
    first = record(old_movement, f"{YEAR}-03-10", "raced")
    looked = []

    def blind_once(movement_id, owner_id, keys):
        looked.append(keys)
        return {} if len(looked) == 1 else existing_by_key(movement_id, owner_id, keys)

    existing_by_key = actions._existing_by_key
    monkeypatch.setattr(actions, "_existing_by_key", blind_once)
    result = record_reports(
        movement=old_movement,
        rows=[
            ReportRow(
                unit="W1",
                indicator="steel",
                day=f"{YEAR}-03-10",
                quantity="1",
                idempotency_key="raced",
            )
        ],
        source="api",
    )
    assert (len(looked), result.statuses, result.report_ids) == (2, ["replayed"], [first])
    assert Report.objects.count() == 1 and DailyTotal.objects.get().quantity_minor == 10


@postgresql_only
def test_a_key_being_recorded_by_another_transaction_waits_for_it(old_movement):
    """Uniqueness holds across concurrent transactions: a second insert of a key that a
    transaction still open has inserted waits for that transaction (here, until its statement
    timeout), and goes through once that one rolls back. Neither commits, so the test leaves
    nothing behind in the shared test database (and never reaches the deferred foreign keys)."""
    import psycopg  # a PostgreSQL-only dependency

    settings = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    insert = (
        "INSERT INTO ledger_report (day, quantity_minor, source, entered_at, idempotency_key,"
        " verification, reason, indicator_id, movement_id, unit_id)"
        " VALUES (%s, 1, 'cli', now(), %s, 'unverified', '', 1, 1, 1)"
    )
    with psycopg.connect(conninfo) as first, psycopg.connect(conninfo) as second:
        first.execute(insert, [dt.date(YEAR, 3, 10), "contested"])
        second.execute("SET statement_timeout = '1s'")
        second.execute(insert, [dt.date(YEAR, 9, 9), "another"])  # no wait for another key
        with pytest.raises(psycopg.errors.QueryCanceled):
            second.execute(insert, [dt.date(YEAR, 9, 9), "contested"])
        second.rollback()
        first.rollback()
        second.execute(insert, [dt.date(YEAR, 9, 9), "contested"])
        second.rollback()


@postgresql_only
def test_a_correction_of_a_report_that_does_not_exist_is_refused(old_movement):
    original = record(old_movement, f"{YEAR}-03-10", "original")
    correct_report(
        report=Report.objects.get(pk=original), quantity="2", reason="recount", source="api"
    )
    settle()
    with pytest.raises(IntegrityError, match="ledger_report_corrects_id_fk"), transaction.atomic():
        sql(
            INSERT_REPORT.format(table="ledger_report"),
            [dt.date(YEAR, 3, 11), "dangling", "typo", original + 1000],
        )
        settle()
    assert Report.objects.filter(corrects_id=original).count() == 1


@postgresql_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET day = day",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
    ],
)
def test_the_ledger_is_append_only_on_the_parent_and_every_partition(old_movement, statement):
    with connection.cursor() as cursor:
        add_quarters(cursor, "ledger_report", [Quarter(YEAR, 1)])
    record(old_movement, f"{YEAR}-03-10", "in-q1")
    record(old_movement, f"{YEAR}-05-05", "in-default")
    settle()  # or TRUNCATE fails on the pending foreign-key checks before the trigger runs
    tables = ["ledger_report", f"ledger_report_{YEAR}q1", "ledger_report_default"]
    # TRUNCATE of the key table is refused before its trigger runs: the ledger references it.
    guarded = [*tables, *(["ledger_reportkey"] if "TRUNCATE" not in statement else [])]
    for table in guarded:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(statement.format(table=table))
    assert Report.objects.count() == 2
    assert sql("SELECT count(*) FROM ledger_reportkey") == [(2,)]


def run_partitions(*args: str) -> str:
    out = io.StringIO()
    call_command("partitions", *args, stdout=out)
    return out.getvalue()


@postgresql_only
def test_the_command_creates_quarters_ahead_and_empties_the_default_partitions(old_movement):
    march = record(old_movement, f"{YEAR}-03-10", "march", quantity="2")
    may = record(old_movement, f"{YEAR}-05-05", "may", quantity="3")
    settle()

    out = run_partitions("--ahead", "6")

    assert f"created ledger_report_{YEAR}q1, 1 row moved from the DEFAULT partition" in out
    assert f"created ledger_dailytotal_{YEAR}q2, 1 row moved from the DEFAULT partition" in out
    current = Quarter.of(timezone.localdate())
    wanted = {Quarter(YEAR, 1), Quarter(YEAR, 2), *current.until(current.after(6))}
    for table in DAY_PARTITIONED:
        with connection.cursor() as cursor:
            partitions = partitions_of(cursor, [table])
        assert {p.quarter for p in partitions} >= wanted
        assert [p.rows for p in partitions if p.is_default] == [0]
        assert f"{table}_{current.after(6)}" in out
    # The rows moved whole: same ids and values, keys still theirs, aggregates unchanged.
    assert holder("ledger_report", id=march) == [f"ledger_report_{YEAR}q1"]
    assert holder("ledger_report", id=may) == [f"ledger_report_{YEAR}q2"]
    assert holder("ledger_subtreedailytotal", day=dt.date(YEAR, 5, 5)) == [
        f"ledger_subtreedailytotal_{YEAR}q2"
    ]
    assert sorted(Report.objects.values_list("pk", "quantity_minor")) == [(march, 20), (may, 30)]
    assert record(old_movement, f"{YEAR}-05-05", "may", quantity="3") == may  # a replay
    assert Report.objects.count() == 2 and rebuild() == []
    # The new partitions carry the ledger's guarantees like the others.
    settle()
    for statement in ("UPDATE {table} SET reason = 'x'", "TRUNCATE {table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(statement.format(table=f"ledger_report_{YEAR}q2"))
    with pytest.raises(IntegrityError, match="ledger_reportkey_pkey"), transaction.atomic():
        sql(
            INSERT_REPORT.format(table=f"ledger_report_{YEAR}q2"),
            [dt.date(YEAR, 5, 6), stored(old_movement, "march"), "", None],
        )

    again = run_partitions("--ahead", "6")
    assert "every partition was there already" in again


@postgresql_only
def test_the_migration_keeps_every_row_both_ways(old_movement):
    march = record(old_movement, f"{YEAR}-03-10", "march", quantity="2")
    correction = correct_report(
        report=Report.objects.get(pk=march), quantity="0", reason="no steel", source="api"
    ).pk
    record(old_movement, f"{YEAR}-05-05", "may", quantity="3")
    settle()
    before = _contents()

    _migrate("0002_append_only_triggers")
    assert sql(
        "SELECT count(*) FROM pg_partitioned_table WHERE partrelid::regclass::text LIKE 'ledger%'"
    ) == [(0,)]
    assert sql("SELECT to_regclass('ledger_reportkey')") == [(None,)]
    assert _contents() == before
    with pytest.raises(IntegrityError), transaction.atomic():
        sql(
            INSERT_REPORT.format(table="ledger_report"),
            [dt.date(YEAR, 5, 6), stored(old_movement, "may"), "", None],
        )

    _migrate("0003_partitioning")
    assert {
        name for (name,) in sql("SELECT partrelid::regclass::text FROM pg_partitioned_table")
    } >= set(DAY_PARTITIONED)
    assert _contents() == before
    assert sql("SELECT count(*) FROM ledger_reportkey") == [(3,)]
    # The data's quarters are partitions again, and new ids continue after the old ones.
    assert holder("ledger_report", id=march) == [f"ledger_report_{YEAR}q1"]
    # The code records with the whole schema (flag rules, block totals...): the later
    # migrations first, over the partitioned ledger.
    _migrate(max(name for app, name in _leaves() if app == "ledger"))
    assert record(old_movement, f"{YEAR}-06-01", "june") > correction
    assert rebuild() == []


def _contents() -> dict[str, list[tuple]]:
    return {
        table: sql(f"SELECT * FROM {table} ORDER BY id")
        for table in (*DAY_PARTITIONED, "ledger_subtreeperiodtotal")
    }


def _leaves() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes("ledger")


def _migrate(target: str) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("ledger", target)])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite answer")
def test_the_command_says_partitioning_is_for_postgresql_on_sqlite(db):
    out = run_partitions("--ahead", "2")
    assert "Partitioning is a PostgreSQL feature" in out and "nothing to do" in out
