"""The only write path of the ledger: recording reports and corrections.

`record_reports` is the one ingest for one row or 10,000: the web form, the API, the file
import and the demo all call it. A single report is a batch of one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from pacesetter.accounts.permissions import EVERYWHERE, Capability, current_actor
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, ValidationFailed, raise_for_rows
from pacesetter.core.locks import pair_locks, tree_lock
from pacesetter.core.quantities import QuantityError, parse_quantity, to_minor
from pacesetter.core.rows import insert_rows, rows_in
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Member, Unit

from . import aggregates, domain, flags, signals
from .frame import Frame, frame_of
from .models import Report
from .report_selectors import ids_by_key
from .verification_state import is_verified_state, latest_decisions

MAX_BATCH = 10_000
MAX_KEY_LENGTH = 100


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One report as a client sends it. For a correction, `corrects` is the id of the report
    corrected, `quantity` is the value it should have now, and `reason` is required; unit,
    indicator and day may be left empty (they are the corrected report's)."""

    unit: str = ""
    indicator: str = ""
    day: dt.date | str | None = None
    quantity: object = None
    member: str | None = None
    idempotency_key: str | None = None
    corrects: int | None = None
    reason: str = ""


@dataclass
class IngestResult:
    created: int = 0
    replayed: int = 0
    # Per input row, in order: the report id (created or replayed) when ids were asked for.
    report_ids: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Prepared:
    number: int
    unit_id: int
    unit_path: str
    indicator_id: int
    day: dt.date
    quantity_minor: int
    member_id: int | None
    key: str
    corrects_id: int | None
    reason: str
    # For a correction: the corrected report's shared state; quantity_minor holds the value
    # asked for until _check_keys turns it into the change.
    state: dict | None = None
    target: int = 0
    entries_change: int = 0


_COLUMNS = (
    "movement_id",
    "unit_id",
    "member_id",
    "indicator_id",
    "day",
    "quantity_minor",
    "source",
    "entered_by_id",
    "entered_at",
    "idempotency_key",
    "verification",
    "corrects_id",
    "reason",
)


