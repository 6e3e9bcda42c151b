"""`pacesetter apply FILE.yaml [--dry-run]`: make the database hold what a setup file says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import console_for
from pacesetter.setup.commandline import refused, setup_text
from pacesetter.setup.files import apply_document, read_document


class Command(BaseCommand):
    help = (
        "Apply a setup file (units, blocks, movements with their indicators, periods, "
        "plans and rankings, people and their roles): what it says and the database holds "
        "is left alone, what differs is changed, what is missing is created — all of it or nothing. Applying the same file twice "
        "changes nothing. --dry-run prints the plan of changes and changes nothing. The "
        "format: docs/setting-up.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .yaml file")
        parser.add_argument("--dry-run", action="store_true", help="print the changes only")

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        console = console_for(self.stdout)
        text = setup_text(file)
        try:
            changes = apply_document(read_document(text), dry_run=dry_run)
        except ActionError as exc:
            raise refused(console, file, exc) from None
        if not changes:
            console.print(f"{file.name}: no change; the database holds what it says.")
            return
        heading = "would change (dry run: nothing changed)" if dry_run else "changed"
        console.print(f"{file.name}: {len(changes)} {heading}")
        for change in changes:
            console.print(f"  {change}", highlight=False)
