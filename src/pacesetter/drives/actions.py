"""The only write path of drives: donation drives and their ledger of gifts, volunteer calls
and sign-ups, daily enlistment returns.

Every bulk action validates all rows and then applies all or none; the single-row forms are
the bulk actions with one row. Drive totals reach the movement's ledger through
`ledger.actions.record_reports`, so they roll up, rank and earn titles like any figure.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from pacesetter.accounts.permissions import (
    EVERYWHERE,
    SYSTEM,
    Capability,
    acting_as,
    current_actor,
    require,
)
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import (
    ActionError,
    RowError,
    StateError,
    ValidationFailed,
    raise_for_rows,
)
from pacesetter.core.locks import pair_locks
from pacesetter.core.quantities import QuantityError, parse_quantity, to_minor
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Member, Unit, UnitKind

from . import domain
from .models import (
    ESTIMATE_PLACES,
    CallPlace,
    CallRole,
    DonationBalance,
    DonationDrive,
    DonationEntry,
    DonationItem,
    EnlistmentDrive,
    EnlistmentRole,
    SignUp,
    VolunteerCall,
)
from .selectors import from_row

MAX_KEY_LENGTH = 100
MAX_DONATION_ROWS = 10_000
MAX_SIGNUP_ROWS = 100_000
MAX_ENLISTMENT_ROWS = 100_000
# A single sign-up posts the call's new sign-ups to the ledger at most this often; the
# drive's own live counts are exact at every moment, the ledger's figures this far behind.
POST_EVERY = dt.timedelta(seconds=10)
_CHUNK = 300


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


# --- donation drives --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemSpec:
    code: str
    name: str
    unit_of_measure: str = ""
    kind: str = DonationItem.Kind.IN_KIND
    decimal_places: int = 0
    currency: str = ""


@audited("drives.create_donation_drive")
def create_donation_drive(
    *, movement: Movement, items: Sequence[ItemSpec], estimate_currency: str = ""
) -> DonationDrive:
    """Make a draft movement a donation drive: each item gets three indicators (pledged,
    received, distributed) in the item's unit of measure, or its currency for money."""
    _require_draft(movement)
    if not items:
        _refuse("items", "a donation drive needs at least one item", "required")
    if hasattr(movement, "donation_drive"):
        raise StateError("This movement is a donation drive already.")
    drive = DonationDrive.objects.create(
        movement=movement, estimate_currency=estimate_currency.upper()
    )
    for position, spec in enumerate(items):
        if spec.kind not in DonationItem.Kind.values:
            _refuse("kind", f"one of {', '.join(DonationItem.Kind.values)}")
        money = spec.kind == DonationItem.Kind.MONEY
        if money and len(spec.currency.strip()) != 3:
            _refuse("currency", "a money item needs a 3-letter currency code", "required")
        if not money and not spec.unit_of_measure.strip():
            _refuse("unit_of_measure", "an item in kind needs a unit of measure", "required")
        measure = spec.currency.upper() if money else spec.unit_of_measure.strip()
        indicators = {
            stage: movements.add_indicator(
                movement=movement,
                code=f"{spec.code}-{stage}",
                name=f"{spec.name} {stage}",
                unit_of_measure="money" if money else measure,
                currency=spec.currency if money else "",
                decimal_places=spec.decimal_places,
            )
            for stage in DonationEntry.Stage.values
        }
        DonationItem.objects.create(
            drive=drive,
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            unit_of_measure=measure,
            decimal_places=spec.decimal_places,
            pledged_indicator=indicators["pledged"],
            received_indicator=indicators["received"],
            distributed_indicator=indicators["distributed"],
            position=position,
        )
    return drive


@dataclass(frozen=True, slots=True)
class DonationRow:
    """One step of a donation. Pledges and receipts name the donor — a member (`donor_member`,
    their id), a unit (`donor_unit`, its code) or neither (anonymous, optionally with a
    `donor_name` to print) — and `unit` is the receiving unit. A distribution is made by
    `unit` to `recipient_unit` (a code) or `recipient_name`."""

    item: str
    stage: str
    unit: str
    quantity: object
    day: dt.date | str | None = None
    donor_member: str = ""
    donor_unit: str = ""
    donor_name: str = ""
    estimate: object = None
    recipient_unit: str = ""
    recipient_name: str = ""
    note: str = ""
    idempotency_key: str | None = None


@dataclass
class DonationResult:
    created: int = 0
    replayed: int = 0
    entry_ids: list[int] = field(default_factory=list)


