"""`pacesetter import-practices FILE [--dry-run]`: practices and adoptions from a YAML or CSV
file, checked whole first, all or nothing (see experience.importing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import console_for
from pacesetter.experience.importing import import_rows, read_file
from pacesetter.setup.commandline import refused


class Command(BaseCommand):
    help = (
        "Publish practices and record adoptions from a YAML file (`practices:` and "
        "`adoptions:` lists) or a CSV file (practices: key, movement, unit, title, text, "
        "indicators separated by `;`, period, adapted_from; adoptions: practice, movement, "
        "unit, adopted_on, note). Every row is checked first; then all are imported or none. "
        "A practice whose key the movement holds, and an adoption already standing, are left "
        "as they are: importing the same file twice changes nothing. The format: "
        "docs/setting-up.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .yaml or .csv file")
        parser.add_argument("--dry-run", action="store_true", help="check and roll back")

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        console = console_for(self.stdout)
        try:
            outcome = import_rows(read_file(file), dry_run=dry_run)
        except ActionError as exc:
            raise refused(console, file, exc) from None
        done = "would be" if dry_run else "were"
        console.print(
            f"{file.name}: {len(outcome.published)} practice(s) {done} published, "
            f"{len(outcome.adopted)} adoption(s) {done} recorded, "
            f"{outcome.unchanged} row(s) already held.",
            highlight=False,
        )
        for line in (*outcome.published, *outcome.adopted):
            console.print(f"  {line}", highlight=False)
