"""`pacesetter import-title-facts FILE --kind KIND`: facts for titles from CSV or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import TabularError, console_for, refuse_file_rows
from pacesetter.titles.actions import FACT_KINDS, FACT_OPTIONAL, record_facts
from pacesetter.titles.files import read_fact_rows

COLUMNS = "; ".join(
    f"{kind}: {', '.join([*required, *(f'[{o}]' for o in FACT_OPTIONAL[kind])])}"
    for kind, required in FACT_KINDS.items()
)


class Command(BaseCommand):
    help = (
        "Record facts that titles look at — yearly evaluations, disciplinary measures, "
        "initiatives, recorded judgements — from a CSV (UTF-8) or XLSX file with a header row. "
        "Name a person by `member` (external id) or a collective by `unit` (code). Columns: "
        f"{COLUMNS}. Every row is checked first; on any error nothing is recorded and every "
        "bad row is listed (row numbers as in a spreadsheet). Each fact keeps the file name "
        "and row as its source."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        parser.add_argument("--kind", required=True, choices=list(FACT_KINDS))

    def handle(self, *args: Any, file: Path, kind: str, **options: Any) -> None:
        console = console_for(self.stdout)
        try:
            numbers, rows = read_fact_rows(file, kind)
        except TabularError as exc:
            raise CommandError(str(exc)) from None
        if not rows:
            raise CommandError(f"{file.name}: no data rows below the header.")
        try:
            recorded = record_facts(kind=kind, rows=rows, source=file.name, row_numbers=numbers)
        except ActionError as exc:
            raise refuse_file_rows(
                console, exc, numbers=numbers, name=file.name, total=len(rows)
            ) from None
        console.print(f"{file.name}: recorded {recorded:,} {kind}.")
