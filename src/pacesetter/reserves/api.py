"""The reserves API: propose, transition, list with filters, one reserve with its history,
and a unit's subtree figures. Writes go through `reserves.actions`; 422/409/403 problem+json
naming the field, nothing written."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Router, Status

from pacesetter.accounts.permissions import Capability, current_actor
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.api import movement_or_404
from pacesetter.movements.models import Indicator
from pacesetter.units.api import unit_for_field, unit_or_404
from pacesetter.units.models import Member

from . import actions, domain, selectors
from .models import Kind, Reserve, ReserveLink
from .models import Status as ReserveStatus
from .schemas import (
    ReserveDetailOut,
    ReserveFiguresOut,
    ReserveIn,
    ReserveLinkIn,
    ReserveLinkOut,
    ReserveOut,
    ReserveTransitionIn,
)

router = Router(tags=["reserves"])


def _plain(value: Decimal | None) -> Decimal | None:
    """1.500 → 1.5, 100.000 → 100: the stored scale is not the input's precision."""
    return None if value is None else Decimal(format(value.normalize(), "f"))


def _out(reserve: Reserve) -> dict:
    return {
        "id": reserve.pk,
        "unit": reserve.unit.code,
        "kind": reserve.kind,
        "indicator": reserve.indicator.code if reserve.indicator_id else None,
        "movement": reserve.movement.slug if reserve.movement_id else None,
        "member": reserve.member.external_id if reserve.member_id else None,
        "description": reserve.description,
        "estimated": _plain(reserve.estimated),
        "measure": reserve.measure,
        "verified": _plain(reserve.verified),
        "status": reserve.status,
        "proposed_at": reserve.proposed_at,
        "recognised_scope": reserve.recognised_scope,
    }


def _detail(reserve_id: int) -> dict:
    actor = current_actor()
    reserve = (
        selectors.reserves_for(actor)
        .select_related("movement")
        .prefetch_related("events")
        .filter(pk=reserve_id)
        .first()
    )
    if reserve is None:
        raise Http404(f"No reserve {reserve_id}.")
    return {
        **_out(reserve),
        "history": [
            {
                "at": e.at,
                "by": e.by_label,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "verified": _plain(e.verified),
            }
            for e in reserve.events.all()
        ],
        "allowed": selectors.allowed_verbs(actor, reserve),
    }


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors=[RowError(1, field, message)])


@router.post("/reserves", response={201: ReserveDetailOut, **WRITE_REFUSALS})
def propose(request: HttpRequest, payload: ReserveIn):
    """Propose a reserve for a unit (a member, reporter, unit head or organiser of it)."""
    unit = unit_for_field(payload.unit, field="unit")
    movement = movement_or_404(payload.movement) if payload.movement else None
    member = None
    if payload.member:
        member = Member.objects.select_related("unit").filter(external_id=payload.member).first()
        if member is None:
            raise _field_error("member", f"no member {payload.member!r}")
    indicator = None
    if payload.indicator:
        if movement is None:
            raise _field_error("movement", "an indicator is named within a movement")
        indicator = Indicator.objects.filter(movement=movement, code=payload.indicator).first()
        if indicator is None:
            raise _field_error("indicator", f"no indicator {payload.indicator!r} here")
    reserve = actions.propose_reserve(
        unit=unit,
        kind=payload.kind,
        description=payload.description,
        estimated=payload.estimated,
        measure=payload.measure,
        member=member,
        movement=movement,
        indicator=indicator,
    )
    return Status(201, _detail(reserve.pk))


@router.post(
    "/reserves/{reserve_id}/transition", response={200: ReserveDetailOut, **WRITE_REFUSALS}
)
def transition(request: HttpRequest, reserve_id: int, payload: ReserveTransitionIn):
    """Move a reserve on: review, accept, implement (unit head or organiser above), verify (a
    verifier or organiser on or above the unit, not the proposer) or decline (with a reason)."""
    if not selectors.reserves_for(current_actor()).filter(pk=reserve_id).exists():
        raise Http404(f"No reserve {reserve_id}.")
    if payload.action not in domain.VERBS:
        raise _field_error("action", f"one of {', '.join(domain.VERBS)}")
    if payload.action == "verify":
        if payload.verified is None:
            raise _field_error("verified", "the verified saving is required")
        actions.verify_reserve(
            reserve_id,
            verified=payload.verified,
            measure=payload.measure,
            note=payload.note,
            scope=payload.scope,
        )
    elif payload.action == "decline":
        actions.decline_reserve(reserve_id, reason=payload.note)
    else:
        actions.ACTIONS[payload.action](reserve_id, note=payload.note)
    return _detail(reserve_id)


