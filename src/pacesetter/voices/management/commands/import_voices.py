"""`pacesetter import-voices FILE`: voices heard by officials, from CSV or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import TabularError, console_for, refuse_file_rows
from pacesetter.voices.actions import IMPORT_OPTIONAL, IMPORT_REQUIRED, import_voices
from pacesetter.voices.files import read_voice_rows


class Command(BaseCommand):
    help = (
        "Raise voices heard by officials (on visits, at meetings) from a CSV (UTF-8) or XLSX "
        f"file with a header row. Columns: {', '.join(IMPORT_REQUIRED)}, "
        f"[{'], ['.join(IMPORT_OPTIONAL)}] — `person` is the name of whom it was heard from, "
        "or `anonymous` is yes. Every row is checked first; on any error nothing is raised "
        "and every bad row is listed. A key raised before is skipped: sending the file again "
        "raises nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        console = console_for(self.stdout)
        try:
            numbers, rows = read_voice_rows(file)
        except TabularError as exc:
            raise CommandError(str(exc)) from None
        if not rows:
            raise CommandError(f"{file.name}: no data rows below the header.")
        try:
            result = import_voices(rows=rows)
        except ActionError as exc:
            raise refuse_file_rows(
                console, exc, numbers=numbers, name=file.name, total=len(rows)
            ) from None
        console.print(
            f"{file.name}: raised {result.raised:,} voices; {result.already_there:,} were "
            "there already."
        )
