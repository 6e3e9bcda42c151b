"""`pacesetter import-enlistment FILE --movement SLUG`: daily returns (persons mobilised per
role), through `report_enlistment`, all rows or none (see drives.importing)."""

from __future__ import annotations

from pathlib import Path

from pacesetter.core.errors import RowError
from pacesetter.drives import actions
from pacesetter.drives.importing import (
    KEY,
    DriveImportCommand,
    Outcome,
    Parsed,
    day_text,
    in_batches,
    read_table,
)
from pacesetter.movements.models import Movement


class Command(DriveImportCommand):
    help = (
        "Record daily enlistment returns from a CSV (also .csv.gz) or XLSX file with a header "
        "row: unit, day (YYYY-MM-DD), one column per role code of the drive (persons "
        "mobilised that day, 0 if none), and optionally idempotency_key (default: the unit "
        "and the day: a unit reports once a day, and the same return again is a replay). "
        "Every row is checked first; on any error nothing is recorded."
    )
    drive_name = "daily enlistment"
    takes_verified = True

    def drive_of(self, movement: Movement):
        return getattr(movement, "enlistment_drive", None)

    def parse(self, path: Path, movement: Movement, drive) -> Parsed:
        roles = list(drive.roles.values_list("code", flat=True))
        parsed = Parsed()
        for number, get, _cells in read_table(
            path, required=("unit", "day", *roles), optional=(KEY,)
        ):
            parsed.read += 1
            if not parsed.once(
                number,
                f"{get('unit')}\x1f{get('day')}",
                "day",
                "row {first} already gives this unit's return for this day",
            ):
                continue
            if not get("day"):
                parsed.errors.append(RowError(number, "day", "a day is required", "required"))
                continue
            parsed.rows.append(
                (
                    number,
                    actions.EnlistmentRow(
                        unit=get("unit"),
                        day=day_text(get("day"), movement),
                        counts={role: get(role) for role in roles},
                        idempotency_key=get(KEY) or None,
                    ),
                )
            )
        return parsed

    def record(self, parsed: Parsed, drive, options: dict, advance) -> Outcome:
        def record(rows):
            result = actions.report_enlistment(
                drive=drive, rows=rows, source=options["source"], verified=options["verified"]
            )
            return Outcome(result.reports, result.replayed, {"new returns": result.new_returns})

        return in_batches(
            parsed.rows, limit=actions.MAX_ENLISTMENT_ROWS, record=record, advance=advance
        )
