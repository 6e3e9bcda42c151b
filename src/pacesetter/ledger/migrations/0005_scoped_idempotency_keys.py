"""Idempotency keys are stored scoped to the movement and the caller (ledger.domain.scoped_key),
which makes them longer than the client's 100 characters.

The ledger is append-only, so the keys stored before are not rewritten: they are read as scoped
to their own movement and to whoever entered them (ledger.actions._existing_by_key), which is
what scoping them would have written. SQLite does not enforce a varchar's length; on PostgreSQL
widening a varchar rewrites nothing (the partitions follow their parent).
"""

from django.db import migrations, models


def widen(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in ("ledger_report", "ledger_reportkey"):
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN idempotency_key TYPE varchar(140)")


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in ("ledger_report", "ledger_reportkey"):
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN idempotency_key TYPE varchar(100)")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_derived_aggregates")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="report",
                    name="idempotency_key",
                    field=models.CharField(max_length=140, unique=True),
                )
            ],
            database_operations=[migrations.RunPython(widen, narrow)],
        )
    ]
