"""`pacesetter import-signups FILE --movement SLUG`: volunteers (paper forms, lists, tallies)
through `sign_up`, all rows or none (see drives.importing)."""

from __future__ import annotations

from pathlib import Path

from pacesetter.core.errors import RowError
from pacesetter.drives import actions, domain
from pacesetter.drives.importing import (
    KEY,
    DriveImportCommand,
    Outcome,
    Parsed,
    in_batches,
    moment,
    read_table,
    row_key,
    whole,
)
from pacesetter.movements.models import Movement

OPTIONAL = (
    "unit",
    "full_name",
    "contact",
    "member",
    "role",
    "gender",
    "age",
    "age_band",
    "skill",
    "signed_up_at",
    "tally",
    KEY,
)


class Command(DriveImportCommand):
    help = (
        "Sign volunteers up from a CSV (also .csv.gz) or XLSX file with a header row; columns "
        "(any of): unit, full_name, contact, member (a member's id, instead of name and "
        "contact), role, gender, age or age_band, skill (as the call asks), signed_up_at "
        "(YYYY-MM-DD or YYYY-MM-DDTHH:MM, the movement's time zone unless given; default now), "
        "tally (a whole number: that many volunteers counted on a paper list, not named: no "
        "name or contact), idempotency_key (default: a hash of the row). One person per call: "
        "the same contact or member twice is refused. Every row is checked first; on any "
        "error nothing is recorded."
    )
    drive_name = "volunteer call"

    def drive_of(self, movement: Movement):
        return getattr(movement, "volunteer_call", None)

    def parse(self, path: Path, movement: Movement, drive) -> Parsed:
        parsed = Parsed()
        for number, get, cells in read_table(path, required=(), optional=OPTIONAL):
            parsed.read += 1
            before = len(parsed.errors)
            key = row_key("signup", movement, get, cells)
            parsed.once(
                number,
                f"key\x1f{key}",
                KEY,
                "the same row as row {first} (give each an idempotency_key to record both)",
            )
            if get("member"):
                parsed.once(
                    number, f"member\x1f{get('member')}", "member", "the same member as row {first}"
                )
            elif get("contact"):
                parsed.once(
                    number,
                    f"contact\x1f{domain.normalise_contact(get('contact'))}",
                    "contact",
                    "the same person as row {first}",
                )
            signed_up_at = None
            if get("signed_up_at"):
                try:
                    signed_up_at = moment(get("signed_up_at"), movement)
                except ValueError:
                    parsed.errors.append(
                        RowError(
                            number,
                            "signed_up_at",
                            f"{get('signed_up_at')!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                        )
                    )
            tally = 0
            if get("tally"):
                try:
                    tally = whole(get("tally"))
                    if not tally:
                        raise ValueError
                except ValueError:
                    parsed.errors.append(
                        RowError(number, "tally", "a whole number, 1 or more", "invalid")
                    )
            if len(parsed.errors) > before:
                continue
            parsed.rows.append(
                (
                    number,
                    actions.SignUpRow(
                        unit=get("unit"),
                        full_name=get("full_name"),
                        contact=get("contact"),
                        member=get("member"),
                        role=get("role"),
                        gender=get("gender"),
                        age=get("age") or None,
                        age_band=get("age_band"),
                        skill=get("skill"),
                        signed_up_at=signed_up_at,
                        idempotency_key=key,
                        tally=tally,
                    ),
                )
            )
        return parsed

    def weight(self, parsed: Parsed) -> int:
        return sum(row.tally or 1 for _, row in parsed.rows)

    def record(self, parsed: Parsed, call, options: dict, advance) -> Outcome:
        source = options["source"]

        def record(rows):
            result = actions.sign_up(call=call, rows=rows, source=source, post=False)
            return Outcome(result.created, result.replayed, {"waitlisted": result.waitlisted})

        outcome = in_batches(
            parsed.rows,
            limit=actions.MAX_SIGNUP_ROWS,
            record=record,
            weigh=lambda row: row.tally or 1,
            advance=advance,
        )
        # The ledger gets the new sign-ups once, not batch by batch.
        actions.post_to_ledger(call=call, source=source)
        return outcome
