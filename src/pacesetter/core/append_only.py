"""A migration operation that makes a table append-only at the database: UPDATE and DELETE are
refused (and TRUNCATE on PostgreSQL), whoever asks — the application, an admin or a SQL
console. Used by every ledger-like table (reports, the audit trail, ...)."""

from __future__ import annotations

from django.db import migrations


def _sqlite(table: str, remedy: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
           BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE is not allowed; {remedy}'); END;""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
           BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE is not allowed; {remedy}'); END;""",
    ]


def _postgresql(table: str, remedy: str) -> list[str]:
    return [
        f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             RAISE EXCEPTION '{table} is append-only: % is not allowed; {remedy}', TG_OP
               USING ERRCODE = 'integrity_constraint_violation';
           END $$;""",
        f"""CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
           FOR EACH ROW EXECUTE FUNCTION {table}_append_only();""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
           FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only();""",
    ]


def _reverse(table: str, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
            f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};",
            f"DROP FUNCTION IF EXISTS {table}_append_only();",
        ]
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update;",
        f"DROP TRIGGER IF EXISTS {table}_no_delete;",
    ]


def append_only(table: str, remedy: str = "add a new entry") -> migrations.RunPython:
    """`operations = [append_only("audit_auditevent")]` in a migration after the table exists."""

    remedy = remedy.replace("'", "''")  # it sits inside an SQL string literal

    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        build = _postgresql if vendor == "postgresql" else _sqlite
        for sql in build(table, remedy):
            schema_editor.execute(sql, params=None)

    def backwards(apps, schema_editor):
        for sql in _reverse(table, schema_editor.connection.vendor):
            schema_editor.execute(sql, params=None)

    return migrations.RunPython(forwards, backwards)
