"""Backup and restore of the whole database, each checked after the fact.

A backup is one consistent snapshot, taken while the server runs:

- SQLite: the online backup API (`sqlite3.Connection.backup`) from Django's own connection
  inside a read transaction, so writers carry on (WAL) and the copy is exactly the state that
  transaction sees;
- PostgreSQL: `pg_dump --format=custom --snapshot=…` of a snapshot exported by a REPEATABLE
  READ transaction.

In the same snapshot the backup counts every table and sums the ledger and the aggregates (the
*manifest*, written beside the backup as `PATH.json`) and recomputes the aggregates from the
ledger: a backup of figures that already disagree with their ledger says so. The SQLite copy
is then opened on its own and checked (`PRAGMA integrity_check`, the manifest again).

A restore refuses a database that holds data unless forced, loads the backup, and checks the
result the same way: the manifest matches and the aggregates equal the ledger.

This module sits in the ledger because what it checks is the ledger: it copies every app's
tables (through Django's app registry, importing none of them), but the sums and the rebuild
that tell a sound backup from a broken one are the ledger's and its aggregates'.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, connections, transaction

from . import aggregates
from .models import DailyTotal, Report, SubtreeDailyTotal, SubtreePeriodTotal

MANIFEST_VERSION = 1
# Tables `migrate` fills by itself: a freshly migrated database is still "empty".
_MIGRATE_FILLS = {"django_migrations", "django_content_type", "auth_permission"}


class OpsError(Exception):
    """A backup or restore that cannot be done as asked; the message says why and what to do."""


# --- what a database holds ---------------------------------------------------------------------


def _tables() -> list[str]:
    """Every table of an installed model, sorted (auto-created many-to-many tables included)."""
    names = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    return sorted(names)


def _summed() -> dict[str, str]:
    """Tables whose quantities are summed in the manifest: the ledger and its aggregates."""
    return {
        model._meta.db_table: "quantity_minor"
        for model in (Report, DailyTotal, SubtreeDailyTotal, SubtreePeriodTotal)
    }


def manifest_of(cursor: Any, existing: set[str] | None = None) -> dict[str, Any]:
    """Row counts of every table and the sums of the ledger's and aggregates' quantities,
    through any DB-API cursor (Django's, or plain sqlite3's on a copy). Tables missing from
    `existing` (an older schema) count as absent, not as an error."""
    counts: dict[str, int | None] = {}
    for table in _tables():
        if existing is not None and table not in existing:
            counts[table] = None
            continue
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    sums: dict[str, int | None] = {}
    for table, column in _summed().items():
        if counts.get(table) is None:
            sums[table] = None
            continue
        cursor.execute(f'SELECT coalesce(sum("{column}"), 0) FROM "{table}"')
        sums[table] = int(cursor.fetchone()[0])
    return {"counts": counts, "sums": sums}


def _existing_tables(cursor: Any, vendor: str) -> set[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {row[0] for row in cursor.fetchall()}


def holds_data() -> list[str]:
    """The application tables of the configured database that have at least one row."""
    with connection.cursor() as cursor:
        existing = _existing_tables(cursor, connection.vendor)
        found = []
        for table in _tables():
            if table in existing and table not in _MIGRATE_FILLS:
                cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')
                if cursor.fetchone():
                    found.append(table)
    return found


# --- the check ---------------------------------------------------------------------------------


@dataclass
class Check:
    """What a backup or restore verified. `ok` only when every part held."""

    manifest: dict[str, Any]
    aggregate_differences: int
    integrity: str = "ok"
    manifest_mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.integrity == "ok"
            and not self.aggregate_differences
            and not self.manifest_mismatches
        )

    def lines(self, *, mismatch: str, matched: str) -> list[str]:
        """What was checked, one line each, for a command to print; `mismatch` prefixes each
        table that differs, `matched` is said when none does."""
        lines = [f"integrity: {self.integrity}"]
        lines += [f"{mismatch}: {table}" for table in self.manifest_mismatches]
        if not self.manifest_mismatches:
            lines.append(matched)
        lines.append(
            "aggregates equal the ledger"
            if not self.aggregate_differences
            else f"{self.aggregate_differences:,} aggregate rows differ from the ledger "
            "(`pacesetter rebuild-aggregates --check` lists them)"
        )
        return lines

    @property
    def reports(self) -> int:
        return self.manifest["counts"].get(Report._meta.db_table) or 0


def compare_manifests(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """Every table whose count or sum differs, as "table: what was expected, what was found"."""
    mismatches = []
    for part in ("counts", "sums"):
        for table, value in expected.get(part, {}).items():
            if found.get(part, {}).get(table) != value:
                mismatches.append(
                    f"{table} {part[:-1]}: backup {value}, database {found[part].get(table)}"
                )
    return mismatches


def _aggregate_differences() -> int:
    return len(aggregates.rebuild())


@dataclass
class Backup:
    path: Path
    manifest_path: Path
    vendor: str
    bytes: int
    seconds: float
    check: Check


def default_path(vendor: str) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite3" if vendor == "sqlite" else "dump"
    return Path(settings.VAR_DIR) / "backups" / f"pacesetter-{stamp}.{suffix}"


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _write_manifest(path: Path, vendor: str, manifest: dict[str, Any], migrations: dict) -> Path:
    target = manifest_path(path)
    target.write_text(
        json.dumps(
            {
                "version": MANIFEST_VERSION,
                "vendor": vendor,
                "taken_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "migrations": migrations,
                **manifest,
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    return target


def _latest_migrations(cursor: Any) -> dict[str, str]:
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
    return dict(cursor.fetchall())


# --- backup ------------------------------------------------------------------------------------


def backup(path: Path | None = None) -> Backup:
    """Copy the configured database to `path` (default: var/backups/pacesetter-<UTC time>.*)
    from one snapshot, safe while the server runs; write the manifest beside it and check.

    Guarantees: the copy is one consistent state; its manifest and the aggregate check come
    from that same state; on SQLite the copy is reopened and must pass `integrity_check` and
    match the manifest. The file is written to `PATH.partial` and renamed when complete, so a
    killed backup never leaves a file that looks finished.
    """
    vendor = connection.vendor
    path = Path(path) if path is not None else default_path(vendor)
    if path.exists():
        raise OpsError(f"{path} exists; give another path or remove it first.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    started = dt.datetime.now(dt.UTC)
    if vendor == "sqlite":
        check, migrations = _backup_sqlite(partial)
    elif vendor == "postgresql":
        check, migrations = _backup_postgresql(partial)
    else:
        raise OpsError(f"backups of {vendor} databases are not supported")
    partial.replace(path)
    written = _write_manifest(path, vendor, check.manifest, migrations)
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return Backup(path, written, vendor, path.stat().st_size, seconds, check)


@contextmanager
def _snapshot() -> Iterator[None]:
    """One read snapshot of the configured database, without blocking writers."""
    from pacesetter.core.locks import read_snapshot

    connection.ensure_connection()
    with read_snapshot():
        yield


def _backup_sqlite(partial: Path) -> tuple[Check, dict]:
    with _snapshot(), connection.cursor() as cursor:
        manifest = manifest_of(cursor)
        migrations = _latest_migrations(cursor)
        # The copy is read through Django's own connection, inside the read transaction
        # above: it is the state the manifest just saw, while writers go on.
        with closing(sqlite3.connect(partial)) as target:
            connection.connection.backup(target, pages=4096)
    with closing(sqlite3.connect(f"file:{partial}?mode=ro", uri=True)) as copy:
        integrity = copy.execute("PRAGMA integrity_check").fetchone()[0]
        cursor = copy.cursor()
        found = manifest_of(cursor, _existing_tables(cursor, "sqlite"))
    # The aggregates are checked on the copy itself: what a restore would bring back.
    with _sqlite_database(partial):
        differences = _aggregate_differences()
    return (
        Check(manifest, differences, integrity, compare_manifests(manifest, found)),
        migrations,
    )


@contextmanager
def _sqlite_database(path: Path) -> Iterator[None]:
    """Point the default connection at another SQLite file for the duration."""
    default = connections["default"]
    original = default.settings_dict["NAME"]
    connections.close_all()
    default.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connections.close_all()
        default.settings_dict["NAME"] = original


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump / pg_restore (the password through
    PGPASSWORD, never on the command line)."""
    params = connection.settings_dict
    args = ["--dbname", params["NAME"]]
    if params.get("HOST"):
        args += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        args += ["--port", str(params["PORT"])]
    if params.get("USER"):
        args += ["--username", str(params["USER"])]
    env = {**os.environ}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    return args, env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise OpsError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _backup_postgresql(partial: Path) -> tuple[Check, dict]:
    pg_dump = _pg_tool("pg_dump")
    args, env = _pg_environment()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        manifest = manifest_of(cursor)
        migrations = _latest_migrations(cursor)
        differences = _aggregate_differences()
        # pg_dump reads the exported snapshot, which lives as long as this transaction.
        done = subprocess.run(
            [pg_dump, *args, "--format=custom", f"--snapshot={snapshot}", "--file", str(partial)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode:
        partial.unlink(missing_ok=True)
        raise OpsError(f"pg_dump failed: {done.stderr.strip()[-2000:]}")
    listed = subprocess.run(
        [_pg_tool("pg_restore"), "--list", str(partial)], capture_output=True, check=False
    )
    integrity = "ok" if listed.returncode == 0 else "pg_restore cannot read the archive"
    return Check(manifest, differences, integrity), migrations


# --- restore -----------------------------------------------------------------------------------


@dataclass
class Restore:
    path: Path
    vendor: str
    seconds: float
    check: Check


def read_manifest(path: Path) -> dict[str, Any] | None:
    found = manifest_path(path)
    if not found.exists():
        return None
    return json.loads(found.read_text())


def restore(path: Path, *, force: bool = False) -> Restore:
    """Replace the configured database with the backup at `path`, then check it.

    Refuses (OpsError) when the database holds data, unless `force`; refuses a backup of the
    other kind of database. Stop the server first: its open connections would keep serving the
    old state (SQLite) or block the schema's replacement (PostgreSQL).

    Guarantees: afterwards the database's table counts and ledger sums equal the backup's
    manifest (when it has one) and the aggregates equal the ledger, or the returned check says
    which did not.
    """
    path = Path(path)
    if not path.exists():
        raise OpsError(f"{path}: no such backup")
    vendor = connection.vendor
    manifest = read_manifest(path)
    if manifest is not None and manifest.get("vendor") != vendor:
        raise OpsError(
            f"{path} is a {manifest.get('vendor')} backup; the configured database is {vendor}"
        )
    occupied = holds_data() if _database_exists() else []
    if occupied and not force:
        shown = ", ".join(occupied[:5]) + (", …" if len(occupied) > 5 else "")
        raise OpsError(
            f"the database holds data ({shown}); restoring would replace it. "
            "Back it up first, then rerun with --force."
        )
    started = dt.datetime.now(dt.UTC)
    if vendor == "sqlite":
        integrity = _restore_sqlite(path)
    elif vendor == "postgresql":
        integrity = _restore_postgresql(path)
    else:
        raise OpsError(f"restores into {vendor} databases are not supported")
    connections.close_all()
    with connection.cursor() as cursor:
        found = manifest_of(cursor, _existing_tables(cursor, vendor))
    check = Check(
        found,
        _aggregate_differences(),
        integrity,
        compare_manifests(manifest, found) if manifest is not None else [],
    )
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return Restore(path, vendor, seconds, check)


def _database_exists() -> bool:
    if connection.vendor == "sqlite":
        return Path(connection.settings_dict["NAME"]).exists()
    return True


def _restore_sqlite(path: Path) -> str:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
        integrity = source.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            raise OpsError(f"{path} is damaged: {integrity}")
    connections.close_all()
    target_path = Path(connection.settings_dict["NAME"])
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(target_path, timeout=30)) as target,
    ):
        # The backup API writes the target page by page under its write lock and leaves it in
        # the source's journal mode; WAL is set again for the server's readers.
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        integrity = target.execute("PRAGMA integrity_check").fetchone()[0]
    return integrity


def _restore_postgresql(path: Path) -> str:
    pg_restore = _pg_tool("pg_restore")
    args, env = _pg_environment()
    with connection.cursor() as cursor:
        # The backup holds every table of the schema, so the schema is replaced whole: what
        # was there is gone (the caller was refused unless forced or it held no data).
        cursor.execute("DROP SCHEMA IF EXISTS public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    connections.close_all()
    done = subprocess.run(
        [pg_restore, *args, "--no-owner", "--exit-on-error", "--single-transaction", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise OpsError(f"pg_restore failed: {done.stderr.strip()[-2000:]}")
    return "ok"
