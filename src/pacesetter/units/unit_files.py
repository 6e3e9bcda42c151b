"""Units files (CSV or XLSX, the columns of `pacesetter import-units`), read the same way by
the command and by the units page."""

from __future__ import annotations

from pathlib import Path

from pacesetter.core.tabular import TabularError, open_table

from .actions import UnitRow

REQUIRED = ("code", "name", "kind")
OPTIONAL = ("parent_code", "headcount")


def read_unit_rows(path: Path, *, max_rows: int | None = None) -> list[tuple[int, UnitRow]]:
    """Every data row with its number in the file (the header is row 1). Raises TabularError
    for a file that is not a table with these columns, or has more than `max_rows` rows."""
    numbered: list[tuple[int, UnitRow]] = []
    with open_table(path) as table:
        columns = table.columns(required=REQUIRED, optional=OPTIONAL)
        parent = columns.get("parent_code")
        headcount = columns.get("headcount")
        for number, cells in table.rows():
            if max_rows is not None and len(numbered) >= max_rows:
                raise TabularError(f"At most {max_rows:,} rows are taken here.")
            numbered.append(
                (
                    number,
                    UnitRow(
                        code=cells[columns["code"]],
                        name=cells[columns["name"]],
                        kind=cells[columns["kind"]],
                        parent_code=cells[parent] if parent is not None else "",
                        headcount=cells[headcount] if headcount is not None else 0,
                    ),
                )
            )
    return numbered
