"""Every change to a voice, each an audited action in one transaction: the event row, the
voice's status and the figures (VoiceTotal, VoiceTiming, VoiceTopicDay) move together or not
at all.

Who may do what (pacesetter.accounts.permissions):
- set a topic: ORGANISE on its organising unit;
- raise: PARTICIPATE or REPORT on the unit it concerns; raise on someone's behalf (an
  official hearing people, e.g. on a visit): PLAN on that unit;
- assign, answer, resolve, decline: the handlers — PLAN on the unit the voice is routed to
  (its head, a head or organiser above) — and, for answer, resolve and decline, the person it
  is assigned to;
- confirm ("resolved for me") and reopen (once): the raiser (or the official who recorded
  it on someone's behalf);
- escalate overdue voices: ORGANISE where they are routed (the system, from the background
  task or `pacesetter escalate-voices`).

An anonymous voice names nobody: not on the voice (only a keyed hash of the raiser, so they
find it in "my voices"), not in its events, and not in the audit trail — the raiser's own
steps on it are audited under a masked actor with the raiser's rights and no name.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db.models import F, OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from pacesetter.accounts.permissions import (
    Capability,
    acting_as,
    current_actor,
    require,
    unit_filter,
)
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit, UnitKind

from . import bulk, domain, steps
from .models import EventKind, Route, Status, Topic, Voice

# --- topics -------------------------------------------------------------------------------


@audited("voices.set_topic")
def set_topic(
    *,
    code: str,
    name: str,
    organiser: Unit,
    movement: Movement | None = None,
    deadline_days: int = 14,
    route: str = Route.UNIT,
    route_kind: str = "",
    route_unit: Unit | None = None,
    public: bool = False,
) -> Topic:
    """Create the topic `code`, or change it (its voices keep where they were routed)."""
    require(current_actor(), Capability.ORGANISE, organiser, movement)
    errors: list[RowError] = []
    kind = None
    if not code.strip():
        errors.append(RowError(1, "code", "a code is required"))
    if not name.strip():
        errors.append(RowError(1, "name", "a name is required"))
    if not isinstance(deadline_days, int) or not 1 <= deadline_days <= 3660:
        errors.append(RowError(1, "deadline_days", "a whole number of days, 1 to 3660"))
    if route not in Route.values:
        errors.append(RowError(1, "route", f"one of {', '.join(Route.values)}"))
    if route == Route.ANCESTOR:
        kind = UnitKind.objects.filter(code=route_kind).first()
        if kind is None:
            errors.append(RowError(1, "route_kind", f"no unit kind {route_kind!r}"))
    elif route_kind:
        errors.append(RowError(1, "route_kind", "only a route to a unit of a kind names one"))
    if route == Route.NAMED and route_unit is None:
        errors.append(RowError(1, "route_unit", "name the unit that answers"))
    elif route != Route.NAMED and route_unit is not None:
        errors.append(RowError(1, "route_unit", "only a route to a named unit names one"))
    if errors:
        raise ValidationFailed(
            "The topic is not valid: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        )
    existing = Topic.objects.filter(code=code).first()
    if existing is not None:
        require(current_actor(), Capability.ORGANISE, existing.organiser, existing.movement)
    topic = existing or Topic(code=code)
    before = {"name": topic.name, "route": topic.route} if existing else None
    topic.name, topic.organiser, topic.movement = name.strip(), organiser, movement
    topic.deadline_days, topic.route, topic.public = deadline_days, route, public
    topic.route_kind, topic.route_unit = kind, route_unit if route == Route.NAMED else None
    topic.save()
    note(target=topic, unit=organiser, movement=movement, before=before)
    return topic


# --- raising ------------------------------------------------------------------------------


def raise_voice(
    *,
    topic: Topic,
    unit: Unit,
    subject: str,
    text: str,
    anonymous: bool = False,
    on_behalf_of: str = "",
    attachment: UploadedFile | None = None,
    key: str | None = None,
) -> Voice:
    """Raise a voice (see `_raise_voice`); an anonymous one is audited under no name."""
    actor = current_actor()
    if anonymous and not actor.is_system:
        if on_behalf_of.strip():
            steps.refuse("anonymous", "a voice raised on someone's behalf names them")
        user = steps.user_of(actor)
        with acting_as(steps.Masked(actor)):
            return steps.raise_voice(
                topic=topic,
                unit=unit,
                subject=subject,
                text=text,
                anonymous=True,
                on_behalf_of="",
                attachment=attachment,
                key=key,
                raiser=steps.raiser_key(user) if user is not None else "",
            )
    return steps.raise_voice(
        topic=topic,
        unit=unit,
        subject=subject,
        text=text,
        anonymous=anonymous,
        on_behalf_of=on_behalf_of,
        attachment=attachment,
        key=key,
    )


@audited("voices.assign_voice")
def assign_voice(voice: Voice | int, *, to, note: str = "") -> Voice:
    """Give the voice to a person with a role at the unit that answers it."""
    return steps.step("assign", voice, note_text=note, assignee=to)


@audited("voices.answer_voice")
def answer_voice(voice: Voice | int, *, answer: str) -> Voice:
    """Answer the voice; the raiser sees the answer. The first answer's time is counted."""
    return steps.step("answer", voice, note_text=answer)