@audited("drives.record_donations")
def record_donations(
    *,
    drive: DonationDrive,
    rows: Sequence[DonationRow],
    source: str = "web",
    entered_by=None,
) -> DonationResult:
    """Validate every row, then record all of them or none.

    Guarantees: a distribution never takes a unit's balance of an item below zero, whatever
    the order of rows in the batch and whatever other writers do (per unit × item locks, and
    the database's check constraint behind them); the error names the row, the unit, what it
    holds and what was asked. A row whose key is recorded with the same content is not
    counted again; the same key with other content is refused (409). Pledged, received and
    distributed quantities are recorded in the movement's ledger in the same transaction.
    """
    movement = Movement.objects.get(pk=drive.movement_id)
    note(movement=movement)
    _require_launched(movement)
    if not rows:
        return DonationResult()
    if len(rows) > MAX_DONATION_ROWS:
        _refuse("rows", f"at most {MAX_DONATION_ROWS:,} rows per call", "too_many")
    actor = current_actor()
    if entered_by is None and actor.user is not None and not actor.is_system:
        entered_by = actor.user
    may_report = actor.paths(Capability.REPORT, movement)
    items = {item.code: item for item in drive.items.all()}
    units = _units_by_code(
        [r.unit.strip() for r in rows]
        + [r.donor_unit.strip() for r in rows]
        + [r.recipient_unit.strip() for r in rows]
    )
    member_ids = {r.donor_member.strip() for r in rows if r.donor_member.strip()}
    members = {m.external_id: m for m in Member.objects.filter(external_id__in=member_ids)}
    scope = _scope_paths(movement)
    today = movement_today(movement)
    errors: list[RowError] = []
    prepared: list[dict] = []
    for number, row in enumerate(rows, start=1):
        before = len(errors)
        item = items.get(row.item.strip())
        if item is None:
            errors.append(
                RowError(number, "item", f"no item {row.item!r} in this drive", "not_found")
            )
        stage = row.stage.strip()
        if stage not in DonationEntry.Stage.values:
            errors.append(
                RowError(
                    number, "stage", f"one of {', '.join(DonationEntry.Stage.values)}", "invalid"
                )
            )
        unit = units.get(row.unit.strip())
        errors += _unit_errors(
            number, "unit", row.unit.strip(), unit, scope, may=may_report, verb="record donations"
        )
        try:
            day = _parse_day(row.day, movement)
            errors += _day_errors(number, day, movement, today)
        except ValueError as exc:
            errors.append(RowError(number, "day", str(exc), "invalid"))
            day = None
        quantity_minor = 0
        if item is not None:
            try:
                quantity = parse_quantity(
                    row.quantity if row.quantity is not None else "", item.decimal_places
                )
                if quantity <= 0:
                    raise QuantityError("a quantity must be more than zero")
                quantity_minor = to_minor(quantity, item.decimal_places)
            except QuantityError as exc:
                errors.append(RowError(number, "quantity", str(exc), "invalid"))
        estimate_minor = None
        if row.estimate not in (None, ""):
            if item is not None and item.kind == DonationItem.Kind.MONEY:
                errors.append(
                    RowError(number, "estimate", "a gift of money needs no estimate", "invalid")
                )
            else:
                try:
                    estimate = parse_quantity(row.estimate, ESTIMATE_PLACES)
                    if estimate < 0:
                        raise QuantityError("an estimate cannot be negative")
                    estimate_minor = to_minor(estimate, ESTIMATE_PLACES)
                except QuantityError as exc:
                    errors.append(RowError(number, "estimate", str(exc), "invalid"))
        donor_kind, donor_member, donor_unit = "", None, None
        recipient_unit = None
        if stage == DonationEntry.Stage.DISTRIBUTED:
            if row.donor_member.strip() or row.donor_unit.strip():
                errors.append(
                    RowError(number, "donor", "a distribution has a recipient, not a donor")
                )
            code = row.recipient_unit.strip()
            if code:
                recipient_unit = units.get(code)
                if recipient_unit is None:
                    errors.append(
                        RowError(
                            number, "recipient_unit", f"no unit with code {code!r}", "not_found"
                        )
                    )
            elif not row.recipient_name.strip():
                errors.append(
                    RowError(
                        number,
                        "recipient",
                        "a distribution needs a recipient (a unit or a name)",
                        "required",
                    )
                )
        elif stage in DonationEntry.Stage.values:
            if row.donor_member.strip() and row.donor_unit.strip():
                errors.append(RowError(number, "donor", "a member or a unit, not both"))
            elif row.donor_member.strip():
                donor_kind = DonationEntry.DonorKind.MEMBER
                donor_member = members.get(row.donor_member.strip())
                if donor_member is None:
                    errors.append(
                        RowError(
                            number,
                            "donor_member",
                            f"no member {row.donor_member.strip()!r}",
                            "not_found",
                        )
                    )
            elif row.donor_unit.strip():
                donor_kind = DonationEntry.DonorKind.UNIT
                donor_unit = units.get(row.donor_unit.strip())
                if donor_unit is None:
                    errors.append(
                        RowError(
                            number,
                            "donor_unit",
                            f"no unit with code {row.donor_unit.strip()!r}",
                            "not_found",
                        )
                    )
            else:
                donor_kind = DonationEntry.DonorKind.ANONYMOUS
        key, key_error = _key(row.idempotency_key, number)
        if key_error:
            errors.append(key_error)
        if len(errors) == before:
            prepared.append(
                {
                    "number": number,
                    "drive": drive,
                    "item": item,
                    "stage": stage,
                    "unit": unit,
                    "day": day,
                    "quantity_minor": quantity_minor,
                    "estimate_minor": estimate_minor,
                    "donor_kind": donor_kind,
                    "donor_member": donor_member,
                    "donor_unit": donor_unit,
                    "donor_name": row.donor_name.strip()[:200]
                    if donor_kind == DonationEntry.DonorKind.ANONYMOUS
                    else "",
                    "recipient_unit": recipient_unit,
                    "recipient_name": row.recipient_name.strip()[:200]
                    if recipient_unit is None
                    else "",
                    "note": row.note.strip()[:300],
                    "key": key,
                }
            )
    raise_for_rows(errors, what="donation", total=len(rows))

    # Replays and conflicts by key.
    existing = {
        e.idempotency_key: e
        for e in DonationEntry.objects.filter(idempotency_key__in=[p["key"] for p in prepared])
    }
    new: list[dict] = []
    ids_by_number: dict[int, str] = {}
    seen: dict[str, dict] = {}
    replayed = 0
    for p in prepared:
        stored = existing.get(p["key"]) or seen.get(p["key"])
        ids_by_number[p["number"]] = p["key"]
        if stored is not None:
            same = _same_entry(stored, p)
            if not same:
                errors.append(
                    RowError(
                        p["number"],
                        "idempotency_key",
                        f"key {p['key']!r} was already used for a different donation entry",
                        "idempotency_conflict",
                    )
                )
            replayed += 1
            continue
        seen[p["key"]] = p
        new.append(p)
    raise_for_rows(errors, what="donation", total=len(rows))

    # Balances: lock each unit × item, read, and replay the batch on them in row order.
    pairs = {(p["unit"].pk, p["item"].pk) for p in new}
    pair_locks(pairs)
    stored_balances = {
        (b.unit_id, b.item_id): domain.Balance(
            b.pledged_minor, b.received_minor, b.distributed_minor
        )
        for b in DonationBalance.objects.filter(
            item__in={p["item"].pk for p in new}, unit__in={p["unit"].pk for p in new}
        )
    }
    _after, overdrawn = domain.apply_batch(
        stored_balances,
        [((p["unit"].pk, p["item"].pk), p["stage"], p["quantity_minor"]) for p in new],
    )
    for index, exc in overdrawn:
        p = new[index - 1]
        item = p["item"]
        errors.append(
            RowError(
                p["number"],
                "quantity",
                f"{p['unit'].code} holds {item.quantity(exc.held)} {item.unit_of_measure} of "
                f"{item.name} at that point; {item.quantity(exc.asked)} cannot be distributed",
                "insufficient_balance",
            )
        )
    raise_for_rows(errors, what="donation", total=len(rows))

    now = timezone.now()
    entries = DonationEntry.objects.bulk_create(
        [
            DonationEntry(
                drive=drive,
                item=p["item"],
                stage=p["stage"],
                unit=p["unit"],
                day=p["day"],
                quantity_minor=p["quantity_minor"],
                estimate_minor=p["estimate_minor"],
                donor_kind=p["donor_kind"],
                donor_member=p["donor_member"],
                donor_unit=p["donor_unit"],
                donor_name=p["donor_name"],
                recipient_unit=p["recipient_unit"],
                recipient_name=p["recipient_name"],
                note=p["note"],
                idempotency_key=p["key"],
                entered_by=entered_by,
                entered_at=now,
            )
            for p in new
        ],
        batch_size=500,
    )
    balance_rows: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    kind_rows: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for p in new:
        totals = balance_rows[(p["item"].pk, p["unit"].pk)]
        column = DonationEntry.Stage.values.index(p["stage"])
        totals[column] += p["quantity_minor"]
        if p["stage"] == DonationEntry.Stage.RECEIVED:
            totals[3] += p["estimate_minor"] or 0
        if p["donor_kind"]:
            kind = kind_rows[(p["item"].pk, p["donor_kind"])]
            kind[column] += p["quantity_minor"]
            kind[2] += int(p["stage"] == DonationEntry.Stage.RECEIVED)
    _upsert(
        DonationBalance._meta.db_table,
        ("item_id", "unit_id"),
        ("pledged_minor", "received_minor", "estimate_minor"),
        [
            (item_id, unit_id, drive.pk, 0, t[0], t[1], t[3])
            for (item_id, unit_id), t in balance_rows.items()
        ],
        fixed=("drive_id", "distributed_minor"),
    )
    # Distributions apart, as an UPDATE of the row the receipts made: a database checks the
    # row an upsert proposes (nothing received, something distributed) before it sees the
    # conflict, and would refuse it.
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {DonationBalance._meta.db_table} SET distributed_minor = distributed_minor + %s"
            " WHERE item_id = %s AND unit_id = %s",
            [
                (t[2], item_id, unit_id)
                for (item_id, unit_id), t in sorted(balance_rows.items())
                if t[2]
            ],
        )
    _upsert(
        "drives_donorkindtotal",
        ("item_id", "donor_kind"),
        ("pledged_minor", "received_minor", "gifts"),
        [(item_id, kind, *t) for (item_id, kind), t in kind_rows.items()],
    )
    indicator_of = {
        "pledged": "pledged_indicator",
        "received": "received_indicator",
        "distributed": "distributed_indicator",
    }
    indicator_codes = {
        i.pk: i.code for i in movement.indicators.all()
    }  # one query for every item's three
    report_rows = [
        ReportRow(
            unit=p["unit"].code,
            indicator=indicator_codes[getattr(p["item"], indicator_of[p["stage"]] + "_id")],
            day=p["day"],
            quantity=p["item"].quantity(p["quantity_minor"]),
            idempotency_key=f"drives:donation:{entry.pk}",
        )
        for p, entry in zip(new, entries, strict=True)
    ]
    _post_to_ledger(
        movement,
        report_rows,
        source,
        {n: p["number"] for n, p in enumerate(new, start=1)},
    )
    by_key = {e.idempotency_key: e.pk for e in entries} | {k: e.pk for k, e in existing.items()}
    return DonationResult(
        created=len(new),
        replayed=replayed,
        entry_ids=[by_key.get(ids_by_number[p["number"]]) for p in prepared],
    )


