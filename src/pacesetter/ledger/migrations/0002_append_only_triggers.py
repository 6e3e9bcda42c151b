"""The ledger is append-only at the database: UPDATE and DELETE on reports are refused
(and TRUNCATE on PostgreSQL), whoever asks — the application, an admin or a SQL console."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER ledger_report_no_update BEFORE UPDATE ON ledger_report
       BEGIN SELECT RAISE(ABORT, 'ledger_report is append-only: UPDATE is not allowed; file a correction'); END;""",
    """CREATE TRIGGER ledger_report_no_delete BEFORE DELETE ON ledger_report
       BEGIN SELECT RAISE(ABORT, 'ledger_report is append-only: DELETE is not allowed; file a correction'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_report_no_update;",
    "DROP TRIGGER IF EXISTS ledger_report_no_delete;",
]

POSTGRESQL = [
    """CREATE FUNCTION ledger_report_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'ledger_report is append-only: % is not allowed; file a correction', TG_OP
           USING ERRCODE = 'integrity_constraint_violation';
       END $$;""",
    """CREATE TRIGGER ledger_report_no_update_delete BEFORE UPDATE OR DELETE ON ledger_report
       FOR EACH ROW EXECUTE FUNCTION ledger_report_append_only();""",
    """CREATE TRIGGER ledger_report_no_truncate BEFORE TRUNCATE ON ledger_report
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_report_append_only();""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_report_no_truncate ON ledger_report;",
    "DROP TRIGGER IF EXISTS ledger_report_no_update_delete ON ledger_report;",
    "DROP FUNCTION IF EXISTS ledger_report_append_only();",
]


def forwards(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    statements = (
        POSTGRESQL_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    )
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
