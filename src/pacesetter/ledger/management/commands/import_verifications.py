"""`pacesetter import-verifications FILE --movement SLUG`: verifiers' decisions from a CSV or
XLSX file, all rows or none; rerunning the same file decides nothing twice."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rich.table import Table

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import TabularError, console_for, open_table, row_errors_table
from pacesetter.ledger.verification import VerificationRow, apply_verifications
from pacesetter.movements.models import Movement

REQUIRED = ("report", "decision")
OPTIONAL = ("quantity", "reason")
ALIASES = {"id": "report", "report_id": "report", "key": "report", "idempotency_key": "report"}


class Command(BaseCommand):
    help = (
        "Record verifiers' decisions from a CSV (UTF-8) or XLSX file with a header row: "
        "report (its id, or the idempotency key it was recorded with by you or the system), "
        "decision (confirm, correct or reject), and quantity (the value, for a correction) "
        "and reason (required to correct or reject). Every row is checked first; on any "
        "error nothing is written and every bad row is listed. Rerunning a file changes "
        "only what differs. Run it as the verifier (--as USER): a decision is a person's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        parser.add_argument("--movement", required=True, help="the movement's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count the decisions; write nothing"
        )

    def handle(self, *args: Any, file: Path, movement: str, dry_run: bool, **options: Any) -> None:
        console = console_for(self.stdout)
        started = time.monotonic()
        found = Movement.objects.select_related("organiser").filter(slug=movement).first()
        if found is None:
            raise CommandError(f"No movement {movement!r}.")
        try:
            with open_table(file) as table:
                columns = table.columns(required=REQUIRED, optional=OPTIONAL, aliases=ALIASES)
                numbered = [
                    (
                        number,
                        VerificationRow(
                            **{name: cells[index].strip() for name, index in columns.items()}
                        ),
                    )
                    for number, cells in table.rows()
                ]
        except TabularError as exc:
            raise CommandError(str(exc)) from None
        try:
            with transaction.atomic():
                changes = apply_verifications(movement=found, rows=[row for _, row in numbered])
                if dry_run:
                    transaction.set_rollback(True)
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
                "no decision was recorded."
            ) from None
        summary = Table(
            show_header=False,
            box=None,
            title=f"{file.name} → {found.slug}{' (dry run: nothing written)' if dry_run else ''}",
            title_justify="left",
        )
        summary.add_column(justify="left")
        summary.add_column(justify="right")
        summary.add_row("rows", f"{changes.rows:,}")
        for decision in ("confirmed", "corrected", "rejected"):
            summary.add_row(decision, f"{changes.decided.get(decision, 0):,}")
        summary.add_row("unchanged", f"{changes.unchanged:,}")
        summary.add_row("seconds", f"{time.monotonic() - started:.2f}")
        console.print(summary)