def _same_entry(stored, p: dict) -> bool:
    if isinstance(stored, dict):
        return all(stored[k] == p[k] for k in ("item", "stage", "unit", "day", "quantity_minor"))
    return (
        stored.item_id == p["item"].pk
        and stored.stage == p["stage"]
        and stored.unit_id == p["unit"].pk
        and stored.day == p["day"]
        and stored.quantity_minor == p["quantity_minor"]
    )


# --- volunteer calls --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaceSpec:
    unit: str
    capacity: int
    role: str = ""


@audited("drives.create_volunteer_call")
def create_volunteer_call(
    *,
    movement: Movement,
    quota: int,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    at_quota: str = VolunteerCall.AtQuota.CLOSE,
    min_age: int | None = None,
    max_age: int | None = None,
    skills: Sequence[str] = (),
    asks_gender: bool = False,
    asks_age_band: bool = False,
    roles: Sequence[tuple[str, str]] = (),
    places: Sequence[PlaceSpec] = (),
) -> VolunteerCall:
    """Make a draft movement a volunteer call: the indicators "signups" and "placements"
    (persons) count its volunteers where they live and where they are placed."""
    _require_draft(movement)
    if hasattr(movement, "volunteer_call"):
        raise StateError("This movement has a volunteer call already.")
    if quota <= 0:
        _refuse("quota", "the quota must be more than zero")
    if at_quota not in VolunteerCall.AtQuota.values:
        _refuse("at_quota", f"one of {', '.join(VolunteerCall.AtQuota.values)}")
    if closes_at <= opens_at:
        _refuse("closes_at", "the call must close after it opens")
    zone = zoneinfo.ZoneInfo(movement.time_zone)
    if not (
        movement.starts_on
        <= opens_at.astimezone(zone).date()
        <= (closes_at - dt.timedelta(microseconds=1)).astimezone(zone).date()
        <= movement.ends_on
    ):
        _refuse("opens_at", "the call's window must lie inside the movement's period")
    if min_age is not None and max_age is not None and max_age < min_age:
        _refuse("max_age", "the upper age is below the lower age")
    signups = movements.add_indicator(
        movement=movement, code="signups", name="Volunteers signed up", unit_of_measure="persons"
    )
    placements = movements.add_indicator(
        movement=movement, code="placements", name="Volunteers placed", unit_of_measure="persons"
    )
    call = VolunteerCall.objects.create(
        movement=movement,
        quota=quota,
        at_quota=at_quota,
        opens_at=opens_at,
        closes_at=closes_at,
        min_age=min_age,
        max_age=max_age,
        skills=[s.strip() for s in skills if s.strip()],
        asks_gender=asks_gender,
        asks_age_band=asks_age_band,
        signups_indicator=signups,
        placements_indicator=placements,
    )
    CallRole.objects.bulk_create(CallRole(call=call, code=c, name=n) for c, n in roles)
    if places:
        add_call_places(call=call, places=places)
    return call


