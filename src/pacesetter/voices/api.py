"""The voices API: topics, raise, steps, lists (the caller's view of them: names only to the
handlers, anonymous voices only to the handlers and the raiser), one voice with its events,
and a unit's subtree figures. Writes go through `voices.actions`; refusals are problem+json
naming the field, nothing written."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest
from ninja import Router, Status

from pacesetter.accounts.permissions import current_actor
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.api import movement_or_404
from pacesetter.units.api import unit_for_field, unit_or_404

from . import actions, domain, selectors, steps
from .models import Status as VoiceStatus
from .models import Topic, Voice
from .schemas import (
    TopicIn,
    TopicOut,
    VoiceDetailOut,
    VoiceFiguresOut,
    VoiceIn,
    VoiceOut,
    VoiceStepIn,
)

router = Router(tags=["voices"])


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors=[RowError(1, field, message)])


def _topic_out(topic: Topic) -> dict:
    return {
        "code": topic.code,
        "name": topic.name,
        "organiser": topic.organiser.code,
        "movement": topic.movement.slug if topic.movement_id else None,
        "deadline_days": topic.deadline_days,
        "route": topic.route,
        "route_kind": topic.route_kind.code if topic.route_kind_id else None,
        "route_unit": topic.route_unit.code if topic.route_unit_id else None,
        "public": topic.public,
    }


def _out(voice: Voice, actor) -> dict:
    return {
        "id": voice.pk,
        "topic": voice.topic.code,
        "unit": voice.unit.code,
        "subject": voice.subject,
        "text": voice.text,
        "raised_by": selectors.raiser_label(voice)
        if selectors.shows_raiser(actor, voice)
        else None,
        "anonymous": voice.anonymous,
        "routed_to": voice.routed_to.code,
        "routing_rule": voice.routing_rule,
        "status": voice.status,
        "overdue": voice.overdue,
        "escalations": voice.escalations,
        "answer": voice.answer,
        "raised_at": voice.raised_at,
        "due_at": voice.due_at,
    }


def _detail(voice_id: int) -> dict:
    actor = current_actor()
    voice = selectors.voice_for(actor, voice_id)
    if voice is None:
        raise Http404(f"No voice {voice_id}.")
    named = selectors.shows_raiser(actor, voice)
    return {
        **_out(voice, actor),
        "events": [
            {
                "at": e.at,
                "by": e.by_label if (named or voice.anonymous or e.kind != "raised") else "",
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note if (named or e.kind != "raised") else "",
                "routed_to": e.routed_to.code if e.routed_to_id else None,
            }
            for e in voice.events.all()
        ],
        "allowed": selectors.allowed_steps(actor, voice),
    }


@router.get("/voice-topics", response={200: list[TopicOut], **READ_REFUSALS})
def list_topics(request: HttpRequest):
    """Every topic: its routing rule and deadline (topics are not secret)."""
    rows = Topic.objects.select_related("organiser", "movement", "route_kind", "route_unit")
    return [_topic_out(t) for t in rows]


@router.post("/voice-topics", response={200: TopicOut, **WRITE_REFUSALS})
def set_topic(request: HttpRequest, payload: TopicIn):
    """Create or change a topic (an organiser of its organising unit)."""
    organiser = unit_for_field(payload.organiser, field="organiser")
    route_unit = (
        unit_for_field(payload.route_unit, field="route_unit") if payload.route_unit else None
    )
    topic = actions.set_topic(
        code=payload.code,
        name=payload.name,
        organiser=organiser,
        movement=movement_or_404(payload.movement) if payload.movement else None,
        deadline_days=payload.deadline_days,
        route=payload.route,
        route_kind=payload.route_kind,
        route_unit=route_unit,
        public=payload.public,
    )
    return _topic_out(topic)


@router.post("/voices", response={201: VoiceDetailOut, **WRITE_REFUSALS})
def raise_voice(request: HttpRequest, payload: VoiceIn):
    """Raise a voice about a unit (a member or reporter of it; an official on someone's
    behalf). It is routed by its topic's rule; the answer shows the rule."""
    unit = unit_for_field(payload.unit, field="unit")
    topic = Topic.objects.select_related("organiser", "movement").filter(code=payload.topic).first()
    if topic is None:
        raise _field_error("topic", f"no topic {payload.topic!r}")
    voice = actions.raise_voice(
        topic=topic,
        unit=unit,
        subject=payload.subject,
        text=payload.text,
        anonymous=payload.anonymous,
        on_behalf_of=payload.on_behalf_of,
        key=payload.key or None,
    )
    return Status(201, _detail(voice.pk))


