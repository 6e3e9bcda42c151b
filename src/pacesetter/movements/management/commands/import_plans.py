"""`pacesetter import-plans FILE --movement SLUG`: plans from a CSV or XLSX file, all rows or
none, with the plans created and changed listed; rerunning the same file changes nothing."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from pacesetter.core.errors import ActionError
from pacesetter.core.quantities import format_quantity
from pacesetter.core.tabular import TabularError, console_for, row_errors_table
from pacesetter.movements.models import Movement
from pacesetter.movements.plan_files import (
    PLAN_OPTIONAL,
    PLAN_REQUIRED,
    PlanChanges,
    apply_plans,
    plan_rows,
)

SHOWN_CHANGES = 50


class Command(BaseCommand):
    help = (
        "Set plans from a CSV (',', ';' or tab separated, UTF-8) or XLSX file with a header row: "
        f"{', '.join(PLAN_REQUIRED)} and any of {', '.join(PLAN_OPTIONAL)} (an empty period is "
        "the whole movement). Every row is checked first; on any error nothing is written and "
        "every bad row is listed (row numbers as in a spreadsheet: the header is row 1). "
        "Rerunning a file changes only what differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        parser.add_argument("--movement", required=True, help="the movement's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show the changes; write nothing"
        )

    def handle(self, *args: Any, file: Path, movement: str, dry_run: bool, **options: Any) -> None:
        console = console_for(self.stdout)
        started = time.monotonic()
        found = Movement.objects.filter(slug=movement).first()
        if found is None:
            raise CommandError(f"No movement {movement!r}.")
        try:
            numbered = plan_rows(file, found)
        except TabularError as exc:
            raise CommandError(str(exc)) from None
        try:
            changes = apply_plans(
                movement=found,
                rows=[row for _, row in numbered],
                dry_run=dry_run,
                row_numbers=[number for number, _ in numbered],
            )
        except ActionError as exc:
            if not exc.errors:
                raise CommandError(exc.detail) from None
            errors = [
                dataclasses.replace(e, row=numbered[e.row - 1][0])
                if 1 <= e.row <= len(numbered)
                else e
                for e in exc.errors
            ]
            console.print(row_errors_table(errors, title=f"{file.name}: rows not valid"))
            raise CommandError(
                f"{len({e.row for e in errors}):,} of {len(numbered):,} rows are not valid; "
                "no plan was written."
            ) from None
        if changes.created or changes.changed:
            console.print(_changes_table(changes, dry_run=dry_run))
        summary = Table(
            show_header=False,
            box=None,
            title=f"{file.name} → {found.slug}{' (dry run: nothing written)' if dry_run else ''}",
            title_justify="left",
        )
        summary.add_column(justify="left")
        summary.add_column(justify="right")
        summary.add_row("rows", f"{changes.rows:,}")
        summary.add_row("created", f"{len(changes.created):,}")
        summary.add_row("changed", f"{len(changes.changed):,}")
        summary.add_row("unchanged", f"{changes.unchanged:,}")
        summary.add_row("seconds", f"{time.monotonic() - started:.2f}")
        console.print(summary)


def _changes_table(changes: PlanChanges, *, dry_run: bool) -> Table:
    listed = [*changes.created, *changes.changed]
    title = "plans that would change" if dry_run else "plans changed"
    if len(listed) > SHOWN_CHANGES:
        title += f" (the first {SHOWN_CHANGES:,} of {len(listed):,})"
    table = Table(title=title, title_justify="left")
    for name in ("unit", "indicator", "period", "planned", "rated capacity", "daily", "base"):
        table.add_column(
            name, justify="left" if name in ("unit", "indicator", "period") else "right"
        )
    for change in listed[:SHOWN_CHANGES]:
        cells = [
            (f"{format_quantity(old, change.places)} → " if changed else "")
            + format_quantity(new, change.places)
            for old, new, changed in change.columns
        ]
        table.add_row(change.unit, change.indicator, change.period, *cells)
    return table