@audited("voices.resolve_voice")
def resolve_voice(voice: Voice | int, *, note: str = "") -> Voice:
    return steps.step("resolve", voice, note_text=note)


@audited("voices.decline_voice")
def decline_voice(voice: Voice | int, *, reason: str) -> Voice:
    return steps.step("decline", voice, note_text=reason)


def _raiser(verb: str, voice: Voice | int, note_text: str) -> Voice:
    """The raiser's own step; on an anonymous voice, audited under no name (the raiser is
    recognised before their name is masked)."""
    actor = current_actor()
    pk = getattr(voice, "pk", voice)
    current = Voice.objects.filter(pk=pk).first()
    if current is None:
        raise Http404("No such voice here.")
    step = _RAISER_STEPS[verb]
    if current.anonymous and not actor.is_system:
        checked = steps.is_raiser(actor, current)
        with acting_as(steps.Masked(actor)):
            return step(pk, note=note_text, raiser_checked=checked)
    return step(pk, note=note_text, raiser_checked=False)


_RAISER_STEPS = {"confirm": steps.confirm, "reopen": steps.reopen}


def confirm_voice(voice: Voice | int, *, note: str = "") -> Voice:
    """The raiser says the voice was resolved for them (an answered voice becomes resolved)."""
    return _raiser("confirm", voice, note)


def reopen_voice(voice: Voice | int, *, note: str = "") -> Voice:
    """The raiser says it was not resolved for them: the voice is received again, with a new
    deadline. Once only."""
    return _raiser("reopen", voice, note)


# --- escalation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalated:
    escalated: int
    overdue_at_top: int


@audited("voices.escalate_overdue_voices")
def escalate_overdue_voices(*, now: dt.datetime | None = None, limit: int = 50_000) -> Escalated:
    """Every open voice past its deadline, routed where the actor may ORGANISE, goes one level
    up (to the parent of the unit it is routed to) with a new deadline and an "escalated"
    event, and counts once as overdue until it is answered or declined. A voice already at the
    root stays there, counted overdue. Idempotent at a given `now`: an escalated voice is due
    again only a topic's days later."""
    actor = current_actor()
    now = now or timezone.now()
    # Plain rows, not model instances: at 10,000 voices the instances (voice, unit, topic,
    # the unit above) and the events' took most of a run.
    candidates = (
        Voice.objects.filter(status__in=domain.OPEN, due_at__lt=now)
        .filter(unit_filter(actor, Capability.ORGANISE, field="routed_to"))
        .exclude(overdue=True, routed_to__parent__isnull=True)
        .select_for_update(of=("self",))
        .order_by("due_at", "id")
        .values_list(
            "pk",
            "topic_id",
            "topic__deadline_days",
            "status",
            "overdue",
            "routed_to__parent_id",
            "unit__path",
        )[:limit]
    )
    events: list[tuple] = []
    moved = top = 0
    # What to write, set by set: the ids going up, by their topic's deadline, and the ids
    # at the root newly counted overdue; the figures' changes counted per unit and topic.
    going_up: dict[int, list[int]] = {}
    marked: list[int] = []
    counted: Counter[tuple[str, int, int, int]] = Counter()
    label = actor.label
    for pk, topic_id, days, status, overdue, parent, path in candidates:
        if parent is not None:
            going_up.setdefault(days, []).append(pk)
            events.append(
                (
                    pk,
                    None,
                    label,
                    EventKind.ESCALATED,
                    status,
                    Status.RECEIVED,
                    f"past the {days}-day deadline",
                    parent,
                )
            )
            moved += 1
        else:
            top += 1
            if not overdue:
                marked.append(pk)
        counted[(path, topic_id, 0 if overdue else 1, 1 if parent is not None else 0)] += 1
    _store_escalations(going_up, marked, now)
    bulk.add_events(events, now)
    steps.add_totals(
        (int(unit_id), topic_id, {"overdue": newly * count, "escalated": up * count})
        for (path, topic_id, newly, up), count in counted.items()
        for unit_id in path.strip("/").split("/")
    )
    result = Escalated(escalated=moved, overdue_at_top=top)
    note(after={"escalated": moved, "overdue_at_top": top})
    return result


