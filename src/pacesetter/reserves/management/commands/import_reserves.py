"""`pacesetter import-reserves FILE`: reserves taken through their lifecycle, all rows or
none (see reserves.importing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rich.table import Table as RichTable

from pacesetter.core.tabular import TabularError, console_for, row_errors_table
from pacesetter.reserves import importing


class Command(BaseCommand):
    help = (
        "Propose reserves and take them to a status, from a CSV (also .csv.gz) or XLSX file "
        "with a header row: unit, kind (material, time, energy, money, indicator), "
        "description, estimated, and optionally measure (e.g. 't of cement'; a currency for "
        "money), member (external id), movement (slug), indicator (its code, for kind "
        "indicator), status (proposed, under_review, accepted, implemented, verified, "
        "declined; default proposed), verified (the verified saving, for verified), scope "
        "(the recognition: unit, grassroots, provincial, national), reason (for declined), key "
        "(the row's own key; else its cells'), and for paper records the day of each step: "
        "proposed_on, reviewed_on, accepted_on, implemented_on, verified_on, declined_on "
        "(YYYY-MM-DD; a dated row gives the day of its last step, an undated step between "
        "takes the next step's day). A dated step is recorded at noon that day in the "
        "movement's time zone (the site's, for a row without a movement), and a verified "
        "reserve that a link counts toward an indicator reports on its verified day, which "
        "must lie within the linked movement; no date may be in the future or before a step "
        "it follows. An undated row is recorded now. Each step is the lifecycle action the "
        "pages use, with its own permission. Every row is checked first; on any error "
        "nothing is recorded. Importing the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv, .csv.gz or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything, record nothing"
        )

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        out = console_for(self.stdout)
        try:
            outcome = importing.read(file)
        except TabularError as exc:
            if exc.errors:
                out.print(row_errors_table(exc.errors, title=f"{file.name}: rows not valid"))
            raise CommandError(str(exc)) from None
        if not outcome.read:
            raise CommandError(f"{file.name}: no data rows below the header.")
        with transaction.atomic():
            if outcome.rows:
                # The rows that read well go through the actions too (and are rolled back
                # if any row is bad), so one answer lists every bad row.
                importing.record(outcome)
            if outcome.errors or dry_run:
                transaction.set_rollback(True)
        if outcome.errors:
            errors = sorted(outcome.errors, key=lambda e: e.row)
            out.print(row_errors_table(errors[:200], title=f"{file.name}: rows not valid"))
            bad = len({e.row for e in errors})
            raise CommandError(
                f"{bad:,} of {outcome.read:,} rows are not valid; nothing was recorded."
            )
        summary = RichTable(show_header=False, box=None, title=file.name, title_justify="left")
        summary.add_column()
        summary.add_column(justify="right")
        summary.add_row("rows", f"{outcome.read:,}")
        summary.add_row("proposed", f"{outcome.proposed:,}")
        summary.add_row("moved on", f"{outcome.moved:,}")
        summary.add_row("unchanged", f"{outcome.unchanged:,}")
        out.print(summary)
        if dry_run:
            out.print("Dry run: every row was checked; nothing was recorded.")
