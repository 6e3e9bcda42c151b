"""`pacesetter import-placements FILE --movement SLUG`: volunteers accepted and placed,
through `accept_signups` and `place_volunteers`, all rows or none (see drives.importing)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from functools import partial
from pathlib import Path

from pacesetter.core.errors import ActionError, RowError
from pacesetter.drives import actions, domain
from pacesetter.drives.importing import (
    DriveImportCommand,
    Outcome,
    Parsed,
    Refused,
    day_text,
    read_table,
)
from pacesetter.drives.models import CallPlace, SignUp
from pacesetter.movements.models import Movement


class Command(DriveImportCommand):
    help = (
        "Accept and place volunteers from a CSV (also .csv.gz) or XLSX file with a header "
        "row: signup (the sign-up's idempotency key, as given when it was imported) or code "
        "(its confirmation code), place (the place's unit code), and optionally role (when "
        "the call has several places at one unit) and day (YYYY-MM-DD, default today: the "
        "day the placement counts). A volunteer still signed up is accepted first; one "
        "placed at the same place already is a replay. Every row is checked first; on any "
        "error nothing is recorded."
    )
    drive_name = "volunteer call"

    def drive_of(self, movement: Movement):
        return getattr(movement, "volunteer_call", None)

    def parse(self, path: Path, movement: Movement, call) -> Parsed:
        numbered = list(
            read_table(path, required=("place",), optional=("signup", "code", "role", "day"))
        )
        keys = {get("signup") for _, get, _ in numbered if get("signup")}
        codes = {get("code") for _, get, _ in numbered if get("code")}
        found = list(
            SignUp.objects.filter(call=call, idempotency_key__in=keys).values_list(
                "idempotency_key", "code", "status", "place_id"
            )
        ) + list(
            SignUp.objects.filter(call=call, code__in=codes).values_list(
                "code", "code", "status", "place_id"
            )
        )
        by_key = {row[0]: row[1:] for row in found}
        places: dict[tuple[str, str], CallPlace] = {}
        at_unit: dict[str, list[CallPlace]] = defaultdict(list)
        for place in CallPlace.objects.filter(call=call).select_related("unit", "role"):
            role = place.role.code if place.role else ""
            places[(place.unit.code, role)] = place
            at_unit[place.unit.code].append(place)
        parsed = Parsed()
        for number, get, _cells in numbered:
            parsed.read += 1
            who = get("signup") or get("code")
            field_name = "signup" if get("signup") else "code"
            if not who:
                parsed.errors.append(
                    RowError(number, "signup", "give the sign-up's key or code", "required")
                )
                continue
            if not parsed.once(number, who, field_name, "the same volunteer as row {first}"):
                continue
            stored = by_key.get(who)
            if stored is None:
                parsed.errors.append(
                    RowError(number, field_name, f"no sign-up {who!r} in this call", "not_found")
                )
                continue
            unit, role = get("place"), get("role")
            candidates = [places[(unit, role)]] if (unit, role) in places else at_unit[unit]
            if len(candidates) != 1:
                message = (
                    f"no place at {unit!r} in this call"
                    if not candidates
                    else f"{unit} has several places: give the role"
                )
                parsed.errors.append(RowError(number, "place", message, "not_found"))
                continue
            place = candidates[0]
            code, status, place_id = stored
            if place_id is not None and place_id != place.pk:
                parsed.errors.append(
                    RowError(number, "place", "this volunteer is placed elsewhere", "conflict")
                )
                continue
            day = None
            if get("day"):
                try:
                    day = dt.date.fromisoformat(day_text(get("day"), movement))
                except ValueError:
                    parsed.errors.append(
                        RowError(number, "day", f"{get('day')!r} is not a date (YYYY-MM-DD)")
                    )
                    continue
            parsed.rows.append((number, (code, status, place, day, place_id)))
        return parsed

    def record(self, parsed: Parsed, call, options: dict, advance) -> Outcome:
        outcome = Outcome(extra={"accepted": 0})
        by_day: dict[dt.date | None, list[tuple[int, tuple]]] = defaultdict(list)
        for number, row in parsed.rows:
            _code, _status, place, day, place_id = row
            if place_id == place.pk:
                outcome.replayed += 1  # placed here already
                continue
            by_day[day].append((number, row))
        # Days in order (today's, given by no day, last): a place fills as it did.
        for day in sorted(by_day, key=lambda d: d or dt.date.max):
            rows = by_day[day]
            for start in range(0, len(rows), BATCH):
                chunk = rows[start : start + BATCH]
                accepting = [(n, row[0]) for n, row in chunk if row[1] == domain.SIGNED_UP]
                if accepting:
                    _numbered(
                        partial(actions.accept_signups, call=call, codes=[c for _, c in accepting]),
                        [n for n, _ in accepting],
                    )
                    outcome.extra["accepted"] += len(accepting)
                _numbered(
                    partial(
                        actions.place_volunteers,
                        call=call,
                        rows=[actions.PlacementRow(row[0], row[2].pk) for _, row in chunk],
                        day=day,
                        source=options["source"],
                    ),
                    [n for n, _ in chunk],
                )
                outcome.created += len(chunk)
                advance(len(chunk))
        return outcome


BATCH = 10_000


def _numbered(call, numbers: list[int]) -> None:
    """Run an action on rows numbered `numbers` in the file; its row errors retold so."""
    try:
        call()
    except ActionError as exc:
        if not exc.errors:
            raise
        raise Refused(
            [
                dataclasses.replace(
                    e, row=numbers[e.row - 1] if 1 <= e.row <= len(numbers) else e.row
                )
                for e in exc.errors
            ]
        ) from None