@audited("drives.add_call_places")
def add_call_places(*, call: VolunteerCall, places: Sequence[PlaceSpec]) -> list[CallPlace]:
    """Units that need volunteers, each with a capacity (and optionally a role)."""
    movement = Movement.objects.get(pk=call.movement_id)
    scope = _scope_paths(movement)
    units = _units_by_code(p.unit.strip() for p in places)
    roles = {r.code: r for r in call.roles.all()}
    errors: list[RowError] = []
    for number, spec in enumerate(places, start=1):
        errors += _unit_errors(
            number, "unit", spec.unit.strip(), units.get(spec.unit.strip()), scope
        )
        if spec.capacity <= 0:
            errors.append(RowError(number, "capacity", "the capacity must be more than zero"))
        if spec.role and spec.role not in roles:
            errors.append(
                RowError(number, "role", f"no role {spec.role!r} in this call", "not_found")
            )
    raise_for_rows(errors, what="place", total=len(places))
    try:
        with transaction.atomic():
            return CallPlace.objects.bulk_create(
                CallPlace(
                    call=call,
                    unit=units[spec.unit.strip()],
                    role=roles.get(spec.role),
                    capacity=spec.capacity,
                )
                for spec in places
            )
    except IntegrityError:
        raise ValidationFailed("One of these places exists already (unit and role).") from None


@dataclass(frozen=True, slots=True)
class SignUpRow:
    """One volunteer. `unit` is where they live or work (a unit code in the call's scope);
    for a member it may be left empty (the member's unit). Fields the call does not ask for
    are not kept; an exact age is used for the eligibility check only (the call's age band
    is kept when it asks for one). `signed_up_at` is for imports of paper forms."""

    unit: str = ""
    full_name: str = ""
    contact: str = ""
    member: str = ""
    role: str = ""
    gender: str = ""
    age: object = None
    age_band: str = ""
    skill: str = ""
    signed_up_at: dt.datetime | None = None
    idempotency_key: str | None = None


@dataclass
class SignUpResult:
    created: int = 0
    replayed: int = 0
    waitlisted: int = 0
    codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _CallNow:
    """What a sign-up reads of its call at the start of its transaction, in one statement:
    the movement (slug, status, time zone, public), the quota and the count against it,
    whether a post to the ledger is due, the movement's scope and the call's roles."""

    movement: Movement
    quota: int
    at_quota: str
    active: int
    post_due: bool
    scope: list[str]
    roles: dict[str, CallRole]


def _call_now(call: VolunteerCall) -> _CallNow:
    """Read the call as it stands and hold it until commit. On SQLite the transaction's
    BEGIN IMMEDIATE already holds the database's one write lock; on PostgreSQL the call's
    row is locked here, so every sign-up of the call checks duplicates, keys and the quota
    with no other sign-up of the call in between (a retry racing its first send waits and
    gets the first code rather than a unique-key error)."""
    lock = " FOR UPDATE OF c" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.slug, m.status, m.time_zone, m.is_public, c.quota, c.at_quota,"
            " c.active_count, c.posted_at IS NULL OR c.posted_at < %s, s.path, r.id, r.code,"
            " r.name"
            " FROM drives_volunteercall c JOIN movements_movement m ON m.id = c.movement_id"
            " LEFT JOIN movements_movement_scope ms ON ms.movement_id = m.id"
            " LEFT JOIN units_unit s ON s.id = ms.unit_id"
            " LEFT JOIN drives_callrole r ON r.call_id = c.id"
            f" WHERE c.id = %s{lock}",
            [connection.ops.adapt_datetimefield_value(timezone.now() - POST_EVERY), call.pk],
        )
        found = cursor.fetchall()
    if not found:
        raise StateError("This volunteer call no longer exists.")
    pk, slug, status, time_zone, is_public, quota, at_quota, active, post_due = found[0][:9]
    movement = from_row(
        Movement,
        {"id": pk, "slug": slug, "status": status, "time_zone": time_zone, "is_public": is_public},
    )
    # One row per scope unit × role: the joins multiply, the sets do not.
    scope = sorted({row[9] for row in found if row[9] is not None})
    roles = {
        code: CallRole(id=role_id, call_id=call.pk, code=code, name=name)
        for role_id, code, name in sorted({row[10:] for row in found if row[10] is not None})
    }
    return _CallNow(movement, quota, at_quota, active, bool(post_due), scope, roles)


def _may_sign_up(actor, movement: Movement) -> list[str] | None:
    """Paths where the actor may sign people up (members: PARTICIPATE, unit heads: PLAN);
    None for an anonymous visitor (public calls only, for themselves, not for members)."""
    if not actor.is_authenticated:
        return None
    paths = set(actor.paths(Capability.PARTICIPATE, movement)) | set(
        actor.paths(Capability.PLAN, movement)
    )
    return sorted(paths)


