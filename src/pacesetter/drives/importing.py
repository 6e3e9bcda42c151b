"""Drive data from files, one door per bulk action: `pacesetter import-donations`,
`import-signups`, `import-placements` and `import-enlistment` (the commands in
management/commands are thin: the columns and the rows' meaning are here).

Every command reads a CSV (UTF-8, `,` `;` or tab, with or without a byte-order mark; also
gzip-compressed as .csv.gz) or XLSX file through `core.tabular`, checks every row first and
then records all rows or none, in one transaction, through the drive's own bulk action in
batches of the most rows it takes. Errors name the file's row (the header is row 1), the
field and what is wrong; `--dry-run` does everything and rolls back.

Idempotency: a row's key is its `idempotency_key` cell, or else a hash of the movement and the
row's cells (`<kind>:<40 hex>`), so the same file — or the same file with rows added — imported
again counts nothing twice. Two identical rows in one file would be one row twice: a row error
naming both rows (give each an idempotency_key to record both). Daily enlistment keys a return
by its unit and day, as the action does, and placements are naturally idempotent (a volunteer
placed at the same place again is a replay).

Days may be written relative to the movement's today (`today`, `today-3`, `today+1`), for
files of a movement meant to run "around now" (the demo's live example, a drill).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import time
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from pacesetter.core.errors import ActionError, RowError
from pacesetter.core.tabular import (
    TabularError,
    console_for,
    open_table,
    relative_day,
    row_errors_table,
)
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today

KEY = "idempotency_key"
BIG = 50_000  # rows (persons, for sign-ups) from which an import is big


class Refused(Exception):
    """Rows of the file refused, named by their file row numbers."""

    def __init__(self, errors: Sequence[RowError]):
        super().__init__(f"{len(errors)} row errors")
        self.errors = list(errors)


@dataclass
class Parsed:
    """The file's rows as the action's rows, each with its file row number."""

    rows: list[tuple[int, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    read: int = 0
    seen: dict[str, int] = field(default_factory=dict)

    def once(self, number: int, what: str, field_name: str, message: str) -> bool:
        """False (and a row error naming both rows) if `what` was in an earlier row."""
        first = self.seen.setdefault(what, number)
        if first != number:
            self.errors.append(
                RowError(number, field_name, message.format(first=first), "duplicate")
            )
            return False
        return True


@dataclass
class Outcome:
    created: int = 0
    replayed: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def content_key(kind: str, movement: Movement, cells: Sequence[str]) -> str:
    """The default key of a row: the movement and the row's cells, hashed."""
    text = "\x1f".join([kind, movement.slug, *(c.strip() for c in cells)])
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()[:40]}"


def read_table(
    path: Path, *, required: Sequence[str], optional: Sequence[str]
) -> Iterator[tuple[int, Callable[[str], str], list[str]]]:
    """(row number, cell getter by column name, the known cells) for every non-blank row."""
    with open_table(path) as table:
        columns = table.columns(required=required, optional=optional)
        known = sorted(columns.items())
        for number, cells in table.rows():

            def get(name: str, cells: list[str] = cells) -> str:
                index = columns.get(name)
                return cells[index].strip() if index is not None else ""

            yield number, get, [f"{name}={cells[index]}" for name, index in known if name != KEY]


def row_key(kind: str, movement: Movement, get: Callable[[str], str], cells: list[str]) -> str:
    return get(KEY) or content_key(kind, movement, cells)


def day_text(text: str, movement: Movement) -> str:
    """A day cell as the action reads it: `today`, `today-3`, `today+1` (the movement's
    today) as the date it names; anything else as it is."""
    day = relative_day(text, movement_today(movement)) if text else None
    return day.isoformat() if day is not None else text


