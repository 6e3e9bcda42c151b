"""Tables in and out on the command line: CSV and XLSX rows streamed in, row errors shown.

A file is read one row at a time — `csv.reader` on the open file, openpyxl in read-only mode —
so an import of a million rows holds one batch in memory, never the whole file. Every cell comes
out as text, as a person would have typed it (a spreadsheet date as `YYYY-MM-DD`), so CSV and
XLSX rows go through the same validation and a rejected row can be written back as it was.

Rows are numbered as a spreadsheet numbers them: the header is row 1, the first data row is
row 2, and blank rows keep their number although they are skipped. The numbering depends only
on the file, so it can name a row across reruns (the file import derives idempotency keys
from it).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import gzip
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from django.core.management.base import CommandError, OutputWrapper
from rich.console import Console
from rich.table import Table as RichTable

from pacesetter.core.errors import ActionError, RowError
from pacesetter.core.text import control_character, control_character_message

_CHUNK = 1 << 20  # bytes read at a time while hashing


class TabularError(Exception):
    """The file cannot be read as a table: unknown type, unreadable, not UTF-8, no header,
    missing columns, text with control characters. The message says which and where; `errors`
    holds the rows and fields to fix, when the fault is in rows."""

    def __init__(self, message: str, *, errors: Sequence[RowError] = ()):
        super().__init__(message)
        self.errors = list(errors)


# A file with control characters in many rows is named by its first few; the rest are alike.
SHOWN_CONTROL_ERRORS = 20


class Table:
    """An open table file: its header, its data rows one at a time, and how far reading got.

    Use `open_table`; close it (or use it as a context manager) when done.
    """

    path: Path
    header: list[str]
    # What `position` counts up to: bytes for CSV, data rows for XLSX; None when unknown.
    total: int | None
    # The CSV separator the file was read with (see csv_delimiter); None for XLSX, whose
    # numbers are cells, not text.
    delimiter: str | None = None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells) for every non-blank data row; cells padded to the header's
        width, so `cells[index]` is safe for every column the header names."""
        width = len(self.header)
        for number, cells in self._raw_rows():
            if not any(cell.strip() for cell in cells):
                continue
            errors = self._control_character_errors(number, cells)
            if errors:
                raise self._refusal(errors)
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield number, cells

    @property
    def position(self) -> int:
        """Progress so far, in the unit of `total`."""
        raise NotImplementedError

    def quantity_text(self, cell: str, *, decimal_comma: bool) -> str:
        """A quantity cell as the quantity parser reads it (a decimal point, no grouping).

        In a file separated by `;`, a quantity of an indicator that takes a decimal comma is
        read with one: "1,5" is 1.5, "1.234,5" and "1 234,5" are 1234.5. Everywhere else the
        cell is left as it is, and the parser refuses "1,5" as not a number — a decimal comma
        is never read as a thousands separator, so 1,5 never silently becomes 15.
        """
        if self.delimiter == ";" and decimal_comma:
            return decimal_point_text(cell)
        return cell

    def columns(
        self,
        *,
        required: Sequence[str],
        optional: Sequence[str] = (),
        aliases: Mapping[str, str] | None = None,
    ) -> dict[str, int]:
        """Column name → index for the known columns the header names (case and surrounding
        spaces ignored; `aliases` maps another header name to a known one). Refuses a file
        that lacks a required column or names one twice; other columns are left alone."""
        aliases = aliases or {}
        known = set(required) | set(optional)
        found: dict[str, int] = {}
        for index, raw in enumerate(self.header):
            name = raw.strip().lower()
            name = aliases.get(name, name)
            if name not in known:
                continue
            if name in found:
                raise TabularError(
                    f"{self.path.name}: the header names column {name!r} twice "
                    f"(columns {found[name] + 1} and {index + 1})."
                )
            found[name] = index
        missing = [name for name in required if name not in found]
        if missing:
            given = ", ".join(h.strip() for h in self.header if h.strip()) or "nothing"
            raise TabularError(
                f"{self.path.name}: the header row lacks the column"
                f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"(it has: {given}; expected: {', '.join([*required, *optional])})."
            )
        return found

    def fingerprint(self) -> str:
        """The SHA-256 of the file's bytes, as hex, read in chunks (the file's identity for
        idempotency keys). Reads the file once more from its start, apart from `rows`."""
        raise NotImplementedError

    def _control_character_errors(self, number: int, cells: list[str]) -> list[RowError]:
        """Text may hold no control characters (core.text): a row error for each cell that
        does, named by the header's column."""
        found = []
        for index, cell in enumerate(cells):
            character = control_character(cell)
            if character is not None:
                field = self.header[index].strip() if index < len(self.header) else ""
                found.append(
                    RowError(
                        number,
                        field or f"column {index + 1}",
                        control_character_message(character),
                        "control_character",
                    )
                )
        return found

    def _refusal(self, errors: list[RowError]) -> TabularError:
        shown = "; ".join(
            f"row {e.row:,}, {e.field}: {e.message}" for e in errors[:SHOWN_CONTROL_ERRORS]
        )
        more = len(errors) - SHOWN_CONTROL_ERRORS
        return TabularError(
            f"{self.path.name}: {shown}{f' (and {more:,} more)' if more > 0 else ''}",
            errors=errors,
        )

    def _raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _CsvTable(Table):
    def __init__(self, path: Path):
        self.path = path
        self.delimiter = csv_delimiter(path)
        self._binary = path.open("rb")
        self.total = path.stat().st_size
        self._text = _text(_inflated(path, self._binary))
        self._rows = _checked(self._text, path, self.delimiter)
        try:
            first = next(self._rows, None)
            if first is None or not any(cell.strip() for cell in first):
                raise TabularError(f"{path.name}: the first row must be the header; it is empty.")
        except TabularError:
            self.close()
            raise
        self.header = first

    def _raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        yield from enumerate(self._rows, start=2)

    @property
    def position(self) -> int:
        # The text layer reads ahead in chunks; the byte position is close enough for a bar.
        return self._binary.tell()

    def fingerprint(self) -> str:
        """Also parses the whole file on the way, so that a file that is not UTF-8, that
        breaks off inside a quoted cell or that holds control characters (every such cell is
        listed) is refused before any row is used — not half-way through an import, after
        which the corrected file would be another file."""
        digest = hashlib.sha256()
        errors: list[RowError] = []
        with self.path.open("rb", buffering=0) as raw:
            hashed = io.BufferedReader(_Hashing(raw, digest), buffer_size=_CHUNK)
            text = _text(_inflated(self.path, hashed))
            for number, cells in enumerate(_checked(text, self.path, self.delimiter), start=1):
                if number > 1:
                    errors.extend(self._control_character_errors(number, cells))
        if errors:
            raise self._refusal(errors)
        return digest.hexdigest()

    def close(self) -> None:
        self._text.close()
        self._binary.close()


