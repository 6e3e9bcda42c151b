"""Named targets of a donation drive: the things an item's gifts buy, one after another."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, raise_for_rows
from pacesetter.core.quantities import QuantityError, parse_quantity, to_minor
from pacesetter.movements.models import Movement

from ..models import DonationDrive, DonationTarget
from ._shared import _refuse

MAX_TARGETS = 1_000


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A target: the item (its code) whose received gifts buy it, its name and its price in
    the item's measure (money in its currency, goods in their unit)."""

    item: str
    name: str
    price: object


@audited("drives.add_donation_targets")
def add_donation_targets(
    *, drive: DonationDrive, targets: Sequence[TargetSpec]
) -> list[DonationTarget]:
    """Append named targets to the drive, after those each item has, in the order given;
    all or none. Needs ORGANISE on the movement, which is not closed: a drive names its next
    target while it runs. A target, once named, is not changed (what was reached stays
    reached): a new one is added after it."""
    movement = Movement.objects.select_related("organiser").get(pk=drive.movement_id)
    note(movement=movement)
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    if movement.status == Movement.Status.CLOSED:
        raise StateError(f"Movement {movement.slug!r} is closed: its targets stay as they were.")
    if not targets:
        _refuse("targets", "at least one target", "required")
    if len(targets) > MAX_TARGETS:
        _refuse("targets", f"at most {MAX_TARGETS:,} targets at once", "too_many")
    items = {item.code: item for item in drive.items.all()}
    stored = list(DonationTarget.objects.filter(drive=drive).values_list("item_id", "name"))
    names = defaultdict(set)
    for item_id, name in stored:
        names[item_id].add(name.casefold())
    last = dict(
        DonationTarget.objects.filter(drive=drive)
        .values_list("item_id")
        .annotate(last=Max("position"))
        .values_list("item_id", "last")
    )
    errors: list[RowError] = []
    made: list[DonationTarget] = []
    for number, spec in enumerate(targets, start=1):
        item = items.get(spec.item.strip())
        if item is None:
            errors.append(
                RowError(number, "item", f"no item {spec.item!r} in this drive", "not_found")
            )
            continue
        name = spec.name.strip()
        if not name:
            errors.append(RowError(number, "name", "a name is required", "required"))
        elif len(name) > 200:
            errors.append(RowError(number, "name", "at most 200 characters", "too_long"))
        elif name.casefold() in names[item.pk]:
            errors.append(
                RowError(number, "name", f"{item.name} has a target {name!r} already", "exists")
            )
        try:
            price = to_minor(parse_quantity(spec.price, item.decimal_places), item.decimal_places)
        except QuantityError as exc:
            errors.append(RowError(number, "price", str(exc)))
            continue
        if price <= 0:
            errors.append(RowError(number, "price", "a price is more than zero"))
            continue
        names[item.pk].add(name.casefold())
        last[item.pk] = last.get(item.pk, 0) + 1
        made.append(
            DonationTarget(
                drive=drive, item=item, position=last[item.pk], name=name, price_minor=price
            )
        )
    raise_for_rows(errors, what="target", total=len(targets))
    return DonationTarget.objects.bulk_create(made)
