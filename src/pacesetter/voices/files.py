"""Voices from CSV or XLSX files (`pacesetter import-voices` and the upload page)."""

from __future__ import annotations

from pathlib import Path

from pacesetter.core.tabular import TabularError, open_table

from .actions import IMPORT_OPTIONAL, IMPORT_REQUIRED

MAX_ROWS = 100_000  # the command line; the web upload has UPLOAD_MAX_ROWS


def read_voice_rows(
    path: Path, *, name: str | None = None, max_rows: int = MAX_ROWS
) -> tuple[list[int], list[dict[str, str]]]:
    """The file's rows as text fields for `actions.import_voices`, with each row's number in
    the file (the header is row 1). TabularError for an unreadable file, missing columns or
    more than `max_rows` rows."""
    numbers: list[int] = []
    rows: list[dict[str, str]] = []
    with open_table(path) as table:
        columns = table.columns(required=IMPORT_REQUIRED, optional=IMPORT_OPTIONAL)
        for number, cells in table.rows():
            rows.append({column: cells[index] for column, index in columns.items()})
            numbers.append(number)
            if len(rows) > max_rows:
                raise TabularError(
                    f"{name or path.name}: more than {max_rows:,} rows; split the file."
                )
    return numbers, rows