def is_gzip(path: Path) -> bool:
    """A `.csv.gz` file: CSV compressed with gzip, read as it is decompressed."""
    return path.name.lower().endswith(".gz")


def _inflated(path: Path, binary: IO[bytes]) -> IO[bytes]:
    # Progress and the fingerprint stay on the compressed bytes (the file as it is on disk).
    return gzip.GzipFile(fileobj=binary, mode="rb") if is_gzip(path) else binary


def _text(binary: IO[bytes]) -> io.TextIOWrapper:
    # utf-8-sig drops the byte-order mark spreadsheet programs put at the start.
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


DELIMITERS = (",", ";", "\t")
_SNIFFED = 64 * 1024  # bytes looked at for the header row: far more than any header takes


def csv_delimiter(path: Path) -> str:
    """The separator of a CSV file: `,`, `;` or tab, whichever its header row holds most of
    outside quotes (`,` when it holds none, as in a file of one column).

    Spreadsheet programs in locales with a decimal comma save CSV with `;` between cells, and
    some save tab-separated text as .csv; the header row says which, since column names hold
    no separators. Any reader of CSV calls this, so every import takes the same files.
    """
    with path.open("rb") as raw, _inflated(path, raw) as source:
        try:
            head = source.read(_SNIFFED).decode("utf-8-sig", errors="replace")
        except (OSError, EOFError) as exc:
            raise TabularError(f"{path.name}: not a readable gzip file ({exc}).") from None
    return delimiter_of(head)


