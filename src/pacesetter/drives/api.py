"""The drives API: donations (record, totals), volunteer calls (sign up — anonymously for a
public call — accept, place, move on; live counts), daily enlistment (returns, days with
coverage). Writes go through `drives.actions`; 201 when something new was recorded, 200 when
every row replayed; 409/422 problem+json listing every bad row, nothing written."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.http import Http404, HttpRequest
from ninja import Router, Status

from pacesetter.accounts.auth import api_auth
from pacesetter.accounts.permissions import (
    Capability,
    can_see_movement,
    current_actor,
    movement_filter,
    require,
)
from pacesetter.core.api import IsoDate
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.api import movement_or_404
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit

from . import actions, selectors
from .schemas import (
    CallOut,
    Changed,
    DonationDriveIn,
    DonationsIn,
    DonationsOut,
    DonationsRecorded,
    DriveCreated,
    DriveOut,
    EnlistmentDriveIn,
    EnlistmentOut,
    PlacementsIn,
    ReturnsIn,
    ReturnsRecorded,
    SignUpOut,
    SignUpsIn,
    SignUpsRecorded,
    StatusIn,
    TargetsIn,
    TargetsOut,
    VolunteerCallIn,
)

router = Router(tags=["drives"])


def _anyone(request: HttpRequest) -> bool:
    """For public sign-ups: a caller without credentials acts as an anonymous visitor."""
    return True


# How the schema says so: ninja lists the token and session schemes; the empty requirement
# `{}` added beside them is OpenAPI's "or no credentials at all". The schemes stay usable (an
# organiser signs people up for a call that is not public).
PUBLIC = {"security": [{}]}


def _scope(movement: Movement) -> Iterator[str]:
    """The movement's scope paths, read only if someone iterates them: the visibility of a
    public call does not depend on them, and a public sign-up should not pay for them."""
    yield from movement.scope.values_list("path", flat=True)


def _drive(slug: str, related: str):
    movement = movement_or_404(slug)
    drive = getattr(movement, related, None) if hasattr(movement, related) else None
    if drive is None:
        raise Http404(f"Movement {slug!r} has no such drive.")
    return movement, drive


def _unit(movement: Movement, code: str | None) -> Unit:
    if not code:
        return movement.organiser
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise Http404(f"No unit {code!r}.")
    if not movement.is_public:
        require(current_actor(), Capability.VIEW, unit, movement)
    return unit


@router.get("/drives", response={200: list[DriveOut], **READ_REFUSALS})
def list_drives(request: HttpRequest):
    """Movements carrying a drive, with the kinds of drive."""
    return [
        {"movement": m.slug, "title": m.title, "status": m.status, "kinds": kinds}
        for m, kinds in selectors.drives_list(movement_filter(current_actor()))
    ]


@router.get("/movements/{slug}/donations", response={200: DonationsOut, **READ_REFUSALS})
def donation_totals(request: HttpRequest, slug: str, unit: str | None = None):
    """Pledged, received, distributed and held per item over a unit's subtree (the organiser
    by default), and the gifts by donor kind."""
    movement, drive = _drive(slug, "donation_drive")
    where = _unit(movement, unit)
    overview = selectors.donation_overview(drive=drive, unit=where)
    return {
        "movement": movement.slug,
        "unit": where.code,
        "items": [
            {
                "item": row.item.code,
                "name": row.item.name,
                "unit_of_measure": row.item.unit_of_measure,
                "pledged": row.pledged,
                "received": row.received,
                "distributed": row.distributed,
                "held": row.held,
                "by_donor_kind": [
                    {
                        "donor_kind": k.donor_kind,
                        "pledged": k.pledged,
                        "received": k.received,
                        "gifts": k.gifts,
                    }
                    for k in row.by_donor_kind
                ],
            }
            for row in overview.items
        ],
    }


def _targets(movement: Movement, drive) -> dict:
    overview = selectors.donation_targets(drive=drive)
    following = overview.next
    return {
        "movement": movement.slug,
        "targets": [
            {
                "item": t.target.item.code,
                "position": t.target.position,
                "name": t.target.name,
                "price": t.price,
                "reached_at": t.reached_at,
                "reached_on": t.progress.reached_on,
                "gathered": t.gathered,
                "percent": t.progress.percent,
            }
            for t in overview.targets
        ],
        "next": following.target.name if following else None,
    }


@router.get("/movements/{slug}/donations/targets", response={200: TargetsOut, **READ_REFUSALS})
def donation_targets(request: HttpRequest, slug: str):
    """The drive's named targets in order: the day the gifts received reached each, and
    what is gathered toward the next."""
    movement, drive = _drive(slug, "donation_drive")
    return _targets(movement, drive)


@router.post("/movements/{slug}/donations/targets", response={201: TargetsOut, **WRITE_REFUSALS})
def add_donation_targets(request: HttpRequest, slug: str, payload: TargetsIn):
    """Name the next targets of the drive (after those it has), each with the item whose
    gifts buy it and its price. Every bad target is listed (422); nothing is added."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    movement, drive = _drive(slug, "donation_drive")
    actions.add_donation_targets(
        drive=drive,
        targets=[actions.TargetSpec(**target.dict()) for target in payload.targets],
    )
    return Status(201, _targets(movement, drive))


