"""`pacesetter import-visits FILE`: officials' visits from a CSV or XLSX file, all rows or
none, a rerun replaying what is there."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import TabularError, console_for, refuse_file_rows, row_errors_table
from pacesetter.visits.actions import record_visits
from pacesetter.visits.files import OPTIONAL, REQUIRED, read_visit_rows


class Command(BaseCommand):
    help = (
        "Record visits from a CSV (UTF-8; also .csv.gz) or XLSX file with a header row: "
        f"{', '.join(REQUIRED)} (required; `date` is taken for visited_on), "
        f"{', '.join(OPTIONAL)} (optional). visitors are usernames separated by ; or , and "
        "guest_names names separated by ;. Every row needs a key: a row whose key you have "
        "used with the same content is left as it is, with other content it is refused. Every "
        "row is checked first; on any error nothing is recorded and every bad row is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv, .csv.gz or .xlsx file")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        console = console_for(self.stdout)
        started = time.monotonic()
        try:
            numbered = read_visit_rows(file)
        except TabularError as exc:
            if exc.errors:
                console.print(row_errors_table(exc.errors, title=f"{file.name}: rows not valid"))
            raise CommandError(str(exc)) from None
        if not numbered:
            raise CommandError(f"{file.name}: no data rows below the header.")
        try:
            result = record_visits(
                rows=[row for _, row in numbered], row_numbers=[number for number, _ in numbered]
            )
        except ActionError as exc:
            raise refuse_file_rows(
                console,
                exc,
                numbers=[number for number, _ in numbered],
                name=file.name,
                total=len(numbered),
            ) from None
        summary = Table(show_header=False, box=None, title=file.name, title_justify="left")
        summary.add_column()
        summary.add_column(justify="right")
        summary.add_row("rows", f"{len(numbered):,}")
        summary.add_row("recorded", f"{result.created:,}")
        summary.add_row("already there", f"{result.replayed:,}")
        summary.add_row("seconds", f"{time.monotonic() - started:.2f}")
        console.print(summary)
