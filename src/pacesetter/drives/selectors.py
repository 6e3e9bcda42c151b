"""Reads for drive pages, the API and the CLI, each in a bounded number of queries, from the
aggregates (the ledger's subtree totals, the drive's own counters), never by scanning the
entries or sign-ups."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from pacesetter.ledger.models import SubtreeDailyTotal, SubtreePeriodTotal
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Unit

from . import domain
from .models import (
    ESTIMATE_PLACES,
    CallPlace,
    DonationBalance,
    DonationDrive,
    DonationEntry,
    DonationItem,
    DonationTarget,
    DonorKindTotal,
    EnlistmentCoverage,
    EnlistmentDrive,
    EnlistmentReturn,
    SignUp,
    SignUpTotal,
    VolunteerCall,
)


def drive_kinds(movement: Movement) -> list[str]:
    """Which drives a movement carries ("donations", "volunteers", "enlistment"); one query."""
    found = Movement.objects.filter(pk=movement.pk).values_list(
        "donation_drive", "volunteer_call", "enlistment_drive"
    )
    donation, call, enlistment = found.get()
    return [
        name
        for name, present in (
            ("donations", donation),
            ("volunteers", call),
            ("enlistment", enlistment),
        )
        if present is not None
    ]


def drives_list(movement_q: Q | None = None) -> list[tuple[Movement, list[str]]]:
    """Movements that carry a drive, with the kinds; one query."""
    movements = (
        Movement.objects.filter(
            Q(donation_drive__isnull=False)
            | Q(volunteer_call__isnull=False)
            | Q(enlistment_drive__isnull=False)
        )
        .filter(movement_q or Q())
        .select_related("donation_drive", "volunteer_call", "enlistment_drive")
        .distinct()
        .order_by("-starts_on", "title")
    )
    result = []
    for movement in movements:
        kinds = []
        for name, attr in (
            ("donations", "donation_drive"),
            ("volunteers", "volunteer_call"),
            ("enlistment", "enlistment_drive"),
        ):
            try:
                getattr(movement, attr)
                kinds.append(name)
            except Exception:
                pass
        result.append((movement, kinds))
    return result


# --- donations --------------------------------------------------------------------------------


@dataclass
class DonorKindFigures:
    donor_kind: str
    label: str
    pledged: Decimal
    received: Decimal
    gifts: int


@dataclass
class ItemFigures:
    item: DonationItem
    pledged: Decimal
    received: Decimal
    distributed: Decimal
    by_donor_kind: list[DonorKindFigures] = field(default_factory=list)

    @property
    def held(self) -> Decimal:
        return self.received - self.distributed

    @property
    def received_of_pledged(self) -> Decimal | None:
        return self.received * 100 / self.pledged if self.pledged else None


@dataclass
class DonationOverview:
    drive: DonationDrive
    unit: Unit
    items: list[ItemFigures]
    estimate_minor: int

    @property
    def estimate(self) -> Decimal:
        return Decimal(self.estimate_minor).scaleb(-ESTIMATE_PLACES)


def donation_overview(*, drive: DonationDrive, unit: Unit) -> DonationOverview:
    """Pledged, received and distributed per item over the unit's subtree (the ledger's
    period totals), and the drive's gifts by donor kind; four queries."""
    items = list(drive.items.all())
    indicator_ids = [
        i
        for item in items
        for i in (
            item.pledged_indicator_id,
            item.received_indicator_id,
            item.distributed_indicator_id,
        )
    ]
    totals = dict(
        SubtreePeriodTotal.objects.filter(
            unit=unit,
            indicator_id__in=indicator_ids,
            period__movement_id=drive.movement_id,
            period__is_whole=True,
        ).values_list("indicator_id", "quantity_minor")
    )
    kinds: dict[int, list[DonorKindFigures]] = defaultdict(list)
    labels = dict(DonationEntry.DonorKind.choices)
    by_item = {item.pk: item for item in items}
    for total in DonorKindTotal.objects.filter(item__in=items).order_by("item", "donor_kind"):
        item = by_item[total.item_id]
        kinds[item.pk].append(
            DonorKindFigures(
                total.donor_kind,
                labels[total.donor_kind],
                item.quantity(total.pledged_minor),
                item.quantity(total.received_minor),
                total.gifts,
            )
        )
    estimate = (
        DonationBalance.objects.filter(drive=drive, unit__path__startswith=unit.path).aggregate(
            total=Sum("estimate_minor")
        )["total"]
        or 0
    )
    return DonationOverview(
        drive=drive,
        unit=unit,
        items=[
            ItemFigures(
                item=item,
                pledged=item.quantity(totals.get(item.pledged_indicator_id)),
                received=item.quantity(totals.get(item.received_indicator_id)),
                distributed=item.quantity(totals.get(item.distributed_indicator_id)),
                by_donor_kind=kinds[item.pk],
            )
            for item in items
        ],
        estimate_minor=estimate,
    )


