"""`pacesetter import-awards FILE --pack SLUG [--dry-run]`: a body's past awards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.table import Table

from pacesetter.core.tabular import console_for
from pacesetter.titles.files import apply_pack_file, read_award_rows
from pacesetter.titles.history import (
    AWARD_OPTIONAL,
    AWARD_REQUIRED,
    AwardImport,
    import_awards,
    preview_awards,
)


class Command(BaseCommand):
    help = (
        "Import awards a body made before it used Pacesetter, from a CSV (UTF-8, comma or "
        "semicolon) or XLSX file with a header row. Name a person by `member` (external id) or "
        f"a collective by `unit` (code); columns: {', '.join(AWARD_REQUIRED)}, optional "
        f"{', '.join(AWARD_OPTIONAL)}. The title is a code of the pack's titles; the year may "
        "precede the pack's first rule version, never the future. Every row is checked first; "
        "on any error nothing is recorded and every bad row is listed (row numbers as in a "
        "spreadsheet). Importing the same award again changes nothing. Imported awards count "
        "in consecutive-year and renewal rules like those made here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        parser.add_argument("--pack", required=True, help="the slug of the loaded rule pack")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show the awards; write nothing"
        )

    def handle(self, *args: Any, file: Path, pack: str, dry_run: bool, **options: Any) -> None:
        console = console_for(self.stdout)
        done = apply_pack_file(
            console,
            file,
            pack,
            read=read_award_rows,
            run=preview_awards if dry_run else import_awards,
        )
        if done.created:
            console.print(_table(done, dry_run=dry_run))
        verb = "would import" if dry_run else "imported"
        console.print(
            f"{file.name}: {verb} {len(done.created):,} awards; {done.unchanged:,} already "
            f"recorded.{' Dry run: nothing written.' if dry_run else ''}"
        )


def _table(done: AwardImport, *, dry_run: bool) -> Table:
    table = Table(title="awards that would be imported" if dry_run else "awards imported")
    for column in ("row", "holder", "unit", "title", "year", "times", "decision"):
        table.add_column(column, justify="right" if column in ("row", "year", "times") else "left")
    for a in done.created[:200]:
        table.add_row(
            str(a.row), a.subject, a.unit, a.title_name, str(a.year), str(a.times), a.decision
        )
    return table
