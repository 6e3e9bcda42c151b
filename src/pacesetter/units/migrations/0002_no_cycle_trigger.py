"""No cycles in the unit tree, enforced by the database: a unit's new parent may not lie in
the unit's own subtree (its path may not start with the unit's path)."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER units_unit_no_cycle BEFORE UPDATE OF parent_id ON units_unit
       WHEN NEW.parent_id IS NOT NULL AND (
         SELECT substr(path, 1, length(OLD.path)) FROM units_unit WHERE id = NEW.parent_id
       ) = OLD.path
       BEGIN SELECT RAISE(ABORT, 'units_unit: a unit cannot be moved into its own subtree'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS units_unit_no_cycle;"]

POSTGRESQL = [
    """CREATE FUNCTION units_unit_no_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.parent_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM units_unit WHERE id = NEW.parent_id AND left(path, length(OLD.path)) = OLD.path
         ) THEN
           RAISE EXCEPTION 'units_unit: a unit cannot be moved into its own subtree'
             USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         RETURN NEW;
       END $$;""",
    """CREATE TRIGGER units_unit_no_cycle BEFORE UPDATE OF parent_id ON units_unit
       FOR EACH ROW EXECUTE FUNCTION units_unit_no_cycle();""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS units_unit_no_cycle ON units_unit;",
    "DROP FUNCTION IF EXISTS units_unit_no_cycle();",
]


def forwards(apps, schema_editor):
    for sql in POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    for sql in (
        POSTGRESQL_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    ):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