@dataclass
class TargetFigures:
    target: DonationTarget
    progress: domain.TargetProgress

    @property
    def price(self) -> Decimal:
        return self.target.item.quantity(self.target.price_minor)

    @property
    def gathered(self) -> Decimal:
        return self.target.item.quantity(self.progress.gathered)

    @property
    def reached_at(self) -> Decimal:
        return self.target.item.quantity(self.progress.reached_at)


@dataclass
class TargetsOverview:
    targets: list[TargetFigures]

    @property
    def reached(self) -> list[TargetFigures]:
        return [t for t in self.targets if t.progress.reached]

    @property
    def next(self) -> TargetFigures | None:
        """The target being gathered for: the first not reached (None: all are)."""
        return next((t for t in self.targets if not t.progress.reached), None)


def donation_targets(*, drive: DonationDrive) -> TargetsOverview:
    """The drive's named targets in order, each with the day the item's gifts received over
    the whole drive (the organiser's subtree) reached it and what is gathered toward it;
    two queries (the targets, the daily totals of their items)."""
    targets = list(
        DonationTarget.objects.filter(drive=drive)
        .select_related("item")
        .order_by("item__position", "item_id", "position")
    )
    if not targets:
        return TargetsOverview([])
    indicator_of = {t.item.received_indicator_id: t.item_id for t in targets}
    daily: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for indicator_id, day, quantity in SubtreeDailyTotal.objects.filter(
        unit_id=drive.movement.organiser_id, indicator_id__in=indicator_of
    ).values_list("indicator_id", "day", "quantity_minor"):
        daily[indicator_of[indicator_id]].append((day, int(quantity)))
    by_item: dict[int, list[DonationTarget]] = defaultdict(list)
    for target in targets:
        by_item[target.item_id].append(target)
    figures = []
    for item_id, item_targets in by_item.items():
        progress = domain.targets_progress([t.price_minor for t in item_targets], daily[item_id])
        figures += [TargetFigures(t, p) for t, p in zip(item_targets, progress, strict=True)]
    return TargetsOverview(figures)


def recent_entries(
    *, drive: DonationDrive, unit: Unit, offset: int = 0, limit: int = 25
) -> list[DonationEntry]:
    """The subtree's donation entries, latest first, `limit` of them from `offset`."""
    return list(
        DonationEntry.objects.filter(drive=drive, unit__path__startswith=unit.path)
        .select_related("item", "unit", "donor_member", "donor_unit", "recipient_unit")
        .order_by("-id")[offset : offset + limit]
    )


def balances(
    *, drive: DonationDrive, unit: Unit, offset: int = 0, limit: int = 50
) -> list[DonationBalance]:
    """What units of the subtree hold, largest holdings first, `limit` from `offset`."""
    return list(
        DonationBalance.objects.filter(drive=drive, unit__path__startswith=unit.path)
        .select_related("item", "unit")
        .order_by("item__position", "-received_minor", "unit__code", "id")[offset : offset + limit]
    )


def receipt_entry(*, drive: DonationDrive, entry_id: int) -> DonationEntry | None:
    return (
        DonationEntry.objects.filter(drive=drive, pk=entry_id)
        .exclude(stage=DonationEntry.Stage.DISTRIBUTED)
        .select_related("item", "unit", "donor_member", "donor_unit", "drive__movement")
        .first()
    )


# --- volunteer calls --------------------------------------------------------------------------


@dataclass
class CallOverview:
    call: VolunteerCall
    unit: Unit
    total: int
    by_day: list[tuple[dt.date, int]]
    breakdowns: dict[str, list[tuple[str, int]]]
    placed: int
    children: list[tuple[Unit, int]]
    places: list[CallPlace]

    @property
    def of_quota(self) -> Decimal:
        return Decimal(self.call.active_count) * 100 / Decimal(self.call.quota)

    @property
    def is_open_now(self) -> bool:
        now = timezone.now()
        return self.call.opens_at <= now < self.call.closes_at


