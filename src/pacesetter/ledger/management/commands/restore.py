"""`pacesetter restore PATH [--force]`: replace the database with a backup, then check that
the restored tables match the backup's manifest and the aggregates equal the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter.core.tabular import console_for
from pacesetter.ledger.backups import OpsError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `pacesetter backup` into the configured database. Stop the "
        "server first. Refuses a database that holds data unless --force. Afterwards checks "
        "every table's count and the ledger's sums against the backup's manifest (PATH.json) "
        "and the aggregates against the ledger; exits 1 if anything differs. Run "
        "`pacesetter migrate` afterwards if the backup is older than the code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that holds data"
        )

    def handle(self, *args: Any, path: Path, force: bool, **options: Any) -> None:
        console = console_for(self.stdout)
        try:
            with console_for(self.stderr).status("restoring…"):
                done = restore(path, force=force)
        except OpsError as exc:
            raise CommandError(str(exc)) from exc
        check = done.check
        console.print(f"restored {done.path} ({check.reports:,} reports, {done.seconds:.1f} s)")
        for line in check.lines(
            mismatch="differs from the backup", matched="every table matches the backup's manifest"
        ):
            console.print(line)
        if not check.ok:
            raise CommandError("the restored database did not pass its check", returncode=1)
