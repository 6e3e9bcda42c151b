"""`pacesetter import-donations FILE --movement SLUG`: gifts pledged, received and distributed,
through `record_donations`, all rows or none (see drives.importing)."""

from __future__ import annotations

from pathlib import Path

from pacesetter.drives import actions
from pacesetter.drives.importing import (
    KEY,
    DriveImportCommand,
    Outcome,
    Parsed,
    day_text,
    in_batches,
    read_table,
    row_key,
)
from pacesetter.movements.models import Movement

REQUIRED = ("item", "stage", "unit", "quantity")
OPTIONAL = (
    "day",
    "donor_member",
    "donor_unit",
    "donor_name",
    "estimate",
    "recipient_unit",
    "recipient_name",
    "note",
    KEY,
)


class Command(DriveImportCommand):
    help = (
        "Record donations from a CSV (also .csv.gz) or XLSX file with a header row: item, "
        "stage (pledged, received or distributed), unit (the receiving or distributing unit's "
        "code), quantity, and optionally day (YYYY-MM-DD, default today), donor_member (a "
        "member's id), donor_unit (a unit code), donor_name, estimate, recipient_unit, "
        "recipient_name, note, idempotency_key (default: a hash of the row). Every row is "
        "checked first; on any error nothing is recorded."
    )
    drive_name = "donation drive"

    def drive_of(self, movement: Movement):
        return getattr(movement, "donation_drive", None)

    def parse(self, path: Path, movement: Movement, drive) -> Parsed:
        parsed = Parsed()
        for number, get, cells in read_table(path, required=REQUIRED, optional=OPTIONAL):
            parsed.read += 1
            key = row_key("gift", movement, get, cells)
            if not parsed.once(
                number,
                key,
                KEY,
                "the same gift as row {first} (give each an idempotency_key to record both)",
            ):
                continue
            parsed.rows.append(
                (
                    number,
                    actions.DonationRow(
                        item=get("item"),
                        stage=get("stage"),
                        unit=get("unit"),
                        quantity=get("quantity"),
                        day=day_text(get("day"), movement) or None,
                        donor_member=get("donor_member"),
                        donor_unit=get("donor_unit"),
                        donor_name=get("donor_name"),
                        estimate=get("estimate") or None,
                        recipient_unit=get("recipient_unit"),
                        recipient_name=get("recipient_name"),
                        note=get("note"),
                        idempotency_key=key,
                    ),
                )
            )
        return parsed

    def record(self, parsed: Parsed, drive, options: dict, advance) -> Outcome:
        def record(rows):
            result = actions.record_donations(drive=drive, rows=rows, source=options["source"])
            return Outcome(result.created, result.replayed)

        return in_batches(
            parsed.rows, limit=actions.MAX_DONATION_ROWS, record=record, advance=advance
        )
