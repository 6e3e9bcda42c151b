"""`pacesetter backup [PATH]`: a consistent copy of the database while the server runs, with a
manifest beside it and a check that its aggregates equal its ledger (ledger.backups)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter.core.tabular import console_for
from pacesetter.ledger.backups import OpsError, backup


class Command(BaseCommand):
    help = (
        "Back up the database from one snapshot, safe while the server runs (SQLite: the online "
        "backup API; PostgreSQL: pg_dump --format=custom). Writes PATH (default "
        "var/backups/pacesetter-<UTC time>.sqlite3 or .dump) and PATH.json, the manifest of "
        "table counts and ledger sums that `pacesetter restore` checks against. Exits 1 if the "
        "snapshot's aggregates differ from its ledger or the copy fails its check."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="where to write the backup")

    def handle(self, *args: Any, path: Path | None, **options: Any) -> None:
        console = console_for(self.stdout)
        try:
            with console_for(self.stderr).status("backing up…"):
                done = backup(path)
        except OpsError as exc:
            raise CommandError(str(exc)) from exc
        check = done.check
        console.print(
            f"backup written to {done.path} ({done.bytes:,} bytes, {check.reports:,} reports, "
            f"{done.seconds:.1f} s); manifest {done.manifest_path}"
        )
        for line in check.lines(mismatch="copy differs", matched="the copy matches the manifest"):
            console.print(line)
        if not check.ok:
            raise CommandError("the backup was written but did not pass its check", returncode=1)
