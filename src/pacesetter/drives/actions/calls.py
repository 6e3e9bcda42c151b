"""Volunteer calls: the call and its places, moving sign-ups on (accepted, placed, serving,
completed, withdrawn), and posting the counted sign-ups and placements to the ledger."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited
from pacesetter.core.errors import RowError, StateError, ValidationFailed, raise_for_rows
from pacesetter.ledger.actions import ReportRow
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Unit

from .. import domain
from ..models import CallPlace, CallRole, SignUp, VolunteerCall
from ._shared import (
    _as_date,
    _code_name_errors,
    _post_to_ledger,
    _refuse,
    _require_draft,
    _require_launched,
    _scope_paths,
    _unit_errors,
    _units_by_code,
    _upsert,
)


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
    (persons) count its volunteers where they live and where they are placed. Needs ORGANISE
    on the movement. Its public sign-up page is open while the call is open if the movement
    is public."""
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
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
    raise_for_rows(_code_name_errors(roles), what="role", total=len(roles))
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


def _count(call: VolunteerCall, counted: Iterable[tuple[Unit, dt.date, Sequence[str]]]) -> None:
    """Add sign-ups (or placements) to the totals of their unit (own) and of every unit on
    the way to the root (subtree)."""
    # Alike entries first (a big import brings thousands per unit and day), then the tree.
    alike: dict[tuple, int] = defaultdict(int)
    units: dict[int, Unit] = {}
    for unit, day, names in counted:
        units[unit.pk] = unit
        alike[(unit.pk, day, tuple(names))] += 1
    own: dict[tuple, int] = defaultdict(int)
    subtree: dict[tuple, int] = defaultdict(int)
    for (unit_id, day, names), n in alike.items():
        lineage = units[unit_id].lineage_ids
        for bucket in names:
            own[(unit_id, bucket, day)] += n
            for ancestor in lineage:
                subtree[(ancestor, bucket, day)] += n
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