@audited("drives.sign_up")
def sign_up(
    *,
    call: VolunteerCall,
    rows: Sequence[SignUpRow],
    source: str = "web",
    entered_by=None,
    post: bool | None = None,
) -> SignUpResult:
    """Sign volunteers up, all rows or none.

    Guarantees: one sign-up per person and call (a member, or a contact however it is
    written), refused as a duplicate — by the check here and by a unique constraint in the
    database; a retried submission (the same idempotency key) gets the first one's code
    back and counts nothing. Eligibility (window, age range, skills, roles) is checked per
    row. At the quota the call's setting decides: "close" refuses the rows beyond it, and
    "waitlist" keeps them on the waiting list. Live counts by day, unit subtree and the
    call's breakdowns change in the same transaction; the movement's ledger gets the new
    sign-ups at once when `post` is true, and otherwise at most POST_EVERY later.

    Cost: a new sign-up is 7 short statements inside the transaction (the call as it
    stands, its units, stored keys and persons, the insert, the call's counters, the live
    totals, the audit row) and a retry 4, plain SQL where the ORM's query compilation cost
    more than the query: bursts of public sign-ups hold SQLite's one write lock briefly.
    tests/drives/test_api.py pins the count.
    """
    state = _call_now(call)
    movement = state.movement
    note(movement=movement)
    _require_launched(movement)
    if not rows:
        return SignUpResult()
    if len(rows) > MAX_SIGNUP_ROWS:
        _refuse("rows", f"at most {MAX_SIGNUP_ROWS:,} sign-ups per call", "too_many")
    actor = current_actor()
    if entered_by is None and actor.user is not None and not actor.is_system:
        entered_by = actor.user
    may = _may_sign_up(actor, movement)
    if not may and movement.is_public:
        may = None  # a visitor, or a signed-in person without rights here: for themselves
    if may is None and not movement.is_public:
        raise StateError("This call takes sign-ups from signed-in members only.")
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(movement.time_zone)
    roles = state.roles
    units = _units_by_code(r.unit.strip() for r in rows)
    member_codes = {r.member.strip() for r in rows if r.member.strip()}
    members = (
        {
            m.external_id: m
            for m in Member.objects.filter(external_id__in=member_codes)
            .select_related("unit")
            .order_by()
        }
        if member_codes
        else {}
    )
    scope = state.scope
    errors: list[RowError] = []
    prepared: list[dict] = []
    in_batch: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        before = len(errors)
        member = None
        if row.member.strip():
            if may is None:
                errors.append(
                    RowError(number, "member", "sign in to sign a member up", "not_permitted")
                )
            else:
                member = members.get(row.member.strip())
                if member is None:
                    errors.append(
                        RowError(number, "member", f"no member {row.member.strip()!r}", "not_found")
                    )
        unit_code = row.unit.strip() or (member.unit.code if member is not None else "")
        unit = units.get(unit_code) or (member.unit if member is not None else None)
        if member is not None and unit is not None and member.unit_id != unit.pk:
            errors.append(
                RowError(
                    number, "unit", f"{row.member} is a member of {member.unit.code}", "mismatch"
                )
            )
        errors += _unit_errors(
            number, "unit", unit_code, unit, scope, may=may, verb="sign volunteers up"
        )
        full_name = (row.full_name or "").strip() or (member.full_name if member else "")
        if not full_name:
            errors.append(RowError(number, "full_name", "a name is required", "required"))
        contact = (row.contact or "").strip()
        if member is not None:
            identity = domain.member_identity(member.pk)
        elif not domain.normalise_contact(contact).strip("+"):
            identity = ""
            errors.append(
                RowError(
                    number, "contact", "a phone number or e-mail address is required", "required"
                )
            )
        else:
            identity = domain.contact_identity(call.pk, contact)
        signed_up_at = row.signed_up_at or now
        if row.signed_up_at is not None and not actor.is_system:
            errors.append(RowError(number, "signed_up_at", "set by the system", "not_permitted"))
        if signed_up_at < call.opens_at:
            errors.append(RowError(number, "signed_up_at", "the call is not open yet", "not_open"))
        elif signed_up_at >= call.closes_at:
            errors.append(RowError(number, "signed_up_at", "the call is closed", "closed"))
        elif signed_up_at > now:
            errors.append(RowError(number, "signed_up_at", "in the future", "future"))
        role = None
        if roles:
            role = roles.get(row.role.strip())
            if role is None:
                errors.append(
                    RowError(
                        number,
                        "role",
                        f"choose one of: {', '.join(roles)}" if row.role else "choose a role",
                        "required" if not row.role else "invalid",
                    )
                )
        gender = ""
        if call.asks_gender:
            gender = row.gender.strip().lower()
            if gender not in domain.GENDERS:
                errors.append(
                    RowError(number, "gender", f"one of: {', '.join(domain.GENDERS)}", "required")
                )
        band = ""
        if call.min_age is not None or call.max_age is not None or call.asks_age_band:
            band, age_errors = _age(number, row, call)
            errors += age_errors
        skill = ""
        if call.skills:
            skill = row.skill.strip()
            if skill not in call.skills:
                errors.append(
                    RowError(number, "skill", f"one of: {', '.join(call.skills)}", "required")
                )
        key, key_error = _key(row.idempotency_key, number)
        if key_error:
            errors.append(key_error)
        if identity and len(errors) == before:
            if identity in in_batch:
                errors.append(
                    RowError(
                        number,
                        "contact" if member is None else "member",
                        f"the same person as row {in_batch[identity]}",
                        "duplicate",
                    )
                )
                continue
            in_batch[identity] = number
            prepared.append(
                {
                    "number": number,
                    "identity": identity,
                    "member": member,
                    "full_name": full_name[:200],
                    "contact": contact[:200] if member is None else "",
                    "unit": unit,
                    "role": role,
                    "gender": gender,
                    "age_band": band if call.asks_age_band else "",
                    "skill": skill,
                    "signed_up_at": signed_up_at,
                    "day": signed_up_at.astimezone(zone).date(),
                    "key": key,
                }
            )
    raise_for_rows(errors, what="sign-up", total=len(rows))
    return _record_signups(call, state, prepared, len(rows), source, entered_by, post)