def delimiter_of(text: str) -> str:
    """The separator `csv_delimiter` finds in the start of a file's text."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for character in text:
        if character == '"':
            quoted = not quoted
        elif not quoted and character in "\r\n":
            break
        elif not quoted and character in counts:
            counts[character] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier: `,` first
    return best if counts[best] else ","


def _checked(text: io.TextIOWrapper, path: Path, delimiter: str) -> Iterator[list[str]]:
    """The CSV rows of `text`, with decoding and parsing errors turned into a TabularError
    that says where. Strict: a quote left open would otherwise swallow the rest of the file
    into one cell without a word."""
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    line = 0
    try:
        for cells in reader:
            line = reader.line_num
            yield cells
    except UnicodeDecodeError:
        raise TabularError(
            f"{path.name}: line {_first_undecodable_line(path):,} is not UTF-8 text; "
            "save the file as CSV UTF-8."
        ) from None
    except csv.Error as exc:
        raise TabularError(f"{path.name}: line {line + 1:,}: {exc}.") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise TabularError(f"{path.name}: not a readable gzip file ({exc}).") from None


def _first_undecodable_line(path: Path) -> int:
    # The text layer decodes in chunks, so its error cannot say where; look again, by line.
    with path.open("rb") as raw, _inflated(path, raw) as source:
        for number, line in enumerate(source, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


class _Hashing(io.RawIOBase):
    """A raw byte stream that feeds every byte read through a digest."""

    def __init__(self, raw: IO[bytes], digest: Any):
        self._raw = raw
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            self._digest.update(memoryview(buffer)[:count])
        return count or 0


# A number written with a decimal comma, thousands grouped by points or spaces (also the
# no-break spaces spreadsheets use).
_COMMA_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:[. \u00a0\u202f]\d{3})+|\d+)(?:,\d+)?")


def decimal_point_text(text: str) -> str:
    """A number written with a decimal comma ("1.234,5") as the same number written with a
    decimal point ("1234.5"); any other text as it is, for the quantity parser to judge."""
    number = text.strip()
    if not _COMMA_NUMBER.fullmatch(number):
        return text
    return re.sub(r"[. \u00a0\u202f]", "", number).replace(",", ".")


# An XLSX file is a zip of XML. A crafted one (a "zip bomb") expands a few kilobytes into
# gigabytes; look at the archive's directory before letting openpyxl inflate anything.
XLSX_MAX_MEMBERS = 10_000
XLSX_MAX_RATIO = 250  # spreadsheet XML compresses 5-50x; a bomb compresses 1000x and more


def check_xlsx_archive(path: Path, *, max_uncompressed: int) -> None:
    """Refuse an XLSX whose archive would expand beyond `max_uncompressed` bytes, or any of
    whose members expands more than XLSX_MAX_RATIO times: nothing is inflated to find out."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise TabularError(f"{path.name}: not a readable XLSX workbook ({exc}).") from None
    if len(members) > XLSX_MAX_MEMBERS:
        raise TabularError(f"{path.name}: the workbook has {len(members):,} parts; refused.")
    total = sum(member.file_size for member in members)
    if total > max_uncompressed:
        raise TabularError(
            f"{path.name}: the workbook expands to {total:,} bytes, more than the "
            f"{max_uncompressed:,} allowed; split it or save it as CSV."
        )
    for member in members:
        if member.file_size > XLSX_MAX_RATIO * max(member.compress_size, 1) and (
            member.file_size > 1 << 20
        ):
            raise TabularError(
                f"{path.name}: part {member.filename} expands {member.file_size:,} bytes from "
                f"{member.compress_size:,}; refused as a possible zip bomb."
            )


class _XlsxTable(Table):
    def __init__(self, path: Path):
        from django.conf import settings
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        self.path = path
        check_xlsx_archive(path, max_uncompressed=settings.XLSX_MAX_UNCOMPRESSED_BYTES)
        try:
            self._workbook = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise TabularError(f"{path.name}: not a readable XLSX workbook ({exc}).") from None
        if not self._workbook.worksheets:
            self.close()
            raise TabularError(f"{path.name}: the workbook has no worksheet.")
        sheet = self._workbook.worksheets[0]
        max_row = sheet.max_row
        self.total = max_row - 1 if max_row and max_row > 1 else None
        # The stored dimension is only a hint, and some writers get it wrong; in read-only mode
        # openpyxl would silently stop at it. Forget it and read every row there is.
        sheet.reset_dimensions()
        self._rows = sheet.iter_rows(values_only=True)
        self._read = 0
        first = next(self._rows, None)
        header = [cell_text(value) for value in first] if first else []
        if not any(cell.strip() for cell in header):
            self.close()
            raise TabularError(f"{path.name}: the first row must be the header; it is empty.")
        while header and not header[-1].strip():
            header.pop()
        self.header = header

    def _raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(self._rows, start=2):
            self._read = number - 1
            yield number, [cell_text(value) for value in values]

    @property
    def position(self) -> int:
        return self._read

    def fingerprint(self) -> str:
        with self.path.open("rb") as source:
            return hashlib.file_digest(source, "sha256").hexdigest()

    def close(self) -> None:
        self._workbook.close()


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person typed: dates as YYYY-MM-DD, numbers as their
    shortest form (12, 12.5), empty cells as ""."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: 12.5, not 12.50000001.
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value)


