"""Transaction-scoped locks for PostgreSQL; on SQLite every write transaction already runs
alone (BEGIN IMMEDIATE), so these are no-ops there."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

# Ingests read unit paths and credit ancestors; a move rewrites paths and shifts totals.
# Ingests take this lock shared, moves take it exclusive, so neither sees the other half-done.
TREE_LOCK = 0x7061_6365_7365_7474  # "pacesett"


def tree_lock(*, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [TREE_LOCK])


def pair_locks(pairs: Iterable[tuple[int, int]]) -> None:
    """Exclusive locks on (unit, indicator) pairs, taken in sorted order so two writers never
    wait on each other in a cycle."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({(unit_id << 20) ^ indicator_id for unit_id, indicator_id in pairs})
    if keys:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k", [keys]
            )


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Reads that see one consistent state of the database without blocking writers.

    SQLite: a deferred transaction (in WAL mode a reader never takes the write lock, unlike the
    IMMEDIATE transactions `atomic()` opens here). PostgreSQL: a read-only REPEATABLE READ
    transaction. Inside an outer transaction the outer one already gives the consistency.
    """
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")
