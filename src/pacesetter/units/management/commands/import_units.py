"""`pacesetter import-units FILE`: units from a CSV or XLSX file, all rows or none."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import TabularError, console_for, refuse_file_rows
from pacesetter.units.actions import import_units
from pacesetter.units.unit_files import read_unit_rows


class Command(BaseCommand):
    help = (
        "Create or update units from a CSV (UTF-8) or XLSX file with a header row: "
        "code, name, kind, parent_code (empty for a root), headcount. Rows may come in any "
        "order. Every row is checked first; on any error nothing is written and every bad "
        "row is listed (row numbers as in a spreadsheet: the header is row 1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        console = console_for(self.stdout)
        started = time.monotonic()
        try:
            numbered = read_unit_rows(file)
        except TabularError as exc:
            raise CommandError(str(exc)) from None
        rows = [row for _, row in numbered]
        # The file's row number of each UnitRow: the action numbers rows 1, 2, 3... as given.
        numbers = [number for number, _ in numbered]
        if not rows:
            raise CommandError(f"{file.name}: no data rows below the header.")

        try:
            result = import_units(rows=rows, row_numbers=numbers)
        except ActionError as exc:
            raise refuse_file_rows(
                console,
                exc,
                numbers=numbers,
                name=file.name,
                total=len(rows),
                outcome="nothing was imported",
            ) from None

        summary = Table(show_header=False, box=None, title=f"{file.name}", title_justify="left")
        summary.add_column(justify="left")
        summary.add_column(justify="right")
        summary.add_row("rows", f"{len(rows):,}")
        summary.add_row("created", f"{result.created:,}")
        summary.add_row("updated", f"{result.updated:,}")
        summary.add_row("unchanged", f"{result.unchanged:,}")
        summary.add_row("new kinds", ", ".join(result.kinds_created) or "none")
        summary.add_row("seconds", f"{time.monotonic() - started:.2f}")
        console.print(summary)