def call_overview(*, call: VolunteerCall, unit: Unit) -> CallOverview:
    """Live counts of the call over the unit's subtree: sign-ups by day, the breakdowns the
    call defined, placements, and the children's counts; four queries."""
    by_day: dict[dt.date, int] = defaultdict(int)
    breakdown_totals: dict[str, int] = defaultdict(int)
    placed = 0
    for bucket, day, count in SignUpTotal.objects.filter(call=call, unit=unit).values_list(
        "bucket", "day", "subtree"
    ):
        if bucket == "":
            by_day[day] += count
        elif bucket == "placed":
            placed += count
        else:
            breakdown_totals[bucket] += count
    breakdowns: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for bucket, count in sorted(breakdown_totals.items()):
        name, _sep, value = bucket.partition(":")
        breakdowns[name].append((value, count))
    children_counts = dict(
        SignUpTotal.objects.filter(call=call, unit__parent=unit, bucket="")
        .values_list("unit_id")
        .annotate(n=Sum("subtree"))
        .values_list("unit_id", "n")
    )
    children = [
        (child, children_counts.get(child.pk, 0))
        for child in Unit.objects.filter(parent=unit, archived=False).order_by("name")
    ]
    places = list(
        CallPlace.objects.filter(call=call, unit__path__startswith=unit.path)
        .select_related("unit", "role")
        .order_by("unit__name")
    )
    return CallOverview(
        call=call,
        unit=unit,
        total=sum(by_day.values()),
        by_day=sorted(by_day.items()),
        breakdowns=dict(breakdowns),
        placed=placed,
        children=children,
        places=places,
    )


@functools.lru_cache(maxsize=16)
def _conversions(model, ops) -> tuple[list[str], dict[str, tuple]]:
    """A model's concrete attnames in order, and for those the database hands back in
    another form (dates, JSON, booleans) the column and its converters. Worked out once per
    model and connection: it costs more than a short statement."""
    found = {}
    for model_field in model._meta.concrete_fields:
        column = model_field.get_col(model._meta.db_table)
        converters = ops.get_db_converters(column) + column.get_db_converters(ops.connection)
        if converters:
            found[model_field.attname] = (column, converters)
    return [f.attname for f in model._meta.concrete_fields], found


def from_row(model, values: Mapping[str, object]):
    """A model instance from a plain statement's row (attname → value), as the ORM makes
    one: values converted as the ORM converts them, fields not given deferred (read on first
    use, never silently empty). For hot paths where compiling a query costs more than
    running it."""
    names, conversions = _conversions(model, connection.ops)
    given = [name for name in names if name in values]
    row = []
    for name in given:
        value = values[name]
        if name in conversions:
            column, converters = conversions[name]
            for convert in converters:
                value = convert(value, column, connection)
        row.append(value)
    return model.from_db(connection.alias, given, row)