def _age(number: int, row: SignUpRow, call: VolunteerCall) -> tuple[str, list[RowError]]:
    low, high = call.min_age, call.max_age
    wanted = f"{low if low is not None else 0}–{high if high is not None else '…'}"
    if row.age not in (None, ""):
        try:
            age = int(str(row.age).strip())
            if not 0 < age < 130:
                raise ValueError
        except ValueError:
            return "", [RowError(number, "age", "an age in whole years", "invalid")]
        if (low is not None and age < low) or (high is not None and age > high):
            return "", [RowError(number, "age", f"this call is for ages {wanted}", "not_eligible")]
        return domain.age_band(age), []
    band = row.age_band.strip()
    if band:
        if band not in domain.AGE_BAND_CODES:
            return "", [RowError(number, "age_band", f"one of: {', '.join(domain.AGE_BAND_CODES)}")]
        if not domain.band_fits(band, low, high):
            return "", [
                RowError(number, "age_band", f"this call is for ages {wanted}", "not_eligible")
            ]
        return band, []
    return "", [RowError(number, "age", "your age is needed for this call", "required")]


def _record_signups(
    call: VolunteerCall,
    state: _CallNow,
    prepared: list[dict],
    total: int,
    source: str,
    entered_by,
    post: bool | None,
) -> SignUpResult:
    errors: list[RowError] = []
    by_key, by_identity = _stored(
        call, [p["key"] for p in prepared], [p["identity"] for p in prepared]
    )
    new: list[dict] = []
    result = SignUpResult()
    outcome: dict[int, tuple[str, str]] = {}
    for p in prepared:
        stored = by_key.get(p["key"])
        if stored is not None:
            if stored[0] == p["identity"]:
                outcome[p["number"]] = (stored[1], "replayed")
                result.replayed += 1
            else:
                errors.append(
                    RowError(
                        p["number"],
                        "idempotency_key",
                        f"key {p['key']!r} was already used for another sign-up",
                        "idempotency_conflict",
                    )
                )
        elif p["identity"] in by_identity:
            errors.append(
                RowError(
                    p["number"],
                    "contact" if p["member"] is None else "member",
                    "this person has already signed up for this call",
                    "duplicate",
                )
            )
        else:
            new.append(p)
    raise_for_rows(errors, what="sign-up", total=total)
    if new:
        # The count against the quota was read under the call's lock (see _call_now).
        admitted, waiting, refused = domain.admit(
            active=state.active, quota=state.quota, at_quota=state.at_quota, count=len(new)
        )
        if refused:
            for p in new[admitted:]:
                errors.append(
                    RowError(
                        p["number"],
                        "call",
                        f"the call has reached its quota of {state.quota:,} and is closed",
                        "quota_reached",
                    )
                )
            raise_for_rows(errors, what="sign-up", total=total)
        _insert_signups(call, new, admitted, entered_by)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE drives_volunteercall SET active_count = active_count + %s,"
                " waitlisted_count = waitlisted_count + %s WHERE id = %s",
                [admitted, waiting, call.pk],
            )
        result.waitlisted = waiting
        _count(call, [(p["unit"], p["day"], _buckets_of(p)) for p in new])
        for index, p in enumerate(new):
            outcome[p["number"]] = (
                p["code"],
                domain.SIGNED_UP if index < admitted else domain.WAITLISTED,
            )
    result.created = len(new)
    for p in prepared:
        code, status = outcome[p["number"]]
        result.codes.append(code)
        result.statuses.append(status)
    if new and (post or (post is None and state.post_due)):
        post_to_ledger(call=call, source=source)
    return result


def _stored(
    call: VolunteerCall, keys: list[str], identities: list[str]
) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Sign-ups already stored under these idempotency keys (any call: a key is unique
    everywhere), as key → (identity, code), and of these persons in this call, as
    identity → code; one statement per 450 rows, each side served by its unique index."""
    wanted_keys, wanted_identities = set(keys), set(identities)
    by_key: dict[str, tuple[str, str]] = {}
    by_identity: dict[str, str] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 450):
            some_keys = keys[start : start + 450]
            some_identities = identities[start : start + 450]
            cursor.execute(
                "SELECT idempotency_key, identity, code, call_id FROM drives_signup"
                f" WHERE idempotency_key IN ({_marks(some_keys)})"
                f" OR (call_id = %s AND identity IN ({_marks(some_identities)}))",
                [*some_keys, call.pk, *some_identities],
            )
            for key, identity, code, call_id in cursor.fetchall():
                if key in wanted_keys:
                    by_key[key] = (identity, code)
                if call_id == call.pk and identity in wanted_identities:
                    by_identity[identity] = code
    return by_key, by_identity


def _buckets_of(p: dict) -> list[str]:
    return domain.buckets(
        gender=p["gender"],
        age_band=p["age_band"],
        role=p["role"].code if p["role"] is not None else "",
        skill=p["skill"],
    )


def _insert_signups(call: VolunteerCall, new: list[dict], admitted: int, entered_by) -> None:
    """Plain executemany: for the demo's 740,000 rows, model instances cost more than the
    insert. A collision of confirmation codes (1 in 10^14 per pair) fails the unique index,
    and the whole batch with it, rather than passing silently."""
    columns = (
        "call_id",
        "code",
        "identity",
        "member_id",
        "full_name",
        "contact",
        "unit_id",
        "role_id",
        "gender",
        "age_band",
        "skill",
        "status",
        "place_id",
        "day",
        "signed_up_at",
        "placed_on",
        "entered_by_id",
        "idempotency_key",
    )
    user_id = entered_by.pk if entered_by is not None else None
    adapt = connection.ops.adapt_datetimefield_value
    values = []
    for index, p in enumerate(new):
        p["code"] = domain.confirmation_code()
        values.append(
            (
                call.pk,
                p["code"],
                p["identity"],
                p["member"].pk if p["member"] is not None else None,
                p["full_name"],
                p["contact"],
                p["unit"].pk,
                p["role"].pk if p["role"] is not None else None,
                p["gender"],
                p["age_band"],
                p["skill"],
                domain.SIGNED_UP if index < admitted else domain.WAITLISTED,
                None,
                p["day"],
                adapt(p["signed_up_at"]),
                None,
                user_id,
                p["key"],
            )
        )
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {SignUp._meta.db_table} ({', '.join(columns)}) VALUES ({placeholders})",
            values,
        )


def _count(call: VolunteerCall, counted: Iterable[tuple[Unit, dt.date, list[str]]]) -> None:
    """Add sign-ups (or placements) to the totals of their unit (own) and of every unit on
    the way to the root (subtree)."""
    own: dict[tuple, int] = defaultdict(int)
    subtree: dict[tuple, int] = defaultdict(int)
    for unit, day, names in counted:
        lineage = unit.lineage_ids
        for bucket in names:
            own[(unit.pk, bucket, day)] += 1
            for ancestor in lineage:
                subtree[(ancestor, bucket, day)] += 1
    _upsert(
        "drives_signuptotal",
        ("call_id", "unit_id", "bucket", "day"),
        ("own", "subtree", "posted"),
        [(call.pk, u, b, d, own.get((u, b, d), 0), n, 0) for (u, b, d), n in subtree.items()],
    )


@audited("drives.post_to_ledger")
def post_to_ledger(*, call: VolunteerCall, source: str = "web") -> int:
    """Record in the movement's ledger the sign-ups and placements counted since the last
    post, one report per unit × day × indicator; returns how many reports. Idempotent: the
    key of each report names the count it brings the unit's day to."""
    movement = Movement.objects.get(pk=call.movement_id)
    pending = _pending(call)
    rows = []
    for _pk, unit_code, unit_id, bucket, day, own, posted in pending:
        indicator = call.placements_indicator if bucket == "placed" else call.signups_indicator
        rows.append(
            ReportRow(
                unit=unit_code,
                indicator=indicator.code,
                day=day,
                quantity=own - posted,
                idempotency_key=f"drives:call:{call.pk}:{bucket or 'signups'}:{unit_id}:{day}:{own}",
            )
        )
    for start in range(0, len(rows), 10_000):
        _post_to_ledger(movement, rows[start : start + 10_000], source)
    if pending:
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE drives_signuptotal SET posted = posted + %s WHERE id = %s",
                [(own - posted, pk) for pk, _c, _u, _b, _d, own, posted in pending],
            )
    VolunteerCall.objects.filter(pk=call.pk).update(posted_at=timezone.now())
    return len(rows)