@router.get("/reserves", response={200: list[ReserveOut], **READ_REFUSALS})
def list_reserves(
    request: HttpRequest,
    unit: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
):
    """Reserves the caller may see, newest first: in a unit's subtree, of a status, of a kind."""
    if status and status not in ReserveStatus.values:
        raise _field_error("status", f"one of {', '.join(ReserveStatus.values)}")
    if kind and kind not in Kind.values:
        raise _field_error("kind", f"one of {', '.join(Kind.values)}")
    where = unit_or_404(unit) if unit else None
    limit = max(1, min(limit, 1000))
    rows = selectors.reserves_for(
        current_actor(), unit=where, status=status or "", kind=kind or ""
    ).select_related("movement")[max(0, offset) : max(0, offset) + limit]
    return [_out(r) for r in rows]


@router.get("/reserves/{reserve_id}", response={200: ReserveDetailOut, **READ_REFUSALS})
def get_reserve(request: HttpRequest, reserve_id: int):
    """One reserve with its history and the transitions the caller may use now."""
    return _detail(reserve_id)


@router.get("/units/{code}/reserve-figures", response={200: ReserveFiguresOut, **READ_REFUSALS})
def figures(request: HttpRequest, code: str):
    """A unit's subtree figures: counts, savings per measure, members with at least one and
    with more than one verified reserve (counts, and percentages of the subtree's members)."""
    unit = unit_or_404(code)
    f = selectors.figures(unit)
    return {
        "unit": unit.code,
        "proposed": f.proposed,
        "implemented": f.implemented,
        "verified": f.verified,
        "members": f.members,
        "members_verified": f.members_verified,
        "members_repeat": f.members_repeat,
        "members_verified_percent": f.share_verified,
        "members_repeat_percent": f.share_repeat,
        "measures": [
            {
                **vars(m),
                "estimated_saving": _plain(m.estimated_saving),
                "verified_saving": _plain(m.verified_saving),
            }
            for m in f.measures
        ],
    }


def _link_out(link: ReserveLink) -> dict:
    return {
        "id": link.pk,
        "kind": link.kind,
        "measure": link.measure,
        "indicator": link.indicator.code,
        "factor": _plain(link.factor),
    }


@router.get(
    "/movements/{slug}/reserve-links", response={200: list[ReserveLinkOut], **READ_REFUSALS}
)
def list_links(request: HttpRequest, slug: str):
    """Which verified reserves count toward which indicator of the movement, at what factor."""
    return [_link_out(link) for link in selectors.links_of(movement_or_404(slug))]


@router.post("/movements/{slug}/reserve-links", response={201: ReserveLinkOut, **WRITE_REFUSALS})
def set_link(request: HttpRequest, slug: str, payload: ReserveLinkIn):
    """Count verified reserves of a kind and measure toward an indicator (the organiser):
    each verification from now on records the saving × factor in the ledger, once. Setting
    a link the movement has changes its indicator and factor."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    indicator = Indicator.objects.filter(movement=movement, code=payload.indicator).first()
    if indicator is None:
        raise _field_error("indicator", f"no indicator {payload.indicator!r} here")
    link = actions.link_reserves(
        movement=movement,
        kind=payload.kind,
        measure=payload.measure,
        indicator=indicator,
        factor=payload.factor,
    )
    return Status(201, _link_out(link))


@router.delete("/movements/{slug}/reserve-links/{link_id}", response={204: None, **WRITE_REFUSALS})
def remove_link(request: HttpRequest, slug: str, link_id: int):
    """Stop counting (the organiser); what was counted stays counted."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    link = ReserveLink.objects.filter(movement=movement, pk=link_id).first()
    if link is None:
        raise Http404(f"No link {link_id}.")
    actions.unlink_reserves(link=link)
    return Status(204, None)
