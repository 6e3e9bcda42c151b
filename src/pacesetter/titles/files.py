"""Facts from CSV or XLSX files (the web upload and `pacesetter import-title-facts`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import TabularError, open_table, refuse_file_rows

from .actions import FACT_KINDS, FACT_OPTIONAL, SUBJECT_COLUMNS
from .models import RulePack

MAX_ROWS = 100_000  # `pacesetter import-title-facts`; the web upload has UPLOAD_MAX_ROWS


def read_fact_rows(
    path: Path, kind: str, *, name: str | None = None, max_rows: int = MAX_ROWS
) -> tuple[list[int], list[dict[str, str]]]:
    """The file's rows as text fields for `actions.record_facts`, and each row's number in the
    file (the header is row 1). Raises TabularError for an unreadable file, missing columns or
    more than `max_rows` rows."""
    if kind not in FACT_KINDS:
        raise TabularError(f"Unknown kind of fact {kind!r}; one of {', '.join(FACT_KINDS)}.")
    return _subject_rows(
        path,
        required=FACT_KINDS[kind],
        optional=FACT_OPTIONAL[kind],
        what="subject",
        name=name,
        max_rows=max_rows,
    )


def read_award_rows(
    path: Path, *, name: str | None = None, max_rows: int = MAX_ROWS
) -> tuple[list[int], list[dict[str, str]]]:
    """A file of past awards as text rows for `history.import_awards`, with each row's number
    in the file (the header is row 1); TabularError as `read_fact_rows`."""
    from .history import AWARD_OPTIONAL, AWARD_REQUIRED

    return _subject_rows(
        path,
        required=AWARD_REQUIRED,
        optional=AWARD_OPTIONAL,
        what="holder",
        name=name,
        max_rows=max_rows,
    )


def read_decision_rows(
    path: Path, *, name: str | None = None, max_rows: int = MAX_ROWS
) -> tuple[list[int], list[dict[str, str]]]:
    """A file of the awarding body's decisions as text rows for `history.record_decisions`,
    with each row's number in the file (the header is row 1). Raises TabularError for an
    unreadable file, a column it does not know (a misspelt column would be left unread),
    missing columns, no way to name the award, or more than `max_rows` rows."""
    from .history import DECISION_NAMING, DECISION_REQUIRED

    shown = name or path.name
    with open_table(path) as table:
        known = {*DECISION_NAMING, *DECISION_REQUIRED}
        unknown = [h.strip() for h in table.header if h.strip() and h.strip().lower() not in known]
        if unknown:
            raise TabularError(
                f"{shown}: the header names column{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(unknown)} that a file of decisions does not have (its columns: "
                f"{', '.join([*DECISION_NAMING, *DECISION_REQUIRED])})."
            )
        columns = table.columns(required=DECISION_REQUIRED, optional=DECISION_NAMING)
        if not {"code", "member", "unit"} & set(columns):
            raise TabularError(
                f"{shown}: name each award in a 'code' column (its certificate code) or by its "
                "holder in a 'member' or 'unit' column, with 'title' and 'year'."
            )
        return _text_rows(table, columns, shown=shown, max_rows=max_rows)


def _subject_rows(
    path: Path,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    what: str,
    name: str | None,
    max_rows: int,
) -> tuple[list[int], list[dict[str, str]]]:
    with open_table(path) as table:
        columns = table.columns(required=required, optional=(*SUBJECT_COLUMNS, *optional))
        if "member" not in columns and "unit" not in columns:
            raise TabularError(
                f"{name or path.name}: name the {what} in a 'member' or 'unit' column."
            )
        return _text_rows(table, columns, shown=name or path.name, max_rows=max_rows)


def _text_rows(
    table, columns: dict[str, int], *, shown: str, max_rows: int
) -> tuple[list[int], list[dict[str, str]]]:
    """The table's rows as text by column, with each row's number in the file; more than
    `max_rows` is a TabularError."""
    numbers: list[int] = []
    rows: list[dict[str, str]] = []
    for number, cells in table.rows():
        rows.append({column: cells[index] for column, index in columns.items()})
        numbers.append(number)
        if len(rows) > max_rows:
            raise TabularError(f"{shown}: more than {max_rows:,} rows; split the file.")
    return numbers, rows


def apply_pack_file(
    console,
    file: Path,
    pack: str,
    *,
    read: Callable[[Path], tuple[list[int], list[dict[str, str]]]],
    run: Callable[..., Any],
) -> Any:
    """For a command that applies a file to a rule pack (past awards, decisions): the pack by
    its slug, the file's rows by `read`, and what `run(pack, rows, source, row_numbers)`
    answers. What is missing is a CommandError; a refusal lists every bad row."""
    found = RulePack.objects.select_related("current").filter(slug=pack).first()
    if found is None:
        raise CommandError(f"No rule pack {pack!r}; load it with `pacesetter load-title-pack`.")
    try:
        numbers, rows = read(file)
    except TabularError as exc:
        raise CommandError(str(exc)) from None
    if not rows:
        raise CommandError(f"{file.name}: no data rows below the header.")
    try:
        return run(pack=found, rows=rows, source=file.name, row_numbers=numbers)
    except ActionError as exc:
        raise refuse_file_rows(
            console, exc, numbers=numbers, name=file.name, total=len(rows)
        ) from None
