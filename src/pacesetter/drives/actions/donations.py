"""Donation drives: their items, and the ledger of gifts pledged, received and distributed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, raise_for_rows
from pacesetter.core.locks import pair_locks
from pacesetter.core.quantities import (
    MAX_DECIMAL_PLACES,
    QuantityError,
    parse_quantity,
    to_minor,
)
from pacesetter.ledger.actions import ReportRow
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Member

from .. import domain
from ..models import ESTIMATE_PLACES, DonationBalance, DonationDrive, DonationEntry, DonationItem
from ._shared import (
    _code_name_errors,
    _day_errors,
    _key,
    _parse_day,
    _post_to_ledger,
    _refuse,
    _require_draft,
    _require_launched,
    _scope_paths,
    _unit_errors,
    _units_by_code,
    _upsert,
)

MAX_DONATION_ROWS = 10_000


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
    received, distributed) in the item's unit of measure, or its currency for money. Needs
    ORGANISE on the movement; all items are checked before anything is written."""
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    _require_draft(movement)
    if hasattr(movement, "donation_drive"):
        raise StateError("This movement is a donation drive already.")
    if not items:
        _refuse("items", "a donation drive needs at least one item", "required")
    if estimate_currency.strip() and len(estimate_currency.strip()) != 3:
        _refuse("estimate_currency", "a 3-letter currency code")
    raise_for_rows(_item_errors(movement, items), what="item", total=len(items))
    drive = DonationDrive.objects.create(
        movement=movement, estimate_currency=estimate_currency.strip().upper()
    )
    for position, spec in enumerate(items):
        money = spec.kind == DonationItem.Kind.MONEY
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


def _item_errors(movement: Movement, items: Sequence[ItemSpec]) -> list[RowError]:
    """Every bad item at once, numbered from 1 as given."""
    taken = {
        code.rsplit("-", 1)[0]
        for code in movement.indicators.values_list("code", flat=True)
        if code.endswith(tuple(f"-{stage}" for stage in DonationEntry.Stage.values))
    }
    errors = _code_name_errors([(i.code, i.name) for i in items], taken=taken)
    for number, spec in enumerate(items, start=1):
        if spec.kind not in DonationItem.Kind.values:
            errors.append(RowError(number, "kind", f"one of {', '.join(DonationItem.Kind.values)}"))
        elif spec.kind == DonationItem.Kind.MONEY and len(spec.currency.strip()) != 3:
            errors.append(
                RowError(number, "currency", "a money item needs a 3-letter currency code")
            )
        elif spec.kind != DonationItem.Kind.MONEY and not spec.unit_of_measure.strip():
            errors.append(
                RowError(
                    number, "unit_of_measure", "an item in kind needs a unit of measure", "required"
                )
            )
        elif len(spec.unit_of_measure.strip()) > 32:
            errors.append(RowError(number, "unit_of_measure", "at most 32 characters", "too_long"))
        if not 0 <= spec.decimal_places <= MAX_DECIMAL_PLACES:
            errors.append(RowError(number, "decimal_places", f"between 0 and {MAX_DECIMAL_PLACES}"))
    return errors


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
                # A key repeated within the batch names the row that used it first.
                used = (
                    f"is used by row {stored['number']}"
                    if isinstance(stored, dict)
                    else "was already used"
                )
                errors.append(
                    RowError(
                        p["number"],
                        "idempotency_key",
                        f"key {p['key']!r} {used} for a different donation entry",
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