@router.post("/voices/{voice_id}/steps", response={200: VoiceDetailOut, **WRITE_REFUSALS})
def take_step(request: HttpRequest, voice_id: int, payload: VoiceStepIn):
    """Move a voice on: assign, answer, resolve, decline (the unit that answers it), confirm
    or reopen (its raiser)."""
    if selectors.voice_for(current_actor(), voice_id) is None:
        raise Http404(f"No voice {voice_id}.")
    if payload.action not in domain.VERBS:
        raise _field_error("action", f"one of {', '.join(domain.VERBS)}")
    if payload.action == "assign":
        assignee = (
            get_user_model().objects.filter(username=payload.assigned_to, is_active=True).first()
        )
        if assignee is None:
            raise _field_error("assigned_to", f"no person {payload.assigned_to!r}")
        actions.assign_voice(voice_id, to=assignee, note=payload.note)
    elif payload.action == "answer":
        actions.answer_voice(voice_id, answer=payload.note)
    elif payload.action == "decline":
        actions.decline_voice(voice_id, reason=payload.note)
    else:
        actions.STEPS[payload.action](voice_id, note=payload.note)
    return _detail(voice_id)


@router.get("/voices", response={200: list[VoiceOut], **READ_REFUSALS})
def list_voices(
    request: HttpRequest,
    unit: str | None = None,
    status: str | None = None,
    topic: str | None = None,
    mine: bool = False,
    limit: int = 100,
    offset: int = 0,
):
    """Voices the caller may see, newest first: routed within a unit's subtree, of a status
    ("open" for received or assigned), of a topic, or only the caller's own."""
    actor = current_actor()
    if status and status not in (*VoiceStatus.values, "open"):
        raise _field_error("status", f"open or one of {', '.join(VoiceStatus.values)}")
    found = None
    if topic:
        found = Topic.objects.filter(code=topic).first()
        if found is None:
            raise _field_error("topic", f"no topic {topic!r}")
    limit = max(1, min(limit, 1000))
    if mine:
        rows = selectors.my_voices(actor)
    else:
        where = unit_or_404(unit) if unit else None
        rows = selectors.voices_for(actor, routed_within=where, status=status or "", topic=found)
    rows = rows.select_related("raised_by")[max(0, offset) : max(0, offset) + limit]
    return [_out(v, actor) for v in rows]


@router.get("/voices/{voice_id}", response={200: VoiceDetailOut, **READ_REFUSALS})
def get_voice(request: HttpRequest, voice_id: int):
    """One voice with its events and the steps the caller may take now."""
    return _detail(voice_id)


@router.get("/units/{code}/voice-figures", response={200: VoiceFiguresOut, **READ_REFUSALS})
def figures(request: HttpRequest, code: str):
    """A unit's subtree figures: counts in all and by topic, time to answer and to resolve
    (median and 90th percentile, the upper bound of their hour bucket)."""
    unit = unit_or_404(code)
    f = selectors.figures(unit)
    counts = {name: getattr(f, name) for name in steps.COLUMNS}
    return {
        "unit": unit.code,
        **counts,
        "answer_median_hours": f.answer_median,
        "answer_p90_hours": f.answer_p90,
        "resolve_median_hours": f.resolve_median,
        "resolve_p90_hours": f.resolve_p90,
        "topics": [
            {"topic": t.code, **{name: getattr(total, name) for name in steps.COLUMNS}}
            for t, total in f.topics
        ],
    }