def open_table(path: Path) -> Table:
    """Open a CSV (UTF-8 with or without a byte-order mark; separated by `,`, `;` or tab;
    header first; also gzip-compressed, as .csv.gz) or XLSX (first worksheet) file."""
    suffix = ".csv" if path.name.lower().endswith(".csv.gz") else path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise TabularError(f"{path.name}: give a .csv, .csv.gz or .xlsx file.")
    if not path.is_file():
        raise TabularError(f"{path}: no such file.")
    try:
        return _CsvTable(path) if suffix == ".csv" else _XlsxTable(path)
    except OSError as exc:
        raise TabularError(f"{path}: cannot be read ({exc.strerror or exc}).") from None


# --- out -------------------------------------------------------------------------------


class _CommandStream:
    """A management command's stdout or stderr as a plain stream for rich: rich writes
    partial lines (a progress bar redraws itself), so Django must neither end each write with
    a newline nor colour it. The command's own writes (a CommandError) are left as they are."""

    def __init__(self, output: OutputWrapper):
        self._output = output

    def write(self, text: str) -> int:
        self._output.write(text, style_func=_as_is, ending="")
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._output, name)


def _as_is(text: str) -> str:
    return text


def console_for(output: OutputWrapper) -> Console:
    """A rich console writing through a command's stdout or stderr, so that
    `call_command(stdout=...)` captures it; off a terminal the width is fixed, so that tables
    do not wrap at 80 columns."""
    stream = _CommandStream(output)
    return Console(file=stream, width=None if output.isatty() else 160)  # type: ignore[arg-type]


def row_errors_table(
    errors: Iterable[RowError],
    *,
    title: str | None = None,
    columns: tuple[str, str, str] = ("row", "field", "message"),
) -> RichTable:
    """Row errors as a table a person can act on: row, field, message (a setup file names
    them line, where, problem)."""
    table = RichTable(title=title, title_justify="left")
    table.add_column(columns[0], justify="right")
    table.add_column(columns[1])
    table.add_column(columns[2])
    for error in errors:
        table.add_row(str(error.row), error.field, error.message)
    return table


# --- dates relative to the day of loading ------------------------------------------------

_RELATIVE_DAY = re.compile(r"today\s*(?:([+-])\s*(\d{1,5}))?", re.IGNORECASE)


def relative_day(text: str, today: dt.date) -> dt.date | None:
    """`today`, `today-6` or `today+30` as the date it names counted from `today`; None for
    any other text. Setup and data files of a movement meant to run "around now" (an example,
    a drill, a template reused every season) write their dates so, and stay right whenever
    they are loaded."""
    match = _RELATIVE_DAY.fullmatch(text.strip())
    if match is None:
        return None
    sign, days = match.groups()
    offset = int(days or 0) * (-1 if sign == "-" else 1)
    return today + dt.timedelta(days=offset)


def refuse_file_rows(
    console: Console,
    exc: ActionError,
    *,
    numbers: Sequence[int],
    name: str,
    total: int,
    outcome: str = "nothing was recorded",
) -> CommandError:
    """A command's answer to an action that refused a file: the action's row errors printed by
    the file's own row numbers (the action counts the rows it was given 1, 2, 3...), and the
    error the command raises. A refusal without row errors is its detail."""
    if not exc.errors:
        return CommandError(exc.detail)
    errors = [dataclasses.replace(e, row=numbers[e.row - 1]) for e in exc.errors]
    console.print(row_errors_table(errors, title=f"{name}: rows not valid"))
    bad = len({e.row for e in errors})
    return CommandError(f"{bad:,} of {total:,} rows are not valid; {outcome}.")