# --- setting drives up ------------------------------------------------------------------------


def _created(movement: Movement, kind: str) -> Status:
    return Status(
        201,
        {
            "movement": movement.slug,
            "kind": kind,
            "public_sign_up": kind == "volunteers" and movement.is_public,
            "indicators": list(movement.indicators.values_list("code", flat=True)),
        },
    )


@router.post("/movements/{slug}/donation-drive", response={201: DriveCreated, **WRITE_REFUSALS})
def create_donation_drive(request: HttpRequest, slug: str, payload: DonationDriveIn):
    """Make a draft movement a donation drive with its items (each gets the indicators
    ITEM-pledged, ITEM-received and ITEM-distributed). Every bad item is listed (422)."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    actions.create_donation_drive(
        movement=movement,
        items=[actions.ItemSpec(**item.dict()) for item in payload.items],
        estimate_currency=payload.estimate_currency,
    )
    return _created(movement, "donations")


def _in_zone(moment: dt.datetime, movement: Movement) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zoneinfo.ZoneInfo(movement.time_zone))
    return moment


@router.post("/movements/{slug}/volunteer-call", response={201: DriveCreated, **WRITE_REFUSALS})
def create_volunteer_call(request: HttpRequest, slug: str, payload: VolunteerCallIn):
    """Make a draft movement a volunteer call: a quota, its window, roles and places. Its
    sign-up page is public (no account needed) when the movement is public."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    actions.create_volunteer_call(
        movement=movement,
        quota=payload.quota,
        opens_at=_in_zone(payload.opens_at, movement),
        closes_at=_in_zone(payload.closes_at, movement),
        at_quota=payload.at_quota,
        min_age=payload.min_age,
        max_age=payload.max_age,
        skills=payload.skills,
        asks_gender=payload.asks_gender,
        asks_age_band=payload.asks_age_band,
        roles=[(role.code, role.name) for role in payload.roles],
        places=[actions.PlaceSpec(**place.dict()) for place in payload.places],
    )
    return _created(movement, "volunteers")


@router.post("/movements/{slug}/enlistment-drive", response={201: DriveCreated, **WRITE_REFUSALS})
def create_enlistment_drive(request: HttpRequest, slug: str, payload: EnlistmentDriveIn):
    """Make a draft movement a daily enlistment: units of `reporting_kind` report each day of
    the movement the persons mobilised in each role."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    actions.create_enlistment_drive(
        movement=movement,
        reporting_kind=payload.reporting_kind,
        roles=[(role.code, role.name) for role in payload.roles],
    )
    return _created(movement, "enlistment")


@router.post(
    "/movements/{slug}/donations",
    response={201: DonationsRecorded, 200: DonationsRecorded, **WRITE_REFUSALS},
)
def record_donations(request: HttpRequest, slug: str, payload: DonationsIn):
    """Record pledges, receipts and distributions (up to 10,000), all or none. A
    distribution beyond what the unit holds of the item is refused (422) with the row."""
    _movement, drive = _drive(slug, "donation_drive")
    result = actions.record_donations(
        drive=drive,
        rows=[actions.DonationRow(**d.dict()) for d in payload.donations],
        source="api",
    )
    return Status(201 if result.created else 200, result.__dict__)


@router.get("/movements/{slug}/volunteers", response={200: CallOut, **READ_REFUSALS})
def call_counts(request: HttpRequest, slug: str, unit: str | None = None):
    """Live counts of the call over a unit's subtree: against the quota, by day, the call's
    breakdowns, placements, and per child unit."""
    movement, call = _drive(slug, "volunteer_call")
    where = _unit(movement, unit)
    overview = selectors.call_overview(call=call, unit=where)
    return {
        "movement": movement.slug,
        "unit": where.code,
        "quota": call.quota,
        "at_quota": call.at_quota,
        "active": call.active_count,
        "waitlisted": call.waitlisted_count,
        "of_quota": overview.of_quota,
        "signups": overview.total,
        "placed": overview.placed,
        "by_day": {day.isoformat(): n for day, n in overview.by_day},
        "breakdowns": {name: dict(values) for name, values in overview.breakdowns.items()},
        "children": {child.code: n for child, n in overview.children},
    }


@router.post(
    "/movements/{slug}/volunteers/signups",
    response={201: SignUpsRecorded, 200: SignUpsRecorded, **WRITE_REFUSALS},
    auth=[*api_auth, _anyone],
    openapi_extra=PUBLIC,
)
def sign_up(request: HttpRequest, slug: str, payload: SignUpsIn):
    """Sign volunteers up (up to 10,000), all or none. Without credentials, for a public
    call, as oneself. Each row gets a confirmation code; a duplicate person is refused (422,
    code "duplicate"); at the quota the call's setting refuses or waitlists."""
    call = selectors.call_by_slug(slug)
    if call is None or not can_see_movement(current_actor(), call.movement, _scope(call.movement)):
        raise Http404(f"No call {slug!r}.")
    result = actions.sign_up(
        call=call,
        rows=[actions.SignUpRow(**s.dict()) for s in payload.signups],
        source="api",
    )
    return Status(201 if result.created else 200, result.__dict__)


