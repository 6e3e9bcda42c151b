"""A visits file (CSV or XLSX) read into rows for `actions.record_visits`, for the command
line and the upload page alike.

Columns (a header row; any order): key, unit, visited_on, purpose — required; findings,
visitors (usernames separated by `;` or `,`), guest_names (names separated by `;`), movement
(a slug) — optional. Every row needs its key: running the same file again replays it."""

from __future__ import annotations

from pathlib import Path

from pacesetter.core.errors import RowError
from pacesetter.core.tabular import TabularError, open_table

from . import domain
from .actions import VisitRow

REQUIRED = ("key", "unit", "visited_on", "purpose")
OPTIONAL = ("findings", "visitors", "guest_names", "movement")


def read_visit_rows(path: Path, *, max_rows: int | None = None) -> list[tuple[int, VisitRow]]:
    """(row number in the file, row) for each data row; a row without its key is refused here,
    every such row listed (TabularError with row errors)."""
    numbered: list[tuple[int, VisitRow]] = []
    missing: list[RowError] = []
    with open_table(path) as table:
        columns = table.columns(
            required=REQUIRED, optional=OPTIONAL, aliases={"date": "visited_on"}
        )

        def cell(cells: list[str], name: str) -> str:
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        for number, cells in table.rows():
            if max_rows is not None and len(numbered) >= max_rows:
                raise TabularError(
                    f"{path.name}: more than {max_rows:,} rows; split the file, or use the "
                    "command line."
                )
            if not cell(cells, "key"):
                missing.append(RowError(number, "key", "every row needs its key"))
            numbered.append(
                (
                    number,
                    VisitRow(
                        unit=cell(cells, "unit"),
                        visited_on=cell(cells, "visited_on"),
                        purpose=cell(cells, "purpose"),
                        findings=cell(cells, "findings"),
                        visitors=domain.usernames(cell(cells, "visitors")),
                        guest_names=domain.names(cell(cells, "guest_names")),
                        movement=cell(cells, "movement"),
                        key=cell(cells, "key"),
                    ),
                )
            )
    if missing:
        raise TabularError(f"{path.name}: {len(missing):,} rows have no key.", errors=missing)
    return numbered
