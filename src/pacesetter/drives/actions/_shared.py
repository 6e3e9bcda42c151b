"""What every kind of drive checks and writes alike: days, keys, units in the movement's
scope, set-based upserts of totals, and posting totals to the movement's ledger."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence, Sized

from django.db import connection

from pacesetter.accounts.permissions import EVERYWHERE, SYSTEM, Capability, acting_as, current_actor
from pacesetter.core.errors import ActionError, RowError, StateError, ValidationFailed
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Unit

from ..selectors import from_row

MAX_KEY_LENGTH = 100
# Items and roles become indicators: their codes are slugs, short enough for the model
# (SlugField(max_length=40)) and, for items, for the indicator codes "<code>-distributed".
MAX_CODE_LENGTH = 40
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


def _refuse(field: str, message: str, code: str = "invalid") -> None:
    raise ValidationFailed(message, errors=[RowError(1, field, message, code)])


def _require_draft(movement: Movement) -> None:
    if movement.status != Movement.Status.DRAFT:
        raise StateError("A drive is set up while its movement is a draft (its indicators).")


def _require_launched(movement: Movement) -> None:
    if movement.status != Movement.Status.LAUNCHED:
        raise StateError(
            f"Movement {movement.slug!r} is {movement.status}: the drive takes entries only "
            "while it is launched."
        )


def _code_name_errors(
    rows: Sequence[tuple[str, str]], *, taken: Iterable[str] = (), first: int = 1
) -> list[RowError]:
    """Row errors for a drive's items or roles given as (code, name): a slug code, unique
    among the rows and not `taken` by the movement's indicators, and a name."""
    errors: list[RowError] = []
    taken = set(taken)
    seen: set[str] = set()
    for number, (code, name) in enumerate(rows, start=first):
        if not code.strip():
            errors.append(RowError(number, "code", "a code is required", "required"))
        elif not _SLUG.match(code) or len(code) > MAX_CODE_LENGTH:
            errors.append(
                RowError(
                    number,
                    "code",
                    f"letters, digits, - and _ only, at most {MAX_CODE_LENGTH} characters",
                )
            )
        elif code in seen:
            errors.append(RowError(number, "code", f"{code!r} is given twice", "duplicate"))
        elif code in taken:
            errors.append(RowError(number, "code", f"the movement has {code!r} already", "exists"))
        seen.add(code)
        if not name.strip():
            errors.append(RowError(number, "name", "a name is required", "required"))
        elif len(name) > 200:
            errors.append(RowError(number, "name", "at most 200 characters", "too_long"))
    return errors


def _parse_day(value, movement: Movement) -> dt.date:
    if value is None or value == "":
        return movement_today(movement)
    if isinstance(value, dt.datetime):
        raise ValueError("give a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _day_errors(number: int, day: dt.date, movement: Movement, today: dt.date) -> list[RowError]:
    if not movement.starts_on <= day <= movement.ends_on:
        message = (
            f"{day} is outside the movement's period {movement.starts_on} to {movement.ends_on}"
        )
        return [RowError(number, "day", message, "out_of_period")]
    if day > today:
        return [RowError(number, "day", f"{day} is in the future (today is {today})", "future")]
    return []


def _key(value: str | None, number: int) -> tuple[str, RowError | None]:
    key = (value or "").strip() or f"auto:{uuid.uuid4().hex}"
    if len(key) > MAX_KEY_LENGTH:
        return key, RowError(
            number, "idempotency_key", f"at most {MAX_KEY_LENGTH} characters", "too_long"
        )
    return key, None


def _marks(values: Sized) -> str:
    return ", ".join(["%s"] * len(values))


def _units_by_code(codes: Iterable[str]) -> dict[str, Unit]:
    """Units by code, in one plain statement per 900 codes: this runs on every sign-up, and
    compiling the ORM's query cost more than running it."""
    codes = sorted({c for c in codes if c})
    found: dict[str, Unit] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(codes), 900):
            chunk = codes[start : start + 900]
            cursor.execute(
                "SELECT id, code, name, kind_id, path, archived FROM units_unit"
                f" WHERE code IN ({_marks(chunk)})",
                chunk,
            )
            for pk, code, name, kind_id, path, archived in cursor.fetchall():
                found[code] = from_row(
                    Unit,
                    {
                        "id": pk,
                        "code": code,
                        "name": name,
                        "kind_id": kind_id,
                        "path": path,
                        "archived": archived,
                    },
                )
    return found


def _scope_paths(movement: Movement) -> list[str]:
    return list(movement.scope.values_list("path", flat=True))


def _unit_errors(
    number: int,
    field_name: str,
    code: str,
    unit: Unit | None,
    scope: list[str],
    *,
    may: list[str] | None = None,
    verb: str = "",
) -> list[RowError]:
    """Row errors for a unit code: unknown (or not visible), archived, outside the scope, or
    where the actor may not act (`may`: the paths where they may)."""
    if not code:
        return [RowError(number, field_name, "a unit code is required", "required")]
    permitted = (
        unit is None
        or may is None
        or EVERYWHERE in may
        or any(unit.path.startswith(p) for p in may)
    )
    if unit is not None and not permitted:
        seen = current_actor().paths(Capability.VIEW)
        if not any(unit.path.startswith(p) for p in seen):
            unit = None  # what the actor may not see does not exist for them
    if unit is None:
        return [RowError(number, field_name, f"no unit with code {code!r}", "not_found")]
    if unit.archived:
        return [RowError(number, field_name, f"{code} is archived", "archived")]
    if not any(unit.path.startswith(p) for p in scope):
        return [
            RowError(number, field_name, f"{code} is outside the movement's scope", "out_of_scope")
        ]
    if not permitted:
        return [RowError(number, field_name, f"you may not {verb} for {code}", "not_permitted")]
    return []


def _upsert(
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    rows: list[tuple],
    fixed: Sequence[str] = (),
) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE adding the new values to the stored ones, in key
    order (so concurrent writers lock rows in one order), in chunks the database accepts.
    Rows are (*key, *fixed, *columns); `fixed` columns are set on insert only."""
    if not rows:
        return
    rows = sorted(rows)
    names = [*key, *fixed, *columns]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    per_row = len(names)
    size = max(1, 900 // per_row)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            values = ", ".join(["(" + ", ".join(["%s"] * per_row) + ")"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES {values} "
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
                [value for row in chunk for value in row],
            )


def _renumber(exc: ActionError, number_of: Mapping[int, int]) -> ActionError:
    """A ledger error about report rows, retold about the drive's rows."""
    exc.errors = [
        RowError(number_of.get(e.row, e.row), e.field, e.message, e.code) for e in exc.errors
    ]
    return exc


def _post_to_ledger(movement: Movement, rows: list[ReportRow], source: str, number_of=None):
    """Record drive totals in the movement's ledger, as the system: the drive's own action
    has already checked who may do what (an anonymous public sign-up counts too)."""
    if not rows:
        return None
    try:
        with acting_as(SYSTEM):
            return record_reports(movement=movement, rows=rows, source=source, return_ids=False)
    except ActionError as exc:
        raise _renumber(exc, number_of or {}) from None


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
