"""Declarative partitioning of the ledger and the per-day aggregates, on PostgreSQL only.

`ledger_report`, `ledger_dailytotal` and `ledger_subtreedailytotal` are partitioned by
`RANGE (day)`: one partition per calendar quarter (`ledger_report_2026q4` holds October to
December 2026) and a DEFAULT partition (`ledger_report_default`) for any day no quarter covers,
so an insert never fails for want of a partition. Migration 0003 creates the layout;
`pacesetter partitions` (a thin wrapper over `ensure_quarters`) adds quarters ahead of time and
moves rows out of the DEFAULT partition into the quarters they belong to.

Two guarantees of the ledger need more than the partitioned table itself, because a unique
constraint on it must contain the partition key `day`:

- idempotency keys stay unique across the whole ledger through `ledger_reportkey`
  (key → report id, day), filled by a statement trigger on every insert — into the parent or
  straight into a partition — so a repeated key fails the same statement as before;
- `corrects_id` references `ledger_reportkey.report_id` (one row per report) instead of
  `ledger_report.id`, which is no longer unique on its own.

Each ledger partition carries its own TRUNCATE and key triggers (statement triggers are not
inherited); the UPDATE/DELETE refusal is a row trigger on the parent, which PostgreSQL clones
onto every partition, present and future.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

LEDGER = "ledger_report"
DAY_PARTITIONED = (LEDGER, "ledger_dailytotal", "ledger_subtreedailytotal")
# How many quarters after the current one are created ahead by default.
AHEAD = 4

# Statement triggers on each ledger partition (and the parent): not inherited, so every
# partition gets them when it is created or attached. The functions are made by migration 0003
# (`ledger_report_append_only` by 0002).
_LEDGER_PARTITION_TRIGGERS = (
    """CREATE TRIGGER ledger_report_no_truncate BEFORE TRUNCATE ON {table}
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_report_append_only()""",
    """CREATE TRIGGER ledger_report_record_keys AFTER INSERT ON {table}
       REFERENCING NEW TABLE AS inserted
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_report_record_keys()""",
)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        """The first day after the quarter (the exclusive upper bound of its partition)."""
        return self.after(1).start

    def after(self, quarters: int) -> Quarter:
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)

    def until(self, last: Quarter) -> list[Quarter]:
        """This quarter and every one after it up to `last`, inclusive."""
        found, quarter = [], self
        while quarter <= last:
            found.append(quarter)
            quarter = quarter.after(1)
        return found

    def __str__(self) -> str:
        return f"{self.year}q{self.number}"


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    quarter: Quarter | None  # None: the DEFAULT partition, or bounds that are not a quarter
    bounds: str  # as PostgreSQL states them: "FOR VALUES FROM ('2026-10-01') TO ('2027-01-01')"
    rows: int | None  # exact for the DEFAULT partition, the planner's estimate for the others

    @property
    def is_default(self) -> bool:
        return self.bounds == "DEFAULT"


_BOUNDS = re.compile(r"FOR VALUES FROM \('(\d{4}-\d\d-\d\d)'\) TO \('(\d{4}-\d\d-\d\d)'\)")


def partition_name(table: str, quarter: Quarter) -> str:
    return f"{table}_{quarter}"


def default_name(table: str) -> str:
    return f"{table}_default"


def partitioned_tables(cursor) -> set[str]:
    """Which of the day-partitioned tables are partitioned in this database."""
    cursor.execute(
        "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
        " WHERE c.relname = ANY(%s) AND pg_table_is_visible(c.oid)",
        [list(DAY_PARTITIONED)],
    )
    return {name for (name,) in cursor.fetchall()}


def partitions_of(cursor, tables: Iterable[str] = DAY_PARTITIONED) -> list[Partition]:
    """Every partition of the given tables, by table, quarters in order, DEFAULT last."""
    cursor.execute(
        "SELECT parent.relname, child.relname, pg_get_expr(child.relpartbound, child.oid),"
        " child.reltuples::bigint"
        " FROM pg_inherits i"
        " JOIN pg_class parent ON parent.oid = i.inhparent"
        " JOIN pg_class child ON child.oid = i.inhrelid"
        " WHERE parent.relname = ANY(%s) AND pg_table_is_visible(parent.oid)",
        [list(tables)],
    )
    found = []
    for table, name, bounds, estimate in cursor.fetchall():
        quarter = None
        matched = _BOUNDS.fullmatch(bounds)
        if matched:
            start, end = (dt.date.fromisoformat(value) for value in matched.groups())
            candidate = Quarter.of(start)
            if (candidate.start, candidate.end) == (start, end):
                quarter = candidate
        if bounds == "DEFAULT":
            cursor.execute(f"SELECT count(*) FROM {name}")
            rows = cursor.fetchone()[0]
        else:
            rows = estimate if estimate >= 0 else None  # -1: never analysed
        found.append(Partition(table, name, quarter, bounds, rows))
    order = {table: index for index, table in enumerate(DAY_PARTITIONED)}
    return sorted(
        found,
        key=lambda p: (order.get(p.table, 99), p.is_default, p.quarter or Quarter(0, 1), p.name),
    )


def create_partition(cursor, table: str, quarter: Quarter | None) -> None:
    """A new, empty partition of `table` for `quarter` (None: the DEFAULT partition). When a
    DEFAULT partition is attached, it must hold no row of the quarter (PostgreSQL checks)."""
    if quarter is None:
        name, bounds = default_name(table), "DEFAULT"
    else:
        name, bounds = partition_name(table, quarter), _bounds(quarter)
    cursor.execute(f"CREATE TABLE {name} PARTITION OF {table} {bounds}")
    _add_partition_triggers(cursor, table, name)


def _bounds(quarter: Quarter) -> str:
    # Dates made here from integers, so a literal is safe; DDL takes no parameters.
    return f"FOR VALUES FROM ('{quarter.start.isoformat()}') TO ('{quarter.end.isoformat()}')"


def _add_partition_triggers(cursor, table: str, name: str) -> None:
    if table == LEDGER:
        for sql in _LEDGER_PARTITION_TRIGGERS:
            cursor.execute(sql.format(table=name))


def quarters_in_default(cursor, table: str) -> set[Quarter]:
    """The quarters of the rows in `table`'s DEFAULT partition (small by design: a full scan)."""
    cursor.execute(f"SELECT DISTINCT date_trunc('quarter', day)::date FROM {default_name(table)}")
    return {Quarter.of(start) for (start,) in cursor.fetchall()}