def _store_escalations(going_up: dict[int, list[int]], marked: list[int], now: dt.datetime):
    """Write an escalation set by set — one UPDATE per deadline and chunk of ids, each voice's
    new unit its old unit's parent, read in the statement — instead of a row-by-row
    bulk_update (seconds at 10,000 voices); then mark the root's newly overdue ones."""
    parent = Unit.objects.filter(pk=OuterRef("routed_to_id")).values("parent_id")[:1]
    for days, ids in going_up.items():
        for start in range(0, len(ids), _CHUNK):
            Voice.objects.filter(pk__in=ids[start : start + _CHUNK]).update(
                overdue=True,
                routed_to_id=Subquery(parent),
                assigned_to=None,
                escalations=F("escalations") + 1,
                due_at=now + dt.timedelta(days=days),
                status=Status.RECEIVED,
            )
    for start in range(0, len(marked), _CHUNK):
        Voice.objects.filter(pk__in=marked[start : start + _CHUNK]).update(overdue=True)


_CHUNK = 900  # ids per statement, well under SQLite's bound on parameters


# Each delegates to an audited action (the audit test looks for this mark).
raise_voice.audited_as = "voices.raise_voice"  # type: ignore[attr-defined]
confirm_voice.audited_as = "voices.confirm_voice"  # type: ignore[attr-defined]
reopen_voice.audited_as = "voices.reopen_voice"  # type: ignore[attr-defined]

STEPS = {
    "assign": assign_voice,
    "answer": answer_voice,
    "resolve": resolve_voice,
    "decline": decline_voice,
    "confirm": confirm_voice,
    "reopen": reopen_voice,
}


# --- bulk import --------------------------------------------------------------------------

IMPORT_REQUIRED = bulk.REQUIRED
IMPORT_OPTIONAL = bulk.OPTIONAL


@dataclass(frozen=True)
class Imported:
    raised: int
    already_there: int


@audited("voices.import_voices")
def import_voices(*, rows: list[dict[str, str]]) -> Imported:
    """Voices heard by officials (on visits, at meetings), from a file: every row is checked
    first — topic, unit (PLAN on it: an official's import), the topic open to the unit,
    subject, text, the person's name or `anonymous: yes`, a key unique in the file — and the
    errors come back by row and field with nothing written; else every new row is raised in
    this one transaction, set by set (see bulk.py), and the import is audited once. A key
    raised before is left alone (the file can be sent twice). Rows are numbered 1, 2, 3...
    as given."""
    actor = current_actor()
    todo, known, errors = bulk.check(actor, rows)
    if errors:
        raise ValidationFailed(
            f"{len({e.row for e in errors})} of {len(rows)} rows are not valid; nothing was "
            "imported.",
            errors=errors,
        )
    raised = bulk.raise_all(actor, [row for row in todo if row.key not in known])
    result = Imported(raised=raised, already_there=len(rows) - raised)
    note(after={"raised": result.raised, "already_there": result.already_there})
    return result
