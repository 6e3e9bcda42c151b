"""The visits API: record a visit (with follow-ups), list and read visits, add and mark
follow-ups, a person's own counts, a subtree's overdue follow-ups and its coverage. Writes go through
`visits.actions`; refusals are problem+json naming the field, nothing written."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Status

from pacesetter.accounts.permissions import Capability, current_actor
from pacesetter.core.api import IsoDate
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.api import movement_or_404
from pacesetter.movements.models import Period
from pacesetter.units.api import unit_for_field, unit_or_404
from pacesetter.units.models import UnitKind

from . import actions, selectors
from .models import FollowUpTask, Visit
from .schemas import (
    CoverageOut,
    FollowUpIn,
    FollowUpOut,
    MarkIn,
    PersonVisitsOut,
    VisitDetailOut,
    VisitIn,
    VisitOut,
)

router = Router(tags=["visits"])


def _out(visit: Visit) -> dict:
    return {
        "id": visit.pk,
        "unit": visit.unit.code,
        "visited_on": visit.visited_on,
        "purpose": visit.purpose,
        "findings": visit.findings,
        "visitors": [v.user.get_username() for v in visit.visitors.all()],
        "guest_names": list(visit.guest_names),
        "movement": visit.movement.slug if visit.movement_id else None,
    }


def _task_out(task: FollowUpTask, unit_code: str) -> dict:
    return {
        "id": task.pk,
        "visit": task.visit_id,
        "unit": unit_code,
        "what": task.what,
        "owner": task.owner.get_username(),
        "due_on": task.due_on,
        "done": task.done,
        "events": [
            {"done": e.done, "at": e.at, "by": e.by_label, "note": e.note}
            for e in task.events.all()
        ],
    }


def _detail(visit_id: int) -> dict:
    visit = selectors.visit_detail(current_actor(), visit_id)
    if visit is None:
        raise Http404(f"No visit {visit_id}.")
    return {
        **_out(visit),
        "recorded_by": visit.recorded_by.get_username() if visit.recorded_by_id else None,
        "recorded_at": visit.recorded_at,
        "follow_ups": [_task_out(t, visit.unit.code) for t in visit.follow_ups.all()],
        "voices": [
            {
                "id": v.pk,
                "topic": v.topic.code,
                "subject": v.subject,
                "status": v.status,
                "routed_to": v.routed_to.code,
            }
            for v in selectors.visit_voices(current_actor(), visit)
        ],
    }


@router.post("/visits", response={201: VisitDetailOut, 200: VisitDetailOut, **WRITE_REFUSALS})
def record(request: HttpRequest, payload: VisitIn):
    """Record a visit to a unit (an official over it: unit head or organiser), with its
    follow-up tasks. The same key and content again answers 200 with the earlier visit."""
    unit_for_field(payload.unit, field="unit", capability=Capability.VISIT)
    known = (
        Visit.objects.filter(key=actions._stored_key(payload.key)).exists()
        if payload.key
        else False
    )
    visit = actions.record_visit(
        unit=payload.unit,
        visited_on=payload.visited_on,
        purpose=payload.purpose,
        findings=payload.findings,
        visitors=payload.visitors,
        guest_names=payload.guest_names,
        movement=payload.movement,
        key=payload.key,
        follow_ups=[actions.FollowUpRow(f.what, f.owner, f.due_on) for f in payload.follow_ups],
        voices=[
            actions.VoiceRow(v.topic, v.subject, v.text, v.on_behalf_of, v.anonymous)
            for v in payload.voices
        ],
    )
    return Status(200 if known else 201, _detail(visit.pk))


@router.get("/visits", response={200: list[VisitOut], **READ_REFUSALS})
def list_visits(request: HttpRequest, unit: str | None = None, limit: int = 100, offset: int = 0):
    """Visits the caller may see, newest first, in a unit's subtree if given."""
    where = unit_or_404(unit) if unit else None
    limit = max(1, min(limit, 1000))
    rows = selectors.visits_for(current_actor(), unit=where)[
        max(0, offset) : max(0, offset) + limit
    ]
    return [_out(v) for v in rows]


