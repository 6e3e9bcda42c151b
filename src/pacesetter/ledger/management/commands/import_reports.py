"""`pacesetter import-reports FILE --movement SLUG`: reports from a CSV or XLSX file, streamed.

The file is read one row at a time and recorded through `record_reports` in batches, each batch
in its own transaction. A row without an idempotency key of its own gets one made of the file's
SHA-256 and its row number, so rerunning the same file after an interruption — even SIGKILL —
finds the batches already committed ("replayed") and counts nothing twice. A batch with bad
rows is recorded without them, and they go to the rejects file with the reason: good rows are
never held back by bad ones, and bad ones are never recorded.
"""

from __future__ import annotations

import csv
import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable
from rich.text import Text

from pacesetter.core.errors import ActionError, Conflict, RowError, ValidationFailed
from pacesetter.core.tabular import Table, TabularError, console_for, open_table, row_errors_table
from pacesetter.ledger.actions import MAX_BATCH, IngestResult, ReportRow, record_reports
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import decimal_comma_codes

REQUIRED = ("unit", "indicator", "day", "quantity")
OPTIONAL = ("member", "idempotency_key")
ALIASES = {"unit_code": "unit"}
# Appended to each rejected row. Columns of these names in the input (a rejects file being
# imported again after correction) are left out, so they do not pile up.
REJECT_COLUMNS = ("row", "field", "reason")
SHOWN_REJECTS = 10


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    replayed: int = 0
    rejected: int = 0
    # The first few refusals, to show; all of them are in the rejects file.
    first_errors: list[RowError] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    number: int  # the row's number in the file
    cells: list[str]
    row: ReportRow


class RejectsFile:
    """Refused rows as they were read, then their row number, field(s) and reason(s): one line
    per row, so the file can be corrected and imported as it is. Created on the first refusal;
    a rejects file an earlier run left at the path is replaced, or removed if this run refuses
    nothing (it would list rows that are now recorded)."""

    def __init__(self, path: Path, header: list[str], delimiter: str | None = None):
        self.path = path
        # The imported file's separator, so that a `;` file's decimal commas still read as
        # such when the corrected rejects are imported.
        self._delimiter = delimiter or ","
        self._keep = [
            i for i, name in enumerate(header) if name.strip().lower() not in REJECT_COLUMNS
        ]
        self._header = [header[i] for i in self._keep]
        self._stream: IO[str] | None = None
        self._writer: Any = None

    def write(self, pending: _Pending, errors: list[RowError]) -> None:
        if self._writer is None:
            self._stream = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._stream, delimiter=self._delimiter)
            self._writer.writerow([*self._header, *REJECT_COLUMNS])
        cells = pending.cells
        self._writer.writerow(
            [
                *(cells[i] if i < len(cells) else "" for i in self._keep),
                pending.number,
                "; ".join(dict.fromkeys(e.field for e in errors)),
                "; ".join(e.message for e in errors),
            ]
        )

    def close(self, *, finished: bool) -> bool:
        """Close the file; True when this run wrote one. A run that `finished` without
        refusing anything removes an earlier run's file."""
        if self._stream is not None:
            self._stream.close()
            return True
        if finished:
            self.path.unlink(missing_ok=True)
        return False


def import_table(
    *,
    table: Table,
    movement: Movement,
    source: str,
    batch_size: int,
    key_prefix: str,
    rejects: RejectsFile,
    summary: ImportSummary,
    on_batch: Callable[[], None] = lambda: None,
    verified: bool = False,
) -> None:
    """Record every row of `table` in batches of `batch_size`, each all-or-nothing through
    `record_reports`; refused rows go to `rejects`. `summary` is filled in as batches commit,
    so it is right up to the last committed batch if a fatal error stops the import."""
    columns = table.columns(required=REQUIRED, optional=OPTIONAL, aliases=ALIASES)
    commas = decimal_comma_codes(movement, table)
    for batch in _batches(table, columns, key_prefix, batch_size, decimal_comma=commas):
        result, refused = _record_batch(movement, batch, source, verified)
        summary.rows += len(batch)
        summary.created += result.created
        summary.replayed += result.replayed
        summary.rejected += len(refused)
        for pending, errors in refused:
            rejects.write(pending, errors)
            room = SHOWN_REJECTS - len(summary.first_errors)
            summary.first_errors.extend(errors[: max(room, 0)])
        on_batch()


