"""PostgreSQL: the ledger and the per-day aggregates become partitioned tables (see
`pacesetter.ledger.partitions` and docs/scaling.md, section 2). SQLite: nothing changes.

Only the physical layout changes — columns, ids, values and the models' state stay as they
are, so Django's migration state is untouched. On PostgreSQL, in the migration's transaction
and under an exclusive lock on the three tables, each table is renamed aside, a partitioned
table of the same columns is created under the old name with a partition for every quarter
holding rows, the current quarter and the four after it, and a DEFAULT one, the rows are copied with one INSERT … SELECT, the identity sequence continues where the old one
stopped, the old table is dropped, and keys, indexes, foreign keys and triggers are created
(after the copy: building an index once is faster than growing it row by row).

What cannot stay as it was, because a unique constraint on a partitioned table must contain
the partition key `day`:

- the primary keys become (id, day); ids stay unique, drawn from one sequence;
- the idempotency key's uniqueness moves to `ledger_reportkey` (key primary key → report id,
  day), filled by a statement trigger in the same statement as the insert, so a duplicate is
  a unique violation exactly where it was; `ledger_report` keeps a plain index on the key for
  the ingest's lookups (the `varchar_pattern_ops` index Django added for LIKE queries is not
  recreated: nothing queries keys by prefix);
- `corrects_id` references `ledger_reportkey(report_id)`, one row per report, instead of
  `ledger_report(id)`: the same guarantee, as a foreign key.

The reverse copies the rows back into plain tables with the indexes, constraints and
triggers of migrations 0001 and 0002 (their names included) and drops `ledger_reportkey`.
Run `pacesetter partitions` from a schedule to create later quarters ahead of time.
"""

from __future__ import annotations

from django.db import migrations
from django.utils import timezone

from pacesetter.ledger.partitions import AHEAD, DAY_PARTITIONED, LEDGER, Quarter, create_partition

# Keys and indexes of the partitioned tables (every one contains `day`, or is not unique).
PARTITIONED_INDEXES = {
    LEDGER: [
        "ALTER TABLE ledger_report ADD CONSTRAINT ledger_report_pkey PRIMARY KEY (id, day)",
        "CREATE INDEX report_unit_indicator_day ON ledger_report (unit_id, indicator_id, day)",
        "CREATE INDEX report_movement_id ON ledger_report (movement_id, id)",
        "CREATE INDEX report_corrects ON ledger_report (corrects_id) WHERE corrects_id IS NOT NULL",
        "CREATE INDEX report_idempotency_key ON ledger_report (idempotency_key)",
    ],
    "ledger_dailytotal": [
        "ALTER TABLE ledger_dailytotal ADD CONSTRAINT ledger_dailytotal_pkey PRIMARY KEY (id, day)",
        "ALTER TABLE ledger_dailytotal ADD CONSTRAINT daily_total_key"
        " UNIQUE (unit_id, indicator_id, day)",
    ],
    "ledger_subtreedailytotal": [
        "ALTER TABLE ledger_subtreedailytotal ADD CONSTRAINT ledger_subtreedailytotal_pkey"
        " PRIMARY KEY (id, day)",
        "ALTER TABLE ledger_subtreedailytotal ADD CONSTRAINT subtree_daily_total_key"
        " UNIQUE (unit_id, indicator_id, day)",
    ],
}

# Those of migration 0001 (Django's names, which a later schema change would look up).
PLAIN_INDEXES = {
    LEDGER: [
        "ALTER TABLE ledger_report ADD CONSTRAINT ledger_report_pkey PRIMARY KEY (id)",
        "ALTER TABLE ledger_report ADD CONSTRAINT ledger_report_idempotency_key_key"
        " UNIQUE (idempotency_key)",
        "CREATE INDEX ledger_report_idempotency_key_89844ed5_like"
        " ON ledger_report (idempotency_key varchar_pattern_ops)",
        "CREATE INDEX report_unit_indicator_day ON ledger_report (unit_id, indicator_id, day)",
        "CREATE INDEX report_movement_id ON ledger_report (movement_id, id)",
        "CREATE INDEX report_corrects ON ledger_report (corrects_id) WHERE corrects_id IS NOT NULL",
    ],
    "ledger_dailytotal": [
        "ALTER TABLE ledger_dailytotal ADD CONSTRAINT ledger_dailytotal_pkey PRIMARY KEY (id)",
        "ALTER TABLE ledger_dailytotal ADD CONSTRAINT daily_total_key"
        " UNIQUE (unit_id, indicator_id, day)",
    ],
    "ledger_subtreedailytotal": [
        "ALTER TABLE ledger_subtreedailytotal ADD CONSTRAINT ledger_subtreedailytotal_pkey"
        " PRIMARY KEY (id)",
        "ALTER TABLE ledger_subtreedailytotal ADD CONSTRAINT subtree_daily_total_key"
        " UNIQUE (unit_id, indicator_id, day)",
    ],
}