def add_quarters(cursor, table: str, quarters: Iterable[Quarter]) -> dict[Quarter, int]:
    """Create `table`'s partitions for those of `quarters` it lacks, moving rows of those
    quarters out of the DEFAULT partition. Returns the rows moved into each partition created.

    Call inside a transaction: it takes an ACCESS EXCLUSIVE lock on `table`, which blocks its
    readers and writers until commit. Rows move with their ids, keys and values unchanged:
    the DEFAULT partition is detached (which drops the row triggers cloned onto it, so the
    moved rows can leave it), each quarter with rows is filled as a plain table before it is
    attached (so no trigger sees the rows arrive and no key is recorded twice), and the
    DEFAULT partition is attached again (PostgreSQL checks it holds no row of any quarter).
    """
    existing = {p.quarter for p in partitions_of(cursor, [table]) if p.quarter is not None}
    wanted = sorted(set(quarters) - existing)
    if not wanted:
        return {}
    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    moving = set(wanted) & quarters_in_default(cursor, table)
    default = default_name(table)
    if moving:
        cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {default}")
    moved: dict[Quarter, int] = {}
    for quarter in wanted:
        if quarter not in moving:
            create_partition(cursor, table, quarter)
            moved[quarter] = 0
            continue
        name = partition_name(table, quarter)
        in_quarter = f"day >= '{quarter.start.isoformat()}' AND day < '{quarter.end.isoformat()}'"
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(f"INSERT INTO {name} SELECT * FROM {default} WHERE {in_quarter}")
        moved[quarter] = cursor.rowcount
        cursor.execute(f"DELETE FROM {default} WHERE {in_quarter}")
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} {_bounds(quarter)}")
        _add_partition_triggers(cursor, table, name)
    if moving:
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {default} DEFAULT")
    return moved


@dataclass
class Outcome:
    created: dict[str, dict[Quarter, int]]  # table → quarter created → rows moved into it
    partitions: list[Partition]


def ensure_quarters(*, ahead: int = AHEAD, today: dt.date) -> Outcome:
    """Give every day-partitioned table a partition for the quarter of `today`, the `ahead`
    quarters after it, and every quarter that has rows in a DEFAULT partition (which is then
    empty), in one transaction. The three tables always get the same quarters.

    When there is nothing to create it only reads. Otherwise it locks the three tables (in
    one order, so two runs cannot deadlock) and waits at most 10 seconds for the locks, so
    that a long transaction on a table makes the call fail — run it again — instead of
    queueing every reader and writer behind it.
    """
    with connection.cursor() as cursor:
        tables = [t for t in DAY_PARTITIONED if t in partitioned_tables(cursor)]
        if not any(_missing(cursor, tables, ahead, today).values()):
            return Outcome({}, partitions_of(cursor, tables))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        missing = _missing(cursor, tables, ahead, today)
        created = {table: add_quarters(cursor, table, missing[table]) for table in tables}
        return Outcome(created, partitions_of(cursor, tables))


def _missing(cursor, tables: list[str], ahead: int, today: dt.date) -> dict[str, set[Quarter]]:
    current = Quarter.of(today)
    wanted = set(current.until(current.after(ahead)))
    for table in tables:
        wanted |= quarters_in_default(cursor, table)
    existing: dict[str, set[Quarter]] = {table: set() for table in tables}
    for partition in partitions_of(cursor, tables):
        if partition.quarter is not None:
            existing[partition.table].add(partition.quarter)
    return {table: wanted - existing[table] for table in tables}