def _batches(
    table: Table,
    columns: dict[str, int],
    key_prefix: str,
    size: int,
    *,
    decimal_comma: frozenset[str] = frozenset(),
) -> Iterator[list[_Pending]]:
    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None else ""

    batch: list[_Pending] = []
    for number, cells in table.rows():
        indicator = cell(cells, "indicator")
        row = ReportRow(
            unit=cell(cells, "unit"),
            indicator=indicator,
            day=cell(cells, "day"),
            quantity=table.quantity_text(
                cell(cells, "quantity"), decimal_comma=indicator.strip() in decimal_comma
            ),
            member=cell(cells, "member").strip() or None,
            # The file's hash and the row's number name the row across reruns of this file.
            idempotency_key=cell(cells, "idempotency_key").strip() or f"{key_prefix}:{number}",
        )
        batch.append(_Pending(number, cells, row))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _record_batch(
    movement: Movement, batch: list[_Pending], source: str, verified: bool = False
) -> tuple[IngestResult, list[tuple[_Pending, list[RowError]]]]:
    """Record the batch; if rows are refused, record the rest without them. The errors name
    the rows by their file row numbers."""
    refused: list[tuple[_Pending, list[RowError]]] = []
    while batch:
        try:
            result = record_reports(
                movement=movement,
                rows=[p.row for p in batch],
                source=source,
                verified=verified,
                return_ids=False,
                row_numbers=[p.number for p in batch],
            )
            return result, refused
        except (ValidationFailed, Conflict) as exc:
            # Without row errors the whole call was refused (no row to blame): fatal.
            if not exc.errors or not all(1 <= e.row <= len(batch) for e in exc.errors):
                raise
            by_row: dict[int, list[RowError]] = defaultdict(list)
            for error in exc.errors:
                by_row[error.row].append(error)
            for index, errors in sorted(by_row.items()):
                pending = batch[index - 1]
                refused.append(
                    (pending, [dataclasses.replace(e, row=pending.number) for e in errors])
                )
            # Every row left was valid a moment ago; a concurrent writer may still take a key,
            # in which case the loop refuses that row too.
            batch = [p for index, p in enumerate(batch, start=1) if index not in by_row]
    return IngestResult(), refused


class _RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        rows = task.fields.get("rows", 0)
        rate = rows / elapsed if elapsed else 0.0
        return Text(f"{rows:,} rows · {rate:,.0f} rows/s", style="progress.data.speed")