# Before the ledger is copied: the functions its partitions' triggers call.
KEY_FUNCTIONS = [
    """CREATE FUNCTION ledger_report_record_keys() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         -- In key order, so two batches sharing keys wait for each other instead of
         -- deadlocking; a key already recorded is a unique violation of this statement.
         INSERT INTO ledger_reportkey (idempotency_key, report_id, day)
           SELECT idempotency_key, id, day FROM inserted ORDER BY idempotency_key;
         RETURN NULL;
       END $$""",
    """CREATE FUNCTION ledger_reportkey_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'ledger_reportkey is append-only: % is not allowed; it holds the key of every report', TG_OP
           USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
]

# After the ledger is copied: the key table filled from it, then every guarantee.
KEYS_AND_TRIGGERS = [
    """CREATE TABLE ledger_reportkey (
         idempotency_key varchar(100) NOT NULL,
         report_id bigint NOT NULL,
         day date NOT NULL
       )""",
    """INSERT INTO ledger_reportkey (idempotency_key, report_id, day)
       SELECT idempotency_key, id, day FROM ledger_report""",
    "ALTER TABLE ledger_reportkey ADD CONSTRAINT ledger_reportkey_pkey PRIMARY KEY (idempotency_key)",
    "ALTER TABLE ledger_reportkey ADD CONSTRAINT ledger_reportkey_report_id_key UNIQUE (report_id)",
    """CREATE TRIGGER ledger_reportkey_no_update_delete BEFORE UPDATE OR DELETE ON ledger_reportkey
       FOR EACH ROW EXECUTE FUNCTION ledger_reportkey_append_only()""",
    """CREATE TRIGGER ledger_reportkey_no_truncate BEFORE TRUNCATE ON ledger_reportkey
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_reportkey_append_only()""",
    """ALTER TABLE ledger_report ADD CONSTRAINT ledger_report_corrects_id_fk_ledger_reportkey
       FOREIGN KEY (corrects_id) REFERENCES ledger_reportkey (report_id)
       DEFERRABLE INITIALLY DEFERRED""",
    # Migration 0002's refusals, on the parent: the row trigger is cloned onto every partition;
    # the statement triggers of each partition come with it (partitions.create_partition).
    """CREATE TRIGGER ledger_report_no_update_delete BEFORE UPDATE OR DELETE ON ledger_report
       FOR EACH ROW EXECUTE FUNCTION ledger_report_append_only()""",
    """CREATE TRIGGER ledger_report_no_truncate BEFORE TRUNCATE ON ledger_report
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_report_append_only()""",
    """CREATE TRIGGER ledger_report_record_keys AFTER INSERT ON ledger_report
       REFERENCING NEW TABLE AS inserted
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_report_record_keys()""",
]

UNDO_KEYS = [
    "DROP TABLE ledger_reportkey",
    "DROP FUNCTION ledger_report_record_keys()",
    "DROP FUNCTION ledger_reportkey_append_only()",
]

# After the ledger is back in a plain table: migrations 0001's self reference and 0002's
# triggers, as they were.
PLAIN_LEDGER_GUARANTEES = [
    """ALTER TABLE ledger_report ADD CONSTRAINT ledger_report_corrects_id_446e20ef_fk_ledger_report_id
       FOREIGN KEY (corrects_id) REFERENCES ledger_report (id) DEFERRABLE INITIALLY DEFERRED""",
    """CREATE TRIGGER ledger_report_no_update_delete BEFORE UPDATE OR DELETE ON ledger_report
       FOR EACH ROW EXECUTE FUNCTION ledger_report_append_only()""",
    """CREATE TRIGGER ledger_report_no_truncate BEFORE TRUNCATE ON ledger_report
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_report_append_only()""",
]


def _lock(cursor) -> None:
    cursor.execute(f"LOCK TABLE {', '.join(DAY_PARTITIONED)} IN ACCESS EXCLUSIVE MODE")


def _quarters(cursor) -> list[Quarter]:
    """Every quarter holding a row of the three tables, the current one and AHEAD after it.
    Not the empty quarters between old data and now: each partition costs every lookup that
    cannot be pruned by day an index probe, and a row arriving for such a quarter goes to the
    DEFAULT partition until `pacesetter partitions` gives it its quarter."""
    cursor.execute(
        " UNION ".join(
            f"SELECT DISTINCT date_trunc('quarter', day)::date FROM {t}" for t in DAY_PARTITIONED
        )
    )
    current = Quarter.of(timezone.localdate())
    stored = {Quarter.of(start) for (start,) in cursor.fetchall()}
    return sorted(stored | set(current.until(current.after(AHEAD))))


def _foreign_keys(cursor, table: str, *, keep) -> list[str]:
    """`ALTER TABLE … ADD CONSTRAINT` statements recreating `table`'s foreign keys to other
    tables, names and definitions as they are (Django's hashed names included)."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [table],
    )
    return [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for name, definition in cursor.fetchall()
        if keep(definition)
    ]


def _rebuild(cursor, table: str, *, partitioned: bool, quarters: list[Quarter], keep) -> None:
    """Replace `table` by a copy of it, partitioned or plain, with the same columns, rows,
    ids and foreign keys (those `keep` accepts); the caller adds keys, indexes and triggers."""
    aside = f"{table}_aside"
    foreign_keys = _foreign_keys(cursor, table, keep=keep)
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"ALTER TABLE {table} RENAME TO {aside}")
    cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {aside}_id_seq")
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {aside} INCLUDING DEFAULTS INCLUDING IDENTITY"
        " INCLUDING CONSTRAINTS)" + (" PARTITION BY RANGE (day)" if partitioned else "")
    )
    if partitioned:
        for quarter in quarters:
            create_partition(cursor, table, quarter)
        create_partition(cursor, table, None)
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {aside}")
    # New ids continue where the old sequence stopped (not at max(id): ids of rolled-back
    # inserts are never handed out again).
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), last_value, is_called)"
        f" FROM {aside}_id_seq",
        [table],
    )
    cursor.execute(f"DROP TABLE {aside}")
    for sql in foreign_keys:
        cursor.execute(sql)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        _lock(cursor)
        quarters = _quarters(cursor)
        for sql in KEY_FUNCTIONS:
            cursor.execute(sql)
        for table in DAY_PARTITIONED:
            # The ledger's reference to itself becomes one to ledger_reportkey (below).
            _rebuild(
                cursor,
                table,
                partitioned=True,
                quarters=quarters,
                keep=lambda definition: "REFERENCES ledger_report(" not in definition,
            )
            for sql in PARTITIONED_INDEXES[table]:
                cursor.execute(sql)
        for sql in KEYS_AND_TRIGGERS:
            cursor.execute(sql)
        # Autovacuum analyses partitions, never a partitioned parent: give the planner the
        # parents' statistics once here (docs/scaling.md says when to repeat it).
        cursor.execute(f"ANALYZE {', '.join(DAY_PARTITIONED)}, ledger_reportkey")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        _lock(cursor)
        for table in DAY_PARTITIONED:
            _rebuild(
                cursor,
                table,
                partitioned=False,
                quarters=[],
                keep=lambda definition: "REFERENCES ledger_reportkey(" not in definition,
            )
            for sql in PLAIN_INDEXES[table]:
                cursor.execute(sql)
        for sql in UNDO_KEYS + PLAIN_LEDGER_GUARANTEES:
            cursor.execute(sql)
        cursor.execute(f"ANALYZE {', '.join(DAY_PARTITIONED)}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