def _parse_day(value: dt.date | str | None) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError("give a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    if not value or not str(value).strip():
        raise ValueError("a date (YYYY-MM-DD) is required")
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


@audited("ledger.record_reports")
def record_reports(
    *,
    movement: Movement,
    rows: Sequence[ReportRow],
    source: str,
    entered_by=None,
    verified: bool = False,
    return_ids: bool = True,
    row_numbers: Sequence[int] | None = None,
) -> IngestResult:
    """Validate every row, then record all of them or none.

    Guarantees: every row is checked (unit exists, is active and in the movement's scope;
    indicator belongs to the movement; day inside the movement's period and not in the future;
    quantity a number with at most the indicator's decimal places, negative only where the
    indicator allows it; the movement launched) and the error lists every bad row. A row
    whose idempotency key is already recorded with the same content is not counted again (it
    is "replayed"); the same key with different content is refused (409). The aggregates
    change in the same transaction as the ledger. Rows for units outside the subtrees where
    the current actor may report (or verify, for verified rows) are row errors like any other;
    a unit the actor may not even see is reported as unknown. A row repeating an earlier
    row's key counts once when it says the same, and is refused naming that row when it does
    not; `row_numbers` (a file's own numbering of `rows`) is how such a message names it.
    """
    note(movement=movement)
    actor = current_actor()
    if entered_by is None and actor.user is not None and not actor.is_system:
        entered_by = actor.user
    if not rows:
        return IngestResult()
    if len(rows) > MAX_BATCH:
        raise ValidationFailed(f"At most {MAX_BATCH:,} rows per call; this call has {len(rows):,}.")
    if source not in Report.Source.values:
        raise ValidationFailed(f"Unknown source {source!r}.")
    # On SQLite the transaction began with BEGIN IMMEDIATE (the audit's, around this call): no
    # other writer can record a key between our check and our insert, so there is nothing to
    # retry and no savepoint to retry from (two statements of a one-report call).
    retries = 3 if connection.vendor == "postgresql" else 1
    for attempt in range(retries):
        try:
            with transaction.atomic(savepoint=retries > 1):
                return _record(
                    movement, rows, source, entered_by, verified, return_ids, row_numbers
                )
        except (IntegrityError, OperationalError) as exc:
            # Another writer recorded one of these keys between our check and our insert, or
            # two batches sharing keys deadlocked on PostgreSQL's unique index: run again, and
            # the rows the other writer recorded are now replays or conflicts.
            retryable = isinstance(exc, IntegrityError) or _is_deadlock(exc)
            if not retryable or attempt == retries - 1:
                raise
    raise AssertionError("unreachable")


def _is_deadlock(exc: Exception) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in {"40P01", "40001"}


def _record(
    movement: Movement,
    rows: Sequence[ReportRow],
    source: str,
    entered_by,
    verified: bool,
    return_ids: bool,
    row_numbers: Sequence[int] | None = None,
) -> IngestResult:
    tree_lock(exclusive=False)
    # The status and the scope as of this transaction (another process may have closed the
    # movement; paths change when a unit moves), and the flag rules, in one statement.
    movement.status, scope_paths, flag_rules = flags.movement_state(movement.pk)
    if movement.status != Movement.Status.LAUNCHED:
        raise StateError(
            f"Movement {movement.slug!r} is {movement.status}: reports are accepted only while it is launched."
        )
    movement_frame = frame_of(movement)
    owner_id = entered_by.pk if entered_by is not None else None
    prepared, errors = _validate(movement, movement_frame, rows, scope_paths, verified, owner_id)

    def shown(number: int) -> int:  # another row, as the caller numbers its rows
        return row_numbers[number - 1] if row_numbers else number

    new, replays, stored_ids, key_errors = _check_keys(movement.pk, owner_id, prepared, shown)
    errors.extend(key_errors)
    errors.extend(_second_levels(movement_frame.latest_ids, new, shown))
    errors.sort(key=lambda e: e.row)
    raise_for_rows(errors, what="report", total=len(rows))

    new_ids: list[int] | None = []  # none new, none to return
    if new:
        new_ids = _insert(movement, new, source, entered_by, verified, return_ids=return_ids)
        if new_ids is None and return_ids:  # PostgreSQL's COPY gives no ids back
            by_key = ids_by_key([row.key for row in new])
            new_ids = [by_key[row.key] for row in new]
        verified_flag = 1 if verified else 0
        own: dict[aggregates.DayKey, aggregates.Totals] = defaultdict(aggregates._zero)
        for row in new:
            totals = own[(row.unit_id, row.indicator_id, row.day)]
            totals[0] += row.quantity_minor
            if row.corrects_id is None:
                totals[1] += row.quantity_minor * verified_flag
                totals[2] += 1
                totals[3] += verified_flag
            else:  # verified or not as its root is (ledger.verification_state)
                root_verified = int(row.state["original_verified"])
                totals[1] += row.quantity_minor * root_verified
                totals[2] += row.entries_change
                totals[3] += row.entries_change * root_verified
        shapes = movement_frame.shapes({row.indicator_id for row in new})
        # A "latest level" change is computed from the unit's current days: two writers on
        # one unit and indicator must take turns, or each computes from a stale state.
        pair_locks(
            (unit_id, indicator_id)
            for unit_id, indicator_id, _day in own
            if shapes[indicator_id].latest
        )
        aggregates.apply_own_deltas(
            own,
            unit_paths={row.unit_id: row.unit_path for row in new},
            shapes=shapes,
        )
        # Plausibility flags: rows beside the ledger, never a change to a total.
        flags.flag_reports(
            movement=movement, frame=movement_frame, rules=flag_rules, rows=new, new_ids=new_ids
        )
        signals.reports_recorded.send(sender=Report, movement=movement, rows=new)
    result = IngestResult(created=len(new), replayed=len(prepared) - len(new))
    if return_ids:
        ids = {**stored_ids, **dict(zip((row.key for row in new), new_ids or (), strict=True))}
        result.report_ids = [ids[row.key] for row in prepared]
        result.statuses = ["replayed" if row.number in replays else "created" for row in prepared]
    return result


def _validate(
    movement: Movement,
    frame: Frame,
    rows: Sequence[ReportRow],
    scope_paths: list[str],
    verified: bool = False,
    owner_id: int | None = None,
) -> tuple[list[_Prepared], list[RowError]]:
    errors: list[RowError] = []
    actor = current_actor()
    may_report = actor.paths(Capability.VERIFY if verified else Capability.REPORT, movement)
    may_see = actor.paths(Capability.VIEW, movement)
    everywhere = EVERYWHERE in may_report
    permitted_cache: dict[str, bool] = {}
    indicators = frame.indicators
    member_codes = {row.member for row in rows if row.member}
    members = (
        dict(
            Member.objects.filter(external_id__in=member_codes).values_list(
                "external_id", "unit_id"
            )
        )
        if member_codes
        else {}
    )
    member_ids = (
        dict(Member.objects.filter(external_id__in=member_codes).values_list("external_id", "pk"))
        if member_codes
        else {}
    )
    originals = _originals(movement, {row.corrects for row in rows if row.corrects is not None})
    units = _units(
        {row.unit.strip() for row in rows if row.unit}
        | {o["unit_code"] for o in originals.values()}
    )
    today = movement_today(movement)
    start, end = movement.starts_on, movement.ends_on
    scope_cache: dict[str, bool] = {}
    prepared: list[_Prepared] = []

    for number, row in enumerate(rows, start=1):
        before = len(errors)
        original = None
        if row.corrects is not None:
            original = originals.get(row.corrects)
            if original is None:
                errors.append(
                    RowError(
                        number,
                        "corrects",
                        f"no report {row.corrects} in this movement",
                        "not_found",
                    )
                )
                continue
            if not row.reason.strip():
                errors.append(RowError(number, "reason", "a correction needs a reason", "required"))
            unit_code, indicator_code = original["unit_code"], original["indicator_code"]
            for name, given, expected in (
                ("unit", row.unit, unit_code),
                ("indicator", row.indicator, indicator_code),
                ("day", str(row.day) if row.day else "", str(original["day"])),
            ):
                if given and str(given).strip() != expected:
                    errors.append(
                        RowError(
                            number, name, f"the corrected report has {name} {expected}", "mismatch"
                        )
                    )
            day = original["day"]
        else:
            unit_code, indicator_code = (row.unit or "").strip(), (row.indicator or "").strip()
            try:
                day = _parse_day(row.day)
            except ValueError as exc:
                errors.append(RowError(number, "day", str(exc), "invalid"))
                day = None
            if day is not None and not start <= day <= end:
                errors.append(
                    RowError(
                        number,
                        "day",
                        f"{day} is outside the movement's period {start} to {end}",
                        "out_of_period",
                    )
                )
            elif day is not None and day > today:
                errors.append(
                    RowError(
                        number,
                        "day",
                        f"{day} is in the future (today is {today} in {movement.time_zone})",
                        "future",
                    )
                )

        unit = units.get(unit_code)
        if unit is not None and not everywhere:
            permitted = permitted_cache.get(unit[1])
            if permitted is None:
                permitted = permitted_cache[unit[1]] = any(
                    unit[1].startswith(p) for p in may_report
                )
            if not permitted and not any(unit[1].startswith(p) for p in may_see):
                unit = None  # what the actor may not see does not exist for them
            elif not permitted:
                verb = "verify figures" if verified else "report"
                errors.append(
                    RowError(number, "unit", f"you may not {verb} for {unit_code}", "not_permitted")
                )
                continue
        if not unit_code:
            errors.append(RowError(number, "unit", "a unit code is required", "required"))
        elif unit is None:
            errors.append(RowError(number, "unit", f"no unit with code {unit_code!r}", "not_found"))
        else:
            if unit[2]:
                errors.append(RowError(number, "unit", f"{unit_code} is archived", "archived"))
            inside = scope_cache.get(unit[1])
            if inside is None:
                inside = scope_cache[unit[1]] = any(unit[1].startswith(p) for p in scope_paths)
            if not inside:
                errors.append(
                    RowError(
                        number,
                        "unit",
                        f"{unit_code} is outside the movement's scope",
                        "out_of_scope",
                    )
                )

        indicator = indicators.get(indicator_code)
        if not indicator_code:
            errors.append(
                RowError(number, "indicator", "an indicator code is required", "required")
            )
        elif indicator is None:
            errors.append(
                RowError(
                    number,
                    "indicator",
                    f"no indicator {indicator_code!r} in this movement",
                    "not_found",
                )
            )

        quantity_minor = 0
        if indicator is not None:
            try:
                quantity = parse_quantity(
                    row.quantity if row.quantity is not None else "", indicator.decimal_places
                )
                if quantity < 0 and not indicator.allow_negative:
                    raise QuantityError(f"{indicator.code} does not allow negative quantities")
                quantity_minor = to_minor(quantity, indicator.decimal_places)
            except QuantityError as exc:
                errors.append(RowError(number, "quantity", str(exc), "invalid"))

        member_id = original["member_id"] if original is not None else None
        if original is not None and row.member and row.member != original["member_code"]:
            errors.append(
                RowError(
                    number,
                    "member",
                    f"the corrected report has member {original['member_code'] or 'none'}",
                    "mismatch",
                )
            )
        elif row.member and original is None:
            if row.member not in members:
                errors.append(RowError(number, "member", f"no member {row.member!r}", "not_found"))
            elif unit is not None and members[row.member] != unit[0]:
                errors.append(
                    RowError(
                        number, "member", f"{row.member} is not a member of {unit_code}", "mismatch"
                    )
                )
            else:
                member_id = member_ids[row.member]

        key = (row.idempotency_key or "").strip() or f"auto:{uuid.uuid4().hex}"
        if len(key) > MAX_KEY_LENGTH:
            errors.append(
                RowError(
                    number, "idempotency_key", f"at most {MAX_KEY_LENGTH} characters", "too_long"
                )
            )
        elif domain.has_control_character(key):
            errors.append(
                RowError(
                    number, "idempotency_key", "must not contain control characters", "invalid"
                )
            )
        key = domain.scoped_key(movement.pk, owner_id, key)

        if len(errors) == before and unit is not None and indicator is not None and day is not None:
            prepared.append(
                _Prepared(
                    number,
                    unit[0],
                    unit[1],
                    indicator.pk,
                    day,
                    quantity_minor,
                    member_id,
                    key,
                    original["root"] if original is not None else None,
                    row.reason.strip(),
                    original,
                )
            )
    return prepared, errors


def _second_levels(
    latest: set[int], new: list[_Prepared], shown: Callable[[int], int] = int
) -> list[RowError]:
    """A "latest level" indicator has one level per unit and day: a second report for the same
    day would be added to the first, so it is refused in favour of a correction of the first."""
    rows = [r for r in new if r.indicator_id in latest and r.corrects_id is None]
    if not rows:
        return []
    existing = {
        (unit_id, indicator_id, day): pk
        for unit_id, indicator_id, day, pk in Report.objects.filter(
            unit_id__in={r.unit_id for r in rows},
            indicator_id__in={r.indicator_id for r in rows},
            day__in={r.day for r in rows},
            corrects__isnull=True,
        ).values_list("unit_id", "indicator_id", "day", "pk")
    }
    errors = []
    seen: dict[tuple[int, int, dt.date], int] = {}
    for row in rows:
        key = (row.unit_id, row.indicator_id, row.day)
        if key in existing:
            message = f"a level for this day is already reported (report {existing[key]}); file a correction of it"
            errors.append(RowError(row.number, "day", message, "level_exists"))
        elif key in seen:
            message = f"row {shown(seen[key])} already gives the level for this day"
            errors.append(RowError(row.number, "day", message, "level_exists"))
        else:
            seen[key] = row.number
    return errors


def _units(codes: set[str]) -> dict[str, tuple[int, str, bool]]:
    return {
        code: (pk, path, archived)
        for code, pk, path, archived in rows_in(
            f"SELECT code, id, path, archived FROM {Unit._meta.db_table} WHERE code IN ({{}})",
            sorted(codes),
        )
    }


def _originals(movement: Movement, ids: set[int]) -> dict[int, dict]:
    """Reports being corrected, with their current value (original plus earlier corrections).
    A correction of a correction is taken as a correction of the original report."""
    if not ids:
        return {}
    rows = {
        r["pk"]: r
        for r in Report.objects.filter(pk__in=ids, movement=movement).values(
            "pk", "corrects_id", "day", "unit__code", "indicator__code"
        )
    }
    root_of = {pk: (r["corrects_id"] or pk) for pk, r in rows.items()}
    roots = {
        r["pk"]: r
        for r in Report.objects.filter(pk__in=set(root_of.values())).values(
            "pk",
            "quantity_minor",
            "day",
            "unit__code",
            "indicator__code",
            "member_id",
            "member__external_id",
            "verification",
        )
    }
    corrected = dict(
        Report.objects.filter(corrects_id__in=roots.keys())
        .values_list("corrects_id")
        .annotate(total=Sum("quantity_minor"))
        .values_list("corrects_id", "total")
    )
    decided = latest_decisions(roots.keys())
    states = {
        pk: {
            "root": pk,
            "unit_code": r["unit__code"],
            "indicator_code": r["indicator__code"],
            "day": r["day"],
            "member_id": r["member_id"],
            "member_code": r["member__external_id"],
            "original_verified": is_verified_state(decided.get(pk, r["verification"])),
            "effective": r["quantity_minor"] + (corrected.get(pk) or 0),
            # Whether the report counts as an entry: not once a correction brought it to 0.
            "counted": pk not in corrected or r["quantity_minor"] + (corrected.get(pk) or 0) != 0,
        }
        for pk, r in roots.items()
    }
    # Every id given maps to its root's shared state, so corrections in one batch chain.
    return {pk: states[root] for pk, root in root_of.items()}


def _check_keys(
    movement_id: int,
    owner_id: int | None,
    prepared: list[_Prepared],
    shown: Callable[[int], int] = int,
) -> tuple[list[_Prepared], set[int], dict[str, int], list[RowError]]:
    """Split rows into new ones and replays (their row numbers, and the ids of the reports
    they replay by key); refuse keys reused for other content.

    A correction is compared by what it asks for (the report it corrects and the value it
    sets), and its change is computed here, in row order, for new rows only: a replayed
    correction changes nothing and must not move the base of the next one.
    """
    errors: list[RowError] = []
    replays: set[int] = set()
    stored_ids: dict[str, int] = {}
    new: list[_Prepared] = []
    existing = _existing_by_key(movement_id, owner_id, [row.key for row in prepared])
    in_batch: dict[str, _Prepared] = {}

    def conflict(row: _Prepared, message: str) -> None:
        errors.append(RowError(row.number, "idempotency_key", message, "idempotency_conflict"))

    for row in prepared:
        stored = existing.get(row.key)
        if stored is not None:
            if row.corrects_id is not None:
                same = (
                    stored[5] == row.corrects_id
                    and _value_after(stored[6], row.corrects_id) == row.quantity_minor
                )
            else:
                same = stored[:6] == (
                    row.unit_id,
                    row.indicator_id,
                    row.day,
                    row.quantity_minor,
                    row.member_id,
                    None,
                )
            if same:
                replays.add(row.number)
                stored_ids[row.key] = stored[6]
            else:
                conflict(
                    row,
                    f"key {domain.client_key(row.key)!r} was already used for a different report"
                    f" (id {stored[6]})",
                )
            continue
        earlier = in_batch.get(row.key)
        if earlier is not None:
            if (
                earlier.unit_id,
                earlier.indicator_id,
                earlier.day,
                earlier.member_id,
                earlier.corrects_id,
            ) == (row.unit_id, row.indicator_id, row.day, row.member_id, row.corrects_id) and (
                earlier.target if earlier.corrects_id is not None else earlier.quantity_minor
            ) == row.quantity_minor:
                replays.add(row.number)
            else:
                conflict(
                    row,
                    f"key {domain.client_key(row.key)!r} is used by row {shown(earlier.number)}"
                    " for a different report",
                )
            continue
        if row.state is not None:
            target = row.quantity_minor
            if target == row.state["effective"]:
                errors.append(
                    RowError(
                        row.number, "quantity", "the report already has this value", "no_change"
                    )
                )
                continue
            row.quantity_minor = target - row.state["effective"]
            row.target = target
            row.state["effective"] = target
            # A correction to 0 is a reversal: the report stops counting as an entry (a day
            # worked, a level reported) until a later correction gives it a value again.
            counted = target != 0
            row.entries_change = int(counted) - int(row.state["counted"])
            row.state["counted"] = counted
        in_batch[row.key] = row
        new.append(row)
    return new, replays, stored_ids, errors


def _value_after(correction_id: int, original_id: int) -> int:
    """The value a stored correction set: the original plus every correction up to it."""
    return Report.objects.filter(pk=original_id).values_list("quantity_minor", flat=True).get() + (
        Report.objects.filter(corrects_id=original_id, pk__lte=correction_id).aggregate(
            total=Sum("quantity_minor")
        )["total"]
        or 0
    )


def _existing_by_key(movement_id: int, owner_id: int | None, keys: list[str]) -> dict[str, tuple]:
    """The stored reports of these scoped keys, by scoped key. A key stored before keys were
    scoped (without the separator) counts only in its own movement and for whoever entered it:
    looked up in the same statement, by the client's key."""
    legacy = {domain.client_key(key): key for key in keys}
    found: dict[str, tuple] = {}
    for stored_key, *values, stored_movement, entered_by_id in rows_in(
        "SELECT idempotency_key, unit_id, indicator_id, day, quantity_minor, member_id,"
        f" corrects_id, id, movement_id, entered_by_id FROM {Report._meta.db_table}"
        " WHERE idempotency_key IN ({})",
        [*keys, *legacy],
    ):
        if domain.KEY_SCOPE_SEPARATOR in stored_key:
            found[stored_key] = tuple(values)
        elif stored_movement == movement_id and (entered_by_id or None) == (owner_id or None):
            found[legacy[stored_key]] = tuple(values)
    return found


def _insert(
    movement: Movement,
    rows: list[_Prepared],
    source: str,
    entered_by,
    verified: bool,
    *,
    return_ids: bool,
) -> list[int] | None:
    """Append rows to the ledger: COPY on PostgreSQL (None: it gives no ids back), multi-row
    INSERTs on SQLite (the new ids in row order when `return_ids`, else an empty list)."""
    now = timezone.now()
    verification = Report.Verification.VERIFIED if verified else Report.Verification.UNVERIFIED
    user_id = entered_by.pk if entered_by is not None else None
    if connection.vendor == "postgresql":
        # wrap_database_errors turns psycopg's errors from the raw COPY into Django's
        # (a UniqueViolation into IntegrityError), which record_reports retries.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            raw = cursor.cursor
            with raw.copy(f"COPY ledger_report ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(
                        (
                            movement.pk,
                            r.unit_id,
                            r.member_id,
                            r.indicator_id,
                            r.day,
                            r.quantity_minor,
                            source,
                            user_id,
                            now,
                            r.key,
                            verification,
                            r.corrects_id,
                            r.reason,
                        )
                    )
        return None
    entered_at = connection.ops.adapt_datetimefield_value(now)
    return insert_rows(
        "ledger_report",
        _COLUMNS,
        [
            (
                movement.pk,
                r.unit_id,
                r.member_id,
                r.indicator_id,
                r.day.isoformat(),
                r.quantity_minor,
                source,
                user_id,
                entered_at,
                r.key,
                verification,
                r.corrects_id,
                r.reason,
            )
            for r in rows
        ],
        returning="id" if return_ids else None,
    )


@audited("ledger.correct_report")
def correct_report(
    *,
    report: Report,
    quantity: Decimal | str | int,
    reason: str,
    source: str,
    entered_by=None,
    idempotency_key: str | None = None,
) -> Report:
    """File a correction: a new entry that brings `report` to `quantity` (0 reverses it).
    The original stays in the ledger, with its corrections beside it."""
    result = record_reports(
        movement=report.movement,
        rows=[
            ReportRow(
                corrects=report.pk,
                quantity=quantity,
                reason=reason,
                idempotency_key=idempotency_key,
            )
        ],
        source=source,
        entered_by=entered_by,
    )
    return Report.objects.get(pk=result.report_ids[0])
