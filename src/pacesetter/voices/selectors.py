"""Reading voices: the voices an actor may see (and whose names), one voice with its events,
the steps the actor may take, a unit's subtree figures and "what people ask for".

Who sees what:
- the handlers (PLAN on the unit a voice is routed to) and its assignee: everything, the
  raiser's name included — except an anonymous voice's raiser, whom nobody sees;
- the raiser: their own voices, every step and the answer;
- others who may view the unit a voice concerns or is routed to: a named voice's subject,
  text and steps, without the raiser's name; never an anonymous voice;
- everyone (the public page): resolved voices of public topics, not anonymous, no names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from pacesetter.accounts.permissions import EVERYWHERE, Actor, Capability, unit_filter
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit

from . import domain, steps
from .models import Status, Topic, Voice, VoiceTiming, VoiceTopicDay, VoiceTotal


def _within(actor: Actor, capability: Capability, field_name: str) -> Q | None:
    """The filter for rows where the actor has `capability` on `field_name`; None when that
    is everywhere (an empty Q would vanish from an OR and narrow it instead)."""
    if EVERYWHERE in actor.paths(capability):
        return None
    return unit_filter(actor, capability, field=field_name)


def visible(actor: Actor) -> Q:
    handler = _within(actor, Capability.PLAN, "routed_to")
    if handler is None:
        return Q()
    seen_unit = _within(actor, Capability.VIEW, "unit")
    seen_routed = _within(actor, Capability.VIEW, "routed_to")
    viewer = Q(anonymous=False)
    if seen_unit is not None and seen_routed is not None:
        viewer &= seen_unit | seen_routed
    query = handler | viewer
    user = steps.user_of(actor)
    if user is not None:
        query |= (
            Q(raised_by=user)
            | Q(recorded_by=user)
            | Q(assigned_to=user)
            | Q(raiser_key=steps.raiser_key(user))
        )
    return query


def voices_for(
    actor: Actor,
    *,
    routed_within: Unit | None = None,
    status: str = "",
    topic: Topic | None = None,
    overdue: bool = False,
) -> QuerySet[Voice]:
    rows = Voice.objects.filter(visible(actor)).select_related("unit", "routed_to", "topic")
    if routed_within is not None:
        rows = rows.filter(routed_to__path__startswith=routed_within.path)
    if status == "open":
        rows = rows.filter(status__in=domain.OPEN)
    elif status:
        rows = rows.filter(status=status)
    if topic is not None:
        rows = rows.filter(topic=topic)
    if overdue:
        rows = rows.filter(overdue=True)
    return rows


def my_voices(actor: Actor) -> QuerySet[Voice]:
    user = steps.user_of(actor)
    if user is None:
        return Voice.objects.none()
    return (
        Voice.objects.filter(
            Q(raised_by=user) | Q(recorded_by=user) | Q(raiser_key=steps.raiser_key(user))
        )
        .select_related("unit", "routed_to", "topic")
        .prefetch_related("events")
    )


def public_voices(unit: Unit | None = None) -> QuerySet[Voice]:
    rows = Voice.objects.filter(status=Status.RESOLVED, topic__public=True, anonymous=False)
    if unit is not None:
        rows = rows.filter(unit__path__startswith=unit.path)
    return rows.select_related("unit", "topic")


def voice_for(actor: Actor, pk: int) -> Voice | None:
    return (
        Voice.objects.filter(visible(actor), pk=pk)
        .select_related("unit", "routed_to", "topic__movement", "raised_by", "assigned_to")
        .prefetch_related("events__routed_to")
        .first()
    )


def shows_raiser(actor: Actor, voice: Voice) -> bool:
    """Whether the actor sees who raised the voice (never for an anonymous one)."""
    if voice.anonymous:
        return False
    user = steps.user_of(actor)
    return (
        steps.is_handler(actor, voice)
        or steps.is_raiser(actor, voice)
        or (user is not None and voice.assigned_to_id == user.pk)
    )


def raiser_label(voice: Voice) -> str:
    if voice.anonymous:
        return "anonymous"
    if voice.on_behalf_of:
        return voice.on_behalf_of
    return voice.raised_by.get_username() if voice.raised_by_id else ""


def allowed_steps(actor: Actor, voice: Voice) -> list[str]:
    """The steps the actor may take on the voice now (state and permission)."""
    return [
        verb
        for verb in domain.VERBS
        if not domain.transition_error(verb, voice.status, reopened=voice.reopened)
        and steps.may(actor, verb, voice)
    ]


def topics_open_to(unit: Unit) -> list[Topic]:
    """Topics a voice about `unit` may take: those of organisers on or above it."""
    return list(Topic.objects.filter(organiser_id__in=unit.lineage_ids).select_related("movement"))


@dataclass
class Figures:
    unit: Unit
    received: int = 0
    open: int = 0
    overdue: int = 0
    escalated: int = 0
    answered: int = 0
    resolved: int = 0
    declined: int = 0
    answer_median: int | None = None
    answer_p90: int | None = None
    resolve_median: int | None = None
    resolve_p90: int | None = None
    topics: list[tuple[Topic, VoiceTotal]] = field(default_factory=list)


def figures(unit: Unit) -> Figures:
    """The subtree figures of `unit` from the maintained tables (two queries): counts per
    topic and in all, time to answer and to resolve (median, 90th percentile, in hours as the
    upper bound of their bucket)."""
    result = Figures(unit=unit)
    for total in VoiceTotal.objects.filter(unit=unit).select_related("topic"):
        result.topics.append((total.topic, total))
        for name in steps.COLUMNS:
            setattr(result, name, getattr(result, name) + getattr(total, name))
    result.topics.sort(key=lambda pair: -pair[1].received)
    counts: dict[str, dict[int, int]] = {"answer": {}, "resolve": {}}
    for measure, bucket, count in (
        VoiceTiming.objects.filter(unit=unit)
        .values_list("measure", "bucket")
        .annotate(n=Sum("count"))
    ):
        counts[measure][bucket] = count
    result.answer_median = domain.percentile(counts["answer"], Decimal("0.5"))
    result.answer_p90 = domain.percentile(counts["answer"], Decimal("0.9"))
    result.resolve_median = domain.percentile(counts["resolve"], Decimal("0.5"))
    result.resolve_p90 = domain.percentile(counts["resolve"], Decimal("0.9"))
    return result


@dataclass(frozen=True)
class Growth:
    topic: Topic
    now: int
    before: int
    change: Decimal | None


def what_people_ask_for(movement: Movement, *, days: int = 30, today: dt.date | None = None):
    """Topics of the movement (and those of organisers on or above its organiser that hold
    for every movement), fastest growing first: voices received in the last `days` days
    against the `days` before (two queries)."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    previous = start - dt.timedelta(days=days)
    topics = {
        t.pk: t
        for t in Topic.objects.filter(
            Q(movement=movement)
            | Q(movement__isnull=True, organiser_id__in=movement.organiser.lineage_ids)
        )
    }
    now: dict[int, int] = {}
    before: dict[int, int] = {}
    for topic_id, day, received in VoiceTopicDay.objects.filter(
        topic_id__in=topics, day__gte=previous, day__lte=today
    ).values_list("topic_id", "day", "received"):
        into = now if day >= start else before
        into[topic_id] = into.get(topic_id, 0) + received
    return [Growth(topics[t], a, b, c) for t, a, b, c in domain.growth(now, before, sorted(topics))]