def call_by_slug(slug: str) -> VolunteerCall | None:
    """A movement's volunteer call by the movement's slug, with the movement, in one plain
    statement: every public sign-up reads it."""
    call_fields = VolunteerCall._meta.concrete_fields
    movement_fields = Movement._meta.concrete_fields
    columns = [f"c.{f.column}" for f in call_fields] + [f"m.{f.column}" for f in movement_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM drives_volunteercall c"
            " JOIN movements_movement m ON m.id = c.movement_id WHERE m.slug = %s",
            [slug],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(call_fields)
    call = from_row(
        VolunteerCall, {f.attname: v for f, v in zip(call_fields, row[:split], strict=True)}
    )
    call.movement = from_row(
        Movement, {f.attname: v for f, v in zip(movement_fields, row[split:], strict=True)}
    )
    return call


def signup_by_code(code: str) -> SignUp | None:
    return (
        SignUp.objects.filter(code=code.strip().upper())
        .select_related("call__movement", "unit", "role", "place__unit")
        .first()
    )


def signups_for_unit(
    *, call: VolunteerCall, unit: Unit, status: str = "", offset: int = 0, limit: int = 50
):
    """The subtree's sign-ups in the order they came (a queue: the first come are answered
    first), `limit` of them from `offset`."""
    query = SignUp.objects.filter(call=call, unit__path__startswith=unit.path)
    if status:
        query = query.filter(status=status)
    return list(
        query.select_related("unit", "role", "place__unit").order_by("id")[offset : offset + limit]
    )


# --- daily enlistment -------------------------------------------------------------------------


@dataclass
class EnlistmentOverview:
    drive: EnlistmentDrive
    unit: Unit
    roles: list
    days: list[domain.Day]
    day: dt.date
    today: domain.Day | None
    expected: int
    children: list[tuple[Unit, dict[str, int] | None, int, int]]


def expected_units(drive: EnlistmentDrive, unit: Unit, scope_paths: list[str]) -> int:
    """Reporting units of the unit's subtree inside the movement's scope."""
    inside = Q()
    for path in scope_paths:
        inside |= Q(path__startswith=path)
    return Unit.objects.filter(
        inside, path__startswith=unit.path, kind=drive.reporting_kind_id, archived=False
    ).count()


def enlistment_overview(
    *, drive: EnlistmentDrive, unit: Unit, day: dt.date | None = None, days: int = 14
) -> EnlistmentOverview:
    """A subtree's enlistment: per day, the persons by role and how many units reported (a
    day nobody reported is missing, not zero), the coverage of `day` (today by default), and
    each child's figures for that day. Seven queries whatever the size of the tree."""
    movement = drive.movement
    roles = list(drive.roles.all())
    today = min(movement_today(movement), movement.ends_on)
    day = day or today
    start = max(movement.starts_on, day - dt.timedelta(days=days - 1))
    scope_paths = list(movement.scope.values_list("path", flat=True))
    role_of = {r.indicator_id: r.code for r in roles}
    totals = {
        (role_of[indicator_id], d): quantity
        for indicator_id, d, quantity in SubtreeDailyTotal.objects.filter(
            unit=unit, indicator_id__in=role_of, day__range=(start, day)
        ).values_list("indicator_id", "day", "quantity_minor")
    }
    reported = dict(
        EnlistmentCoverage.objects.filter(
            drive=drive, unit=unit, day__range=(start, day)
        ).values_list("day", "reported")
    )
    expected = expected_units(drive, unit, scope_paths)
    series = domain.days_series(
        start=start,
        end=day,
        roles=[r.code for r in roles],
        totals=totals,
        reported=reported,
        expected=expected,
    )
    children = _children_on(drive, unit, day, role_of, scope_paths)
    return EnlistmentOverview(
        drive=drive,
        unit=unit,
        roles=roles,
        days=list(reversed(series)),
        day=day,
        today=series[-1] if series else None,
        expected=expected,
        children=children,
    )


def _children_on(drive, unit, day, role_of, scope_paths):
    children = list(Unit.objects.filter(parent=unit, archived=False).order_by("name"))
    if not children:
        return []
    ids = [c.pk for c in children]
    totals: dict[int, dict[str, int]] = defaultdict(dict)
    for unit_id, indicator_id, quantity in SubtreeDailyTotal.objects.filter(
        unit_id__in=ids, indicator_id__in=role_of, day=day
    ).values_list("unit_id", "indicator_id", "quantity_minor"):
        totals[unit_id][role_of[indicator_id]] = quantity
    reported = dict(
        EnlistmentCoverage.objects.filter(drive=drive, unit_id__in=ids, day=day).values_list(
            "unit_id", "reported"
        )
    )
    # Expected reporting units per child: one grouped count over the subtree's paths.
    depth = unit.depth + 1
    expected: dict[int, int] = defaultdict(int)
    inside = Q()
    for path in scope_paths:
        inside |= Q(path__startswith=path)
    for path in (
        Unit.objects.filter(
            inside, path__startswith=unit.path, kind=drive.reporting_kind_id, archived=False
        )
        .exclude(pk=unit.pk)
        .values_list("path", flat=True)
        .iterator(chunk_size=5000)
    ):
        expected[int(path.strip("/").split("/")[depth])] += 1
    roles = list(dict.fromkeys(role_of.values()))
    return [
        (
            child,
            {r: totals[child.pk].get(r, 0) for r in roles} if reported.get(child.pk) else None,
            reported.get(child.pk, 0),
            expected.get(child.pk, 0),
        )
        for child in children
    ]


def unit_returns(
    *, drive: EnlistmentDrive, unit: Unit, start: dt.date, end: dt.date
) -> set[dt.date]:
    """The days a reporting unit filed a return."""
    return set(
        EnlistmentReturn.objects.filter(
            drive=drive, unit=unit, day__range=(start, end)
        ).values_list("day", flat=True)
    )


def national_daily_total(*, drive: EnlistmentDrive, day: dt.date) -> dict[str, int]:
    """The persons enlisted on `day` per role across the movement's organiser's subtree:
    one indexed read of the subtree daily totals."""
    role_of = {r.indicator_id: r.code for r in drive.roles.all()}
    return {
        role_of[indicator_id]: quantity
        for indicator_id, quantity in SubtreeDailyTotal.objects.filter(
            unit_id=drive.movement.organiser_id, indicator_id__in=role_of, day=day
        ).values_list("indicator_id", "quantity_minor")
    }


def signups_total(call: VolunteerCall) -> dict[str, int]:
    """Sign-ups per status, for the CLI and tests (counts the sign-ups: not for pages)."""
    return dict(
        SignUp.objects.filter(call=call)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