def moment(text: str, movement: Movement) -> dt.datetime:
    """A date (its start; also `today-3`…) or a date and time, in the movement's time zone
    unless it says."""
    zone = zoneinfo.ZoneInfo(movement.time_zone)
    text = day_text(text, movement)
    if len(text) <= 10:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), zone)
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def whole(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError
    return value


def in_batches(
    rows: list[tuple[int, Any]],
    *,
    limit: int,
    record: Callable[[list[Any]], Outcome],
    weigh: Callable[[Any], int] = lambda row: 1,
    advance: Callable[[int], None] = lambda n: None,
) -> Outcome:
    """Record `rows` in batches of at most `limit` (by weight); an action's row errors come
    back numbered by the file's rows."""
    total = Outcome()
    batch: list[tuple[int, Any]] = []
    weight = 0

    def flush() -> None:
        try:
            done = record([row for _, row in batch])
        except ActionError as exc:
            if not exc.errors:
                raise
            raise Refused(
                [
                    dataclasses.replace(e, row=batch[e.row - 1][0])
                    if 1 <= e.row <= len(batch)
                    else e
                    for e in exc.errors
                ]
            ) from None
        total.created += done.created
        total.replayed += done.replayed
        for name, n in done.extra.items():
            total.extra[name] = total.extra.get(name, 0) + n
        advance(weight)

    for number, row in rows:
        w = weigh(row)
        if batch and weight + w > limit:
            flush()
            batch, weight = [], 0
        batch.append((number, row))
        weight += w
    if batch:
        flush()
    return total


class DriveImportCommand(BaseCommand):
    """What the four drive imports share: arguments, reading, all-or-nothing, reporting."""

    takes_verified = False
    columns_help = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv, .csv.gz or .xlsx file")
        parser.add_argument("--movement", required=True, help="the movement's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count everything, record nothing"
        )
        parser.add_argument(
            "--source",
            default=Report.Source.IMPORT,
            choices=Report.Source.values,
            help="recorded as the entries' source (default: import)",
        )
        if self.takes_verified:
            parser.add_argument(
                "--verified",
                action="store_true",
                help="record the figures as verified (the acting person needs the right)",
            )

    # --- what each command says -------------------------------------------------------------

    def drive_of(self, movement: Movement) -> Any:
        raise NotImplementedError

    def parse(self, path: Path, movement: Movement, drive: Any) -> Parsed:
        raise NotImplementedError

    def record(
        self, parsed: Parsed, drive: Any, options: dict, advance: Callable[[int], None]
    ) -> Outcome:
        raise NotImplementedError

    def weight(self, parsed: Parsed) -> int:
        return len(parsed.rows)

    # --- the shared part --------------------------------------------------------------------

    def handle(self, *args: Any, file: Path, movement: str, dry_run: bool, **options: Any) -> None:
        started = time.monotonic()
        out = console_for(self.stdout)
        target = Movement.objects.filter(slug=movement).first()
        if target is None:
            raise CommandError(f"No movement {movement!r}.")
        drive = self.drive_of(target)
        if drive is None:
            raise CommandError(f"Movement {movement!r} has no {self.drive_name}.")
        try:
            parsed = self.parse(file, target, drive)
        except TabularError as exc:
            if exc.errors:
                out.print(row_errors_table(exc.errors, title=f"{file.name}: rows not valid"))
            raise CommandError(str(exc)) from None
        if parsed.errors and parsed.rows:
            # The rows that read well go through the action too (and are rolled back), so
            # that one answer lists every bad row, not the file's faults first, then others.
            with contextlib.suppress(ActionError), transaction.atomic():
                try:
                    self.record(parsed, drive, options, lambda n: None)
                except Refused as exc:
                    parsed.errors += exc.errors
                transaction.set_rollback(True)
        self._refuse(out, file, parsed.errors, parsed.read)
        if not parsed.rows:
            raise CommandError(f"{file.name}: no data rows below the header.")
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console_for(self.stderr),
            transient=True,
        )
        if connection.vendor == "sqlite" and self.weight(parsed) > BIG:
            # Hundreds of thousands of rows go into unique indexes of random keys (codes,
            # identities): with SQLite's default 2 MB page cache each insert reads pages from
            # disk. 256 MB for this connection.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")
        try:
            with progress, transaction.atomic():
                task = progress.add_task(file.name, total=self.weight(parsed))
                outcome = self.record(parsed, drive, options, lambda n: progress.advance(task, n))
                if dry_run:
                    transaction.set_rollback(True)
        except Refused as exc:
            self._refuse(out, file, exc.errors, parsed.read)
        except ActionError as exc:
            raise CommandError(f"{exc.detail} Nothing was recorded.") from None
        summary = RichTable(
            show_header=False,
            box=None,
            title=file.name,
            title_justify="left",
        )
        summary.add_column()
        summary.add_column(justify="right")
        summary.add_row("rows", f"{parsed.read:,}")
        summary.add_row("created", f"{outcome.created:,}")
        summary.add_row("replayed", f"{outcome.replayed:,}")
        for name, n in outcome.extra.items():
            summary.add_row(name, f"{n:,}")
        summary.add_row("seconds", f"{time.monotonic() - started:.1f}")
        out.print(summary)
        if dry_run:
            out.print("Dry run: every row was checked and counted; nothing was recorded.")

    drive_name = "drive"

    def _refuse(self, out, file: Path, errors: list[RowError], read: int) -> None:
        if not errors:
            return
        # A tally's persons share their row: its error once.
        errors = sorted(dict.fromkeys(errors), key=lambda e: e.row)
        out.print(row_errors_table(errors[:200], title=f"{file.name}: rows not valid"))
        bad = len({e.row for e in errors})
        raise CommandError(f"{bad:,} of {read:,} rows are not valid; nothing was recorded.")