def _pending(call: VolunteerCall) -> list[tuple]:
    """Totals of this call with counts the ledger does not have yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, u.code, t.unit_id, t.bucket, t.day, t.own, t.posted"
            " FROM drives_signuptotal t JOIN units_unit u ON u.id = t.unit_id"
            " WHERE t.call_id = %s AND t.bucket IN ('', 'placed') AND t.own > t.posted"
            " ORDER BY t.unit_id, t.bucket, t.day",
            [call.pk],
        )
        rows = cursor.fetchall()
    return [
        (pk, code, unit_id, bucket, _as_date(day), own, posted)
        for pk, code, unit_id, bucket, day, own, posted in rows
    ]


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _signups_for_change(call: VolunteerCall, codes: Sequence[str]) -> dict[str, SignUp]:
    found = {
        s.code: s
        for s in SignUp.objects.select_for_update(of=("self",))
        .filter(call=call, code__in=codes)
        .select_related("unit", "place__unit")
    }
    errors = [
        RowError(n, "code", f"no sign-up {code!r} in this call", "not_found")
        for n, code in enumerate(codes, start=1)
        if code not in found
    ]
    raise_for_rows(errors, what="sign-up", total=len(codes))
    return found


def _require_on_signups(signups: Iterable[SignUp], movement: Movement) -> None:
    actor = current_actor()
    for signup in signups:
        require(actor, Capability.PLAN, signup.unit, movement)


@audited("drives.accept_signups")
def accept_signups(*, call: VolunteerCall, codes: Sequence[str]) -> int:
    """Signed up → accepted, for every code or none."""
    return _move(call, codes, domain.ACCEPTED)


@audited("drives.change_signup_status")
def change_signup_status(*, call: VolunteerCall, codes: Sequence[str], status: str) -> int:
    """Move sign-ups on: placed → serving → completed, or withdrawn from any open status.
    A withdrawal frees its place and its share of the quota; with a waiting list, the
    longest-waiting volunteer takes that share in the same transaction."""
    if status not in (domain.ACCEPTED, domain.SERVING, domain.COMPLETED, domain.WITHDRAWN):
        _refuse(
            "status", "accepted, serving, completed or withdrawn (placement has its own action)"
        )
    return _move(call, codes, status)


def _move(call: VolunteerCall, codes: Sequence[str], status: str) -> int:
    movement = Movement.objects.get(pk=call.movement_id)
    _require_launched(movement)
    signups = _signups_for_change(call, codes)
    _require_on_signups(signups.values(), movement)
    errors = [
        RowError(
            n,
            "status",
            f"a sign-up that is {signups[code].get_status_display().lower()} cannot become {status}",
            "invalid_transition",
        )
        for n, code in enumerate(codes, start=1)
        if not domain.may_move(signups[code].status, status)
    ]
    raise_for_rows(errors, what="sign-up", total=len(codes))
    freed = 0
    left_waiting = 0
    for signup in signups.values():
        if status == domain.WITHDRAWN:
            if signup.status in domain.COUNTS_AGAINST_QUOTA:
                freed += 1
            else:
                left_waiting += 1
            if signup.place_id is not None:
                CallPlace.objects.filter(pk=signup.place_id).update(
                    placed_count=F("placed_count") - 1
                )
                VolunteerCall.objects.filter(pk=call.pk).update(placed_count=F("placed_count") - 1)
                signup.place = None
        signup.status = status
    _update_signups(signups.values())
    if freed or left_waiting:
        VolunteerCall.objects.filter(pk=call.pk).update(
            active_count=F("active_count") - freed,
            waitlisted_count=F("waitlisted_count") - left_waiting,
        )
        if freed and call.at_quota == VolunteerCall.AtQuota.WAITLIST:
            _promote(call, freed)
    return len(signups)


def _update_signups(signups: Iterable[SignUp]) -> None:
    """Status, place and placement day of many sign-ups: one executemany (the ORM's
    bulk_update builds a CASE per row and cost seconds for a few thousand)."""
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {SignUp._meta.db_table} SET status = %s, place_id = %s, placed_on = %s"
            " WHERE id = %s",
            [(s.status, s.place_id, s.placed_on, s.pk) for s in signups],
        )


def _promote(call: VolunteerCall, places: int) -> None:
    waiting = list(
        SignUp.objects.select_for_update()
        .filter(call=call, status=domain.WAITLISTED)
        .order_by("id")
        .values_list("pk", flat=True)[:places]
    )
    if waiting:
        SignUp.objects.filter(pk__in=waiting).update(status=domain.SIGNED_UP)
        VolunteerCall.objects.filter(pk=call.pk).update(
            active_count=F("active_count") + len(waiting),
            waitlisted_count=F("waitlisted_count") - len(waiting),
        )


@dataclass(frozen=True, slots=True)
class PlacementRow:
    code: str
    place: int  # CallPlace id


@audited("drives.place_volunteers")
def place_volunteers(
    *,
    call: VolunteerCall,
    rows: Sequence[PlacementRow],
    day: dt.date | None = None,
    source: str = "web",
) -> int:
    """Accepted volunteers to places, all or none. A place never takes more volunteers than
    its capacity (checked here per place for the whole batch, and by a check constraint);
    a place for a role takes volunteers of that role only. Placements are counted at the
    place's unit on `day` (today by default) and posted to the movement's ledger."""
    movement = Movement.objects.get(pk=call.movement_id)
    _require_launched(movement)
    today = movement_today(movement)
    day = day or today
    if not movement.starts_on <= day <= min(movement.ends_on, today):
        _refuse("day", f"{day} is outside the movement's period or in the future")
    codes = [r.code for r in rows]
    signups = _signups_for_change(call, codes)
    places = {
        p.pk: p
        for p in CallPlace.objects.select_for_update(of=("self",))
        .filter(call=call, pk__in={r.place for r in rows})
        .select_related("unit", "role")
    }
    actor = current_actor()
    errors: list[RowError] = []
    taking: dict[int, int] = defaultdict(int)
    for number, row in enumerate(rows, start=1):
        signup = signups[row.code]
        place = places.get(row.place)
        if place is None:
            errors.append(
                RowError(number, "place", f"no place {row.place} in this call", "not_found")
            )
            continue
        require(actor, Capability.PLAN, place.unit, movement)
        if signup.status != domain.ACCEPTED:
            errors.append(
                RowError(
                    number,
                    "code",
                    f"{row.code} is {signup.get_status_display().lower()}; only accepted "
                    "volunteers are placed",
                    "invalid_transition",
                )
            )
        if place.role_id is not None and signup.role_id != place.role_id:
            errors.append(
                RowError(number, "place", f"{place} takes {place.role.name} only", "role_mismatch")
            )
        taking[place.pk] += 1
        if place.placed_count + taking[place.pk] > place.capacity:
            errors.append(
                RowError(
                    number,
                    "place",
                    f"{place} is full: capacity {place.capacity:,}, "
                    f"{place.placed_count:,} placed before this batch",
                    "over_capacity",
                )
            )
    raise_for_rows(errors, what="placement", total=len(rows))
    for row in rows:
        signup = signups[row.code]
        signup.status = domain.PLACED
        signup.place = places[row.place]
        signup.placed_on = day
    _update_signups(signups.values())
    for place_id, n in taking.items():
        CallPlace.objects.filter(pk=place_id).update(placed_count=F("placed_count") + n)
    VolunteerCall.objects.filter(pk=call.pk).update(placed_count=F("placed_count") + len(rows))
    _count(call, [(places[r.place].unit, day, ["placed"]) for r in rows])
    post_to_ledger(call=call, source=source)
    return len(rows)


# --- daily enlistment -------------------------------------------------------------------------


@audited("drives.create_enlistment_drive")
def create_enlistment_drive(
    *, movement: Movement, reporting_kind: str, roles: Sequence[tuple[str, str]]
) -> EnlistmentDrive:
    """Make a draft movement a daily enlistment: units of `reporting_kind` report each day
    the persons mobilised in each role; each role is an indicator (persons)."""
    _require_draft(movement)
    if not roles:
        _refuse("roles", "an enlistment needs at least one role", "required")
    kind = UnitKind.objects.filter(code=reporting_kind).first()
    if kind is None:
        _refuse("reporting_kind", f"no unit kind {reporting_kind!r}", "not_found")
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


# --- a unit moved ---------------------------------------------------------------------------


def _shift_subtree(*, unit: Unit, old_ancestor_ids: Sequence[int], new_ancestor_ids: Sequence[int]):
    """Receiver of `units.signals.unit_moved`, in the move's transaction: the moved unit's
    subtree counts (sign-ups, placements, enlistment returns) leave its old ancestors and
    join its new ones. (Donation totals by subtree are the ledger's, which shifts its own.)"""
    old, new = set(old_ancestor_ids), set(new_ancestor_ids)
    leaving, joining = sorted(old - new), sorted(new - old)
    if not leaving and not joining:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT call_id, bucket, day, subtree FROM drives_signuptotal"
            " WHERE unit_id = %s AND subtree != 0",
            [unit.pk],
        )
        signups = cursor.fetchall()
        cursor.execute(
            "SELECT drive_id, day, reported FROM drives_enlistmentcoverage"
            " WHERE unit_id = %s AND reported != 0",
            [unit.pk],
        )
        coverage = cursor.fetchall()
    for ancestors, sign in ((leaving, -1), (joining, 1)):
        _upsert(
            "drives_signuptotal",
            ("call_id", "unit_id", "bucket", "day"),
            ("own", "subtree", "posted"),
            [
                (call_id, a, bucket, day, 0, sign * n, 0)
                for call_id, bucket, day, n in signups
                for a in ancestors
            ],
        )
        _upsert(
            "drives_enlistmentcoverage",
            ("drive_id", "unit_id", "day"),
            ("reported",),
            [(drive_id, a, day, sign * n) for drive_id, day, n in coverage for a in ancestors],
        )
