"""Daily enlistment: units report each day the persons mobilised in each role."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import connection

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import ActionError, RowError, StateError, raise_for_rows
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit, UnitKind

from ..models import EnlistmentDrive, EnlistmentRole
from ._shared import (
    MAX_KEY_LENGTH,
    _as_date,
    _code_name_errors,
    _parse_day,
    _refuse,
    _renumber,
    _require_draft,
    _units_by_code,
    _upsert,
)

MAX_ENLISTMENT_ROWS = 100_000
_CHUNK = 300


@audited("drives.create_enlistment_drive")
def create_enlistment_drive(
    *, movement: Movement, reporting_kind: str, roles: Sequence[tuple[str, str]]
) -> EnlistmentDrive:
    """Make a draft movement a daily enlistment: units of `reporting_kind` report each day
    the persons mobilised in each role; each role is an indicator (persons). Needs ORGANISE
    on the movement."""
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    _require_draft(movement)
    if hasattr(movement, "enlistment_drive"):
        raise StateError("This movement is an enlistment already.")
    if not roles:
        _refuse("roles", "an enlistment needs at least one role", "required")
    kind = UnitKind.objects.filter(code=reporting_kind).first()
    if kind is None:
        _refuse("reporting_kind", f"no unit kind {reporting_kind!r}", "not_found")
    raise_for_rows(
        _code_name_errors(roles, taken=movement.indicators.values_list("code", flat=True)),
        what="role",
        total=len(roles),
    )
    drive = EnlistmentDrive.objects.create(movement=movement, reporting_kind=kind)
    for code, name in roles:
        indicator = movements.add_indicator(
            movement=movement, code=code, name=name, unit_of_measure="persons"
        )
        EnlistmentRole.objects.create(drive=drive, code=code, name=name, indicator=indicator)
    return drive


@dataclass(frozen=True, slots=True)
class EnlistmentRow:
    """One unit's return for one day: persons mobilised per role code (0 where none)."""

    unit: str
    counts: Mapping[str, object]
    day: dt.date | str | None = None
    idempotency_key: str | None = None


@dataclass
class EnlistmentResult:
    reports: int = 0
    replayed: int = 0
    new_returns: int = 0


@audited("drives.report_enlistment")
def report_enlistment(
    *,
    drive: EnlistmentDrive,
    rows: Sequence[EnlistmentRow],
    source: str = "web",
    verified: bool = False,
) -> EnlistmentResult:
    """Record daily returns, all or none: one ledger report per unit × day × role (through
    `record_reports`, which checks the reporter's rights, the day and the numbers), and mark
    each unit's day as reported, so coverage counts it and a missing day stays missing. A
    unit reports once a day: a second, different return for the same day is refused (file a
    correction of the report instead); the same return again is a replay."""
    movement = Movement.objects.get(pk=drive.movement_id)
    note(movement=movement)
    if not rows:
        return EnlistmentResult()
    if len(rows) > MAX_ENLISTMENT_ROWS:
        _refuse("rows", f"at most {MAX_ENLISTMENT_ROWS:,} returns per call", "too_many")
    roles = list(drive.roles.select_related("indicator"))
    role_codes = [r.code for r in roles]
    units = _units_by_code(r.unit.strip() for r in rows)
    errors: list[RowError] = []
    report_rows: list[ReportRow] = []
    number_of: dict[int, int] = {}
    returns: dict[tuple[int, dt.date], int] = {}
    for number, row in enumerate(rows, start=1):
        unit = units.get(row.unit.strip())
        if unit is not None and unit.kind_id != drive.reporting_kind_id:
            errors.append(
                RowError(
                    number,
                    "unit",
                    f"{unit.code} is not a {drive.reporting_kind.name}; returns come from those",
                    "wrong_kind",
                )
            )
        unknown = sorted(set(row.counts) - set(role_codes))
        missing = [c for c in role_codes if c not in row.counts or row.counts[c] in (None, "")]
        if unknown:
            errors.append(
                RowError(number, "counts", f"no role {', '.join(unknown)} here", "not_found")
            )
        if missing:
            errors.append(
                RowError(
                    number,
                    "counts",
                    f"give a number for {', '.join(missing)} (0 if none were mobilised)",
                    "required",
                )
            )
        try:
            day = _parse_day(row.day, movement)
        except ValueError as exc:
            errors.append(RowError(number, "day", str(exc), "invalid"))
            continue
        if unit is not None:
            if (unit.pk, day) in returns:
                errors.append(
                    RowError(
                        number,
                        "day",
                        f"row {returns[(unit.pk, day)]} already gives {unit.code}'s return for {day}",
                        "duplicate",
                    )
                )
            returns[(unit.pk, day)] = number
        base = (
            row.idempotency_key or ""
        ).strip() or f"enlistment:{drive.pk}:{row.unit.strip()}:{day}"
        if len(base) > MAX_KEY_LENGTH - 41:
            errors.append(RowError(number, "idempotency_key", "at most 59 characters", "too_long"))
        for code in role_codes:
            report_rows.append(
                ReportRow(
                    unit=row.unit.strip(),
                    indicator=code,
                    day=day,
                    quantity=row.counts.get(code),
                    idempotency_key=f"{base}:{code}",
                )
            )
            number_of[len(report_rows)] = number
    raise_for_rows(errors, what="return", total=len(rows))
    result = EnlistmentResult()
    try:
        for start in range(0, len(report_rows), 10_000):
            ingest = record_reports(
                movement=movement,
                rows=report_rows[start : start + 10_000],
                source=source,
                verified=verified,
                return_ids=False,
            )
            result.reports += ingest.created
            result.replayed += ingest.replayed
    except ActionError as exc:
        for error in exc.errors:
            if error.code == "idempotency_conflict":
                error_message = "a different return for this day is recorded; file a correction"
                exc.errors = [
                    RowError(e.row, e.field, error_message, e.code) if e is error else e
                    for e in exc.errors
                ]
        # Row numbers of a later chunk count from that chunk's start.
        raise _renumber(exc, number_of) from None
    result.new_returns = _mark_returns(drive, returns, units)
    return result


def _mark_returns(
    drive: EnlistmentDrive, returns: Mapping[tuple[int, dt.date], int], units: Mapping[str, Unit]
) -> int:
    """Insert the (unit, day) returns not yet marked and add them to the coverage of the unit
    and its ancestors."""
    path_of = {u.pk: u.path for u in units.values()}
    pairs = sorted(returns)
    new: list[tuple[int, dt.date]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), _CHUNK):
            chunk = pairs[start : start + _CHUNK]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO drives_enlistmentreturn (drive_id, unit_id, day) VALUES {values}"
                " ON CONFLICT (drive_id, unit_id, day) DO NOTHING RETURNING unit_id, day",
                [v for unit_id, day in chunk for v in (drive.pk, unit_id, day)],
            )
            for unit_id, day in cursor.fetchall():
                new.append((unit_id, _as_date(day)))
    increments: dict[tuple[int, dt.date], int] = defaultdict(int)
    for unit_id, day in new:
        for ancestor in (int(part) for part in path_of[unit_id].strip("/").split("/")):
            increments[(ancestor, day)] += 1
    _upsert(
        "drives_enlistmentcoverage",
        ("drive_id", "unit_id", "day"),
        ("reported",),
        [(drive.pk, unit_id, day, n) for (unit_id, day), n in increments.items()],
    )
    return len(new)