@router.get(
    "/signups/{code}",
    response={200: SignUpOut, **READ_REFUSALS},
    auth=[*api_auth, _anyone],
    openapi_extra=PUBLIC,
)
def get_signup(request: HttpRequest, code: str):
    """A sign-up by its confirmation code (the code is the key: it shows no contact)."""
    signup = selectors.signup_by_code(code)
    if signup is None:
        raise Http404("No sign-up with this code.")
    return {
        "code": signup.code,
        "movement": signup.call.movement.slug,
        "status": signup.status,
        "unit": signup.unit.code,
        "role": signup.role.code if signup.role else "",
        "place": signup.place.unit.code if signup.place else "",
        "signed_up_at": signup.signed_up_at,
    }


@router.post("/movements/{slug}/volunteers/status", response={200: Changed, **WRITE_REFUSALS})
def change_status(request: HttpRequest, slug: str, payload: StatusIn):
    """Accept, mark serving or completed, or withdraw sign-ups, all or none."""
    _movement, call = _drive(slug, "volunteer_call")
    if payload.status == "accepted":
        changed = actions.accept_signups(call=call, codes=payload.codes)
    else:
        changed = actions.change_signup_status(
            call=call, codes=payload.codes, status=payload.status
        )
    return {"changed": changed}


@router.post("/movements/{slug}/volunteers/placements", response={200: Changed, **WRITE_REFUSALS})
def place(request: HttpRequest, slug: str, payload: PlacementsIn):
    """Place accepted volunteers, all or none; a full place refuses (422, "over_capacity")."""
    _movement, call = _drive(slug, "volunteer_call")
    changed = actions.place_volunteers(
        call=call,
        rows=[actions.PlacementRow(p.code, p.place) for p in payload.placements],
        day=payload.day,
        source="api",
    )
    return {"changed": changed}


@router.post(
    "/movements/{slug}/enlistment",
    response={201: ReturnsRecorded, 200: ReturnsRecorded, **WRITE_REFUSALS},
)
def report_enlistment(request: HttpRequest, slug: str, payload: ReturnsIn):
    """Daily returns (persons mobilised per role, 0 where none), all or none."""
    _movement, drive = _drive(slug, "enlistment_drive")
    result = actions.report_enlistment(
        drive=drive,
        rows=[
            actions.EnlistmentRow(
                unit=r.unit, counts=r.counts, day=r.day, idempotency_key=r.idempotency_key
            )
            for r in payload.returns
        ],
        source="api",
    )
    return Status(201 if result.reports else 200, result.__dict__)


@router.get("/movements/{slug}/enlistment", response={200: EnlistmentOut, **READ_REFUSALS})
def enlistment_days(
    request: HttpRequest, slug: str, unit: str | None = None, day: IsoDate | None = None
):
    """Per day: persons by role over a unit's subtree, units reported of those expected and
    the coverage; a day nobody reported is `missing` with `totals` null, not zero."""
    movement, drive = _drive(slug, "enlistment_drive")
    where = _unit(movement, unit)
    overview = selectors.enlistment_overview(drive=drive, unit=where, day=day)
    return {
        "movement": movement.slug,
        "unit": where.code,
        "days": [
            {
                "day": d.day,
                "missing": d.missing,
                "totals": d.totals,
                "reported": d.reported,
                "expected": d.expected,
                "coverage": d.coverage,
            }
            for d in overview.days
        ],
    }