class Command(BaseCommand):
    help = (
        "Record reports from a CSV (UTF-8) or XLSX file with a header row: unit (or "
        "unit_code), indicator, day (YYYY-MM-DD), quantity, and optionally member and "
        "idempotency_key. Rows are recorded in batches; rerunning the same file after an "
        "interruption counts nothing twice. Bad rows go to the rejects file with the reason. "
        "Exit status: 0 every row recorded; 2 some rows rejected, the others recorded; 1 a "
        "fatal error (unknown or closed movement, unreadable file, missing columns), the "
        "batches recorded before it kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        parser.add_argument("--movement", required=True, help="the movement's slug")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=MAX_BATCH,
            help=f"rows per transaction, 1 to {MAX_BATCH:,} (default {MAX_BATCH:,})",
        )
        parser.add_argument(
            "--rejects",
            type=Path,
            help="where refused rows go (default: FILE.rejects.csv)",
        )
        parser.add_argument(
            "--verified",
            action="store_true",
            help="record the rows as verified (the acting person needs the right to verify)",
        )
        parser.add_argument(
            "--source",
            default=Report.Source.IMPORT,
            # "reserve" is written only by a reserve's verification, so that "of which from
            # verified reserves" counts nothing a file claimed
            choices=[s for s in Report.Source.values if s != Report.Source.RESERVE],
            help="recorded as the reports' source (default: import)",
        )

    def handle(
        self,
        *args: Any,
        file: Path,
        movement: str,
        batch_size: int,
        rejects: Path | None,
        source: str,
        verified: bool,
        **options: Any,
    ) -> None:
        started = time.monotonic()
        out = console_for(self.stdout)
        if not 1 <= batch_size <= MAX_BATCH:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH:,}.")
        target = _launched_movement(movement)
        rejects_path = rejects or file.with_name(f"{file.name}.rejects.csv")
        if rejects_path.resolve() == file.resolve():
            raise CommandError("The rejects file must not be the file being imported.")

        summary = ImportSummary()

        def fail(message: str, returncode: int = 1) -> CommandError:
            if summary.rows:
                self._print_summary(out, file, summary, started, None)
                message = f"{message} {_RERUN}"
            return CommandError(message, returncode=returncode)

        try:
            with open_table(file) as table:
                # Refuse a file without the columns before reading it through to hash it.
                table.columns(required=REQUIRED, optional=OPTIONAL, aliases=ALIASES)
                key_prefix = f"file:{table.fingerprint()[:16]}"
                rejects_file = RejectsFile(rejects_path, table.header, table.delimiter)
                finished = False
                try:
                    self._with_progress(
                        table,
                        summary,
                        lambda on_batch: import_table(
                            table=table,
                            movement=target,
                            source=source,
                            verified=verified,
                            batch_size=batch_size,
                            key_prefix=key_prefix,
                            rejects=rejects_file,
                            summary=summary,
                            on_batch=on_batch,
                        ),
                    )
                    finished = True
                finally:
                    wrote_rejects = rejects_file.close(finished=finished)
        except TabularError as exc:
            raise fail(str(exc)) from None
        except ActionError as exc:
            # A refusal of a whole batch, not of rows: e.g. the movement was closed meanwhile.
            raise fail(exc.detail) from None
        except KeyboardInterrupt:
            raise fail("Interrupted.", returncode=130) from None

        self._print_summary(out, file, summary, started, rejects_path if wrote_rejects else None)
        if summary.rejected:
            raise CommandError(
                f"{summary.rejected:,} of {summary.rows:,} rows were rejected "
                f"(see {rejects_path}); the other rows were recorded.",
                returncode=2,
            )

    def _with_progress(
        self, table: Table, summary: ImportSummary, work: Callable[[Callable[[], None]], None]
    ) -> None:
        """Run `work`, giving it the callback that redraws the bar after each batch."""
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            _RowsPerSecond(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            # Progress goes to stderr, so stdout carries only the summary.
            console=console_for(self.stderr),
        )
        with progress:
            task = progress.add_task(table.path.name, total=table.total, rows=0)

            def advance() -> None:
                total = table.total
                if total is not None and table.position > total:
                    total = None  # a spreadsheet's stated size was too small
                progress.update(task, completed=table.position, total=total, rows=summary.rows)

            work(advance)
            if table.total is not None:
                progress.update(task, completed=table.total)

    def _print_summary(
        self,
        console: Console,
        file: Path,
        summary: ImportSummary,
        started: float,
        rejects_path: Path | None,
    ) -> None:
        seconds = time.monotonic() - started
        if summary.first_errors:
            more = summary.rejected > len({e.row for e in summary.first_errors})
            console.print(
                row_errors_table(
                    summary.first_errors,
                    title=f"rejected rows{' (the first ones)' if more else ''}",
                )
            )
        table = RichTable(show_header=False, box=None, title=file.name, title_justify="left")
        table.add_column()
        table.add_column(justify="right")
        table.add_row("rows read", f"{summary.rows:,}")
        table.add_row("created", f"{summary.created:,}")
        table.add_row("replayed", f"{summary.replayed:,}")
        table.add_row("rejected", f"{summary.rejected:,}")
        table.add_row("seconds", f"{seconds:.1f}")
        table.add_row("rows/s", f"{summary.rows / seconds if seconds else 0:,.0f}")
        if rejects_path is not None:
            table.add_row("rejects file", str(rejects_path))
        console.print(table)


_RERUN = (
    "The batches recorded so far are kept: rerun the same command on the same file to finish "
    "(nothing is counted twice)."
)


def _launched_movement(slug: str) -> Movement:
    movement = Movement.objects.filter(slug=slug).first()
    if movement is None:
        known = ", ".join(Movement.objects.order_by("slug").values_list("slug", flat=True)[:20])
        raise CommandError(f"No movement {slug!r}. Movements: {known or 'none yet'}.")
    if movement.status != Movement.Status.LAUNCHED:
        raise CommandError(
            f"Movement {slug!r} is {movement.status}: reports are accepted only while it is "
            "launched."
        )
    return movement
