"""`pacesetter import-members FILE`: members of units from a CSV or XLSX file, all rows or
none."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rich.table import Table

from pacesetter.core.errors import ActionError, RowError
from pacesetter.core.tabular import TabularError, console_for, open_table, row_errors_table
from pacesetter.units.actions import MemberRow, import_members


class Command(BaseCommand):
    help = (
        "Create members from a CSV (UTF-8; also .csv.gz) or XLSX file with a header row: "
        "unit (its code), external_id (the member's id, unique), full_name. A member whose "
        "id exists with the same unit and name is left as it is. Every row is checked first; "
        "on any error nothing is written and every bad row is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv, .csv.gz or .xlsx file")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        console = console_for(self.stdout)
        started = time.monotonic()
        numbers: list[int] = []
        rows: list[MemberRow] = []
        try:
            with open_table(file) as table:
                columns = table.columns(required=("unit", "external_id", "full_name"))
                for number, cells in table.rows():
                    numbers.append(number)
                    rows.append(
                        MemberRow(
                            unit=cells[columns["unit"]],
                            external_id=cells[columns["external_id"]],
                            full_name=cells[columns["full_name"]],
                        )
                    )
        except TabularError as exc:
            raise CommandError(str(exc)) from None
        if not rows:
            raise CommandError(f"{file.name}: no data rows below the header.")
        # The same id twice, named by the file's rows (the action numbers its own rows).
        errors: list[RowError] = []
        first: dict[str, int] = {}
        keep: list[int] = []
        for index, (number, row) in enumerate(zip(numbers, rows, strict=True)):
            seen = first.setdefault(row.external_id.strip(), number)
            if seen != number and row.external_id.strip():
                errors.append(
                    RowError(number, "external_id", f"the same id as row {seen}", "duplicate")
                )
            else:
                keep.append(index)
        try:
            with transaction.atomic():
                result = import_members(rows=[rows[i] for i in keep])
                if errors:
                    transaction.set_rollback(True)
        except ActionError as exc:
            if not exc.errors:
                raise CommandError(exc.detail) from None
            errors += [dataclasses.replace(e, row=numbers[keep[e.row - 1]]) for e in exc.errors]
        if errors:
            errors.sort(key=lambda e: e.row)
            console.print(row_errors_table(errors, title=f"{file.name}: rows not valid"))
            bad = len({e.row for e in errors})
            raise CommandError(
                f"{bad:,} of {len(rows):,} rows are not valid; nothing was imported."
            )
        summary = Table(show_header=False, box=None, title=file.name, title_justify="left")
        summary.add_column()
        summary.add_column(justify="right")
        summary.add_row("rows", f"{len(rows):,}")
        summary.add_row("created", f"{result.created:,}")
        summary.add_row("unchanged", f"{result.unchanged:,}")
        summary.add_row("seconds", f"{time.monotonic() - started:.2f}")
        console.print(summary)