@router.get("/visits/mine", response={200: PersonVisitsOut, **READ_REFUSALS})
def mine(request: HttpRequest):
    """The caller's own visits: over a lifetime (visits, distinct units) and per year."""
    counts = selectors.person_visits(request.user)
    return {
        "visits": counts.visits,
        "units": counts.units,
        "years": [vars(y) for y in counts.years],
    }


@router.get("/visits/{visit_id}", response={200: VisitDetailOut, **READ_REFUSALS})
def get_visit(request: HttpRequest, visit_id: int):
    """One visit with its follow-ups and their history."""
    return _detail(visit_id)


@router.post("/visits/{visit_id}/follow-ups", response={201: VisitDetailOut, **WRITE_REFUSALS})
def add_follow_up(request: HttpRequest, visit_id: int, payload: FollowUpIn):
    """Add a follow-up to a visit (an official over the visited unit)."""
    actions.add_follow_up(visit_id, what=payload.what, owner=payload.owner, due_on=payload.due_on)
    return Status(201, _detail(visit_id))


@router.post("/follow-ups/{task_id}/mark", response={200: FollowUpOut, **WRITE_REFUSALS})
def mark(request: HttpRequest, task_id: int, payload: MarkIn):
    """Mark a follow-up done or not done (its owner, or an official over the unit)."""
    task = actions.mark_follow_up(task_id, done=payload.done, note_text=payload.note)
    task = (
        FollowUpTask.objects.select_related("owner", "visit__unit")
        .prefetch_related("events")
        .get(pk=task.pk)
    )
    return _task_out(task, task.visit.unit.code)


@router.get("/units/{code}/overdue-follow-ups", response={200: list[FollowUpOut], **READ_REFUSALS})
def overdue(request: HttpRequest, code: str, limit: int = 200):
    """Follow-ups of visits in the unit's subtree, not done and due before today."""
    unit = unit_or_404(code)
    rows = selectors.overdue(
        current_actor(), unit=unit, today=timezone.localdate()
    ).prefetch_related("events")[: max(1, min(limit, 1000))]
    return [_task_out(t, t.visit.unit.code) for t in rows]


@router.get("/units/{code}/visit-coverage", response={200: CoverageOut, **READ_REFUSALS})
def coverage(
    request: HttpRequest,
    code: str,
    kind: str,
    start: IsoDate | None = None,
    end: IsoDate | None = None,
    movement: str = "",
    period: str = "",
):
    """The share of the subtree's active units of `kind` visited at least once between `start`
    and `end` (default: this year so far) or in a movement's period (`movement` and the
    period's name), per child subtree, and the units not visited (their last visit, if any)."""
    unit = unit_or_404(code)
    found = UnitKind.objects.filter(code=kind).first()
    if found is None:
        raise _field_error("kind", f"no unit kind {kind!r}")
    today = timezone.localdate()
    if movement or period:
        chosen = Period.objects.filter(movement=movement_or_404(movement), name=period).first()
        if chosen is None:
            raise _field_error("period", f"no period {period!r} in this movement")
        start, end = chosen.starts_on, chosen.ends_on
    start, end = start or today.replace(month=1, day=1), end or today
    if end < start:
        raise _field_error("end", "the end comes before the start")
    result = selectors.coverage(unit, kind=found, start=start, end=end)
    return {
        "unit": unit.code,
        "kind": found.code,
        "start": start,
        "end": end,
        "total": result.total,
        "visited": result.visited,
        "share": result.share,
        "rows": [
            {
                "unit": r.unit.code,
                "name": r.unit.name,
                "itself": r.itself,
                "total": r.total,
                "visited": r.visited,
                "share": r.share,
            }
            for r in result.rows
        ],
        "not_visited_count": result.not_visited_count,
        "not_visited": [
            {"unit": u.code, "name": u.name, "last_visit": u.last_visit} for u in result.not_visited
        ],
    }


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors=[RowError(1, field, message)])
