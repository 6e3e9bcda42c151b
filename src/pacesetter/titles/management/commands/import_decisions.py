"""`pacesetter import-decisions FILE --pack SLUG [--dry-run]`: the awarding body's decisions
that make awards final."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.table import Table

from pacesetter.core.tabular import console_for
from pacesetter.titles.files import apply_pack_file, read_decision_rows
from pacesetter.titles.history import (
    DECISION_REQUIRED,
    DecisionImport,
    preview_decisions,
    record_decisions,
)


class Command(BaseCommand):
    help = (
        "Record the awarding body's decisions on awards of a pack, which make them final (their "
        "certificates are issued from then on), from a CSV (UTF-8, comma or semicolon) or XLSX "
        "file with a header row. Name each award by its certificate `code`, or by its holder "
        "(`member` external id or `unit` code), `title` code and `year` (and `period`, for a "
        f"title judged per period); columns of the decision: {', '.join(DECISION_REQUIRED)} "
        "(the date as YYYY-MM-DD, or today). Every row is checked first; on any error nothing "
        "is recorded and every bad row is listed (row numbers as in a spreadsheet). An award "
        "that already carries the same decision is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        parser.add_argument("--pack", required=True, help="the slug of the loaded rule pack")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show the decisions; write nothing"
        )

    def handle(self, *args: Any, file: Path, pack: str, dry_run: bool, **options: Any) -> None:
        console = console_for(self.stdout)
        done = apply_pack_file(
            console,
            file,
            pack,
            read=read_decision_rows,
            run=preview_decisions if dry_run else record_decisions,
        )
        if done.recorded:
            console.print(_table(done, dry_run=dry_run))
        verb = "would record" if dry_run else "recorded"
        console.print(
            f"{file.name}: {verb} {len(done.recorded):,} decisions; {done.unchanged:,} already "
            f"recorded.{' Dry run: nothing written.' if dry_run else ''}"
        )


def _table(done: DecisionImport, *, dry_run: bool) -> Table:
    table = Table(title="decisions that would be recorded" if dry_run else "decisions recorded")
    for column in ("row", "certificate", "holder", "title", "year", "decision"):
        table.add_column(column, justify="right" if column in ("row", "year") else "left")
    for d in done.recorded[:200]:
        table.add_row(str(d.row), d.code, d.holder, d.title_name, str(d.year), d.decision)
    return table
