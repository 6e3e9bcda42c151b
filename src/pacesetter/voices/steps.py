"""The working parts of voices' actions (actions.py is the door): the figures' upserts,
routing, the raiser's hidden key, and the audited steps themselves. The steps an anonymous
raiser takes run here under a masked actor, so the trail names nobody."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.http import Http404
from django.utils import timezone

from pacesetter.accounts.permissions import (
    Actor,
    Capability,
    actor_for,
    can,
    current_actor,
    require,
    require_taking_part,
)
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import NotAllowed, RowError, StateError, ValidationFailed
from pacesetter.units.models import Unit

from . import domain
from .models import EventKind, Route, Status, Topic, Voice, VoiceEvent

TOTALS = "voices_voicetotal"
COLUMNS = ("received", "open", "overdue", "escalated", "answered", "resolved", "declined")
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# What an attachment may be, told by its first bytes (not by its name or the browser's word).
ATTACHMENT_TYPES = {
    b"\x89PNG\r\n\x1a\n": (".png", "image/png"),
    b"\xff\xd8\xff": (".jpg", "image/jpeg"),
    b"%PDF-": (".pdf", "application/pdf"),
}


def refuse(field: str, message: str, cls=ValidationFailed) -> None:
    raise cls(f"{field}: {message}", errors=[RowError(1, field, message)])


def execute(table: str, key: Sequence[str], columns: Sequence[str], rows: list[tuple]) -> None:
    """Add rows (key values, then column values) to `table`, in key order (no deadlocks), in
    statements of at most STATEMENT_ROWS rows (within every database's bound on parameters)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: tuple(str(v) for v in r[: len(key)]))
    names = (*key, *columns)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), STATEMENT_ROWS):
            chunk = rows[start : start + STATEMENT_ROWS]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                f"{', '.join([row_sql] * len(chunk))} "
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
                [value for row in chunk for value in row],
            )


STATEMENT_ROWS = 1000


def add_totals(rows: Iterable[tuple[int, int, dict[str, int]]]) -> None:
    """Add (unit_id, topic_id, {column: change}) to the totals of the unit and its ancestors
    — callers pass one row per lineage unit. Changes of one key are summed first."""
    summed: dict[tuple[int, int], dict[str, int]] = {}
    for unit_id, topic_id, change in rows:
        into = summed.setdefault((unit_id, topic_id), {})
        for name, value in change.items():
            into[name] = into.get(name, 0) + value
    execute(
        TOTALS,
        ("unit_id", "topic_id"),
        COLUMNS,
        [
            (unit_id, topic_id, *(change.get(c, 0) for c in COLUMNS))
            for (unit_id, topic_id), change in summed.items()
            if any(change.values())
        ],
    )


def _add(voice: Voice, change: dict[str, int]) -> None:
    add_totals((unit_id, voice.topic_id, change) for unit_id in voice.unit.lineage_ids)


def _time(voice: Voice, measure: str, since: dt.datetime, now: dt.datetime) -> None:
    hours = (now - since).total_seconds() / 3600
    execute(
        "voices_voicetiming",
        ("unit_id", "topic_id", "measure", "bucket"),
        ("count",),
        [
            (unit_id, voice.topic_id, measure, domain.bucket(hours), 1)
            for unit_id in voice.unit.lineage_ids
        ],
    )


def raiser_key(user) -> str:
    """A keyed hash naming the raiser of an anonymous voice to nobody but themselves."""
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"voice-raiser:{user.pk}".encode(), hashlib.sha256).hexdigest()


class Masked(Actor):
    """The raiser of an anonymous voice, acting with their rights under no name."""

    def __init__(self, real: Actor):
        super().__init__()
        self._real = real

    @property
    def label(self) -> str:
        return "anonymous"

    def paths(self, capability, movement=None):
        return self._real.paths(capability, movement)


def user_of(actor: Actor):
    return actor.user if actor.user is not None and actor.is_authenticated else None


def route_of(topic: Topic, unit: Unit) -> tuple[Unit, str]:
    """The unit that answers a voice of `topic` about `unit`, and the rule, in words."""
    if topic.route == Route.NAMED:
        return topic.route_unit, f"topic {topic.code}: answered at {topic.route_unit.code}"
    if topic.route == Route.ANCESTOR:
        found = (
            Unit.objects.filter(pk__in=unit.lineage_ids, kind_id=topic.route_kind_id)
            .order_by("-depth")
            .first()
        )
        kind = topic.route_kind.code
        if found is not None:
            return found, f"topic {topic.code}: at the nearest {kind} ({found.code})"
        return topic.organiser, (
            f"topic {topic.code}: no {kind} above {unit.code}, so at the organiser "
            f"({topic.organiser.code})"
        )
    return unit, f"topic {topic.code}: at the unit itself ({unit.code})"


def _stored_attachment(attachment: UploadedFile) -> tuple[str, str]:
    if attachment.size is not None and attachment.size > ATTACHMENT_MAX_BYTES:
        refuse("attachment", f"at most {ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB")
    head = attachment.read(8)
    attachment.seek(0)
    kind = next((v for magic, v in ATTACHMENT_TYPES.items() if head.startswith(magic)), None)
    if kind is None:
        refuse("attachment", "a photo (PNG, JPEG) or a PDF")
    name = f"voices/{secrets.token_urlsafe(18)}{kind[0]}"
    stored = storages["attachments"].save(name, attachment)
    return stored, Path(attachment.name or "attachment").name[:200]


@audited("voices.raise_voice")
def raise_voice(
    *,
    topic: Topic,
    unit: Unit,
    subject: str,
    text: str,
    anonymous: bool,
    on_behalf_of: str,
    attachment: UploadedFile | None,
    key: str | None,
    raiser: str = "",
) -> Voice:
    """A new voice, routed by its topic's rule, due in the topic's days; the event, the
    figures of the unit and its ancestors and the topic's day count are written with it.
    With a `key` already used, the voice raised with it is returned and nothing is written."""
    actor = current_actor()
    if key:
        earlier = Voice.objects.filter(key=key).first()
        if earlier is not None:
            return earlier
    if on_behalf_of.strip():
        require(actor, Capability.PLAN, unit, topic.movement)
    else:
        require_taking_part(actor, unit, topic.movement)
    errors: list[RowError] = []
    if not unit.path.startswith(topic.organiser.path):
        errors.append(RowError(1, "topic", f"topic {topic.code} is not open to {unit.code}"))
    if not subject.strip():
        errors.append(RowError(1, "subject", "a subject is required"))
    elif len(subject.strip()) > 200:
        errors.append(RowError(1, "subject", "at most 200 characters"))
    if not text.strip():
        errors.append(RowError(1, "text", "say what you ask for"))
    if errors:
        raise ValidationFailed(
            "The voice is not valid: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        )
    stored, stored_name = _stored_attachment(attachment) if attachment else ("", "")
    user = user_of(actor)
    routed_to, rule = route_of(topic, unit)
    now = timezone.now()
    voice = Voice.objects.create(
        topic=topic,
        unit=unit,
        subject=subject.strip(),
        text=text.strip(),
        raised_by=None if anonymous or on_behalf_of.strip() else user,
        on_behalf_of=on_behalf_of.strip(),
        recorded_by=user if on_behalf_of.strip() else None,
        anonymous=anonymous,
        raiser_key=raiser,
        routed_to=routed_to,
        routing_rule=rule,
        raised_at=now,
        due_at=now + dt.timedelta(days=topic.deadline_days),
        attachment=stored,
        attachment_name=stored_name,
        key=key or None,
    )
    VoiceEvent.objects.create(
        voice=voice,
        at=now,
        by=None if anonymous else user,
        by_label="anonymous" if anonymous else actor.label,
        kind=EventKind.RAISED,
        to_status=Status.RECEIVED,
        note=f"for {on_behalf_of.strip()}" if on_behalf_of.strip() else "",
        routed_to=routed_to,
    )
    _add(voice, domain.delta(None, Status.RECEIVED))
    execute(
        "voices_voicetopicday",
        ("topic_id", "day"),
        ("received",),
        [(topic.pk, timezone.localdate(now), 1)],
    )
    note(target=voice, unit=unit, movement=topic.movement, after={"routed_to": routed_to.code})
    return voice


def locked(voice: Voice | int) -> Voice:
    pk = getattr(voice, "pk", voice)
    return (
        Voice.objects.select_for_update(of=("self",))
        .select_related("unit", "routed_to", "topic__movement")
        .get(pk=pk)
    )


def is_handler(actor: Actor, voice: Voice) -> bool:
    return can(actor, Capability.PLAN, voice.routed_to, voice.topic.movement)


def is_raiser(actor: Actor, voice: Voice) -> bool:
    user = user_of(actor)
    if user is None:
        return False
    if voice.anonymous:
        return bool(voice.raiser_key) and hmac.compare_digest(voice.raiser_key, raiser_key(user))
    return user.pk in (voice.raised_by_id, voice.recorded_by_id)


def may(actor: Actor, verb: str, voice: Voice, raiser_checked: bool = False) -> bool:
    if verb in domain.RAISER_VERBS:
        # The system (a command, an import) may do everything, as everywhere else.
        return raiser_checked or actor.is_system or is_raiser(actor, voice)
    if is_handler(actor, voice):
        return True
    user = user_of(actor)
    return verb != "assign" and user is not None and voice.assigned_to_id == user.pk


def step(
    verb: str,
    voice: Voice | int,
    *,
    note_text: str = "",
    assignee=None,
    raiser_checked: bool = False,
) -> Voice:
    actor = current_actor()
    voice = locked(voice)
    if not may(actor, verb, voice, raiser_checked):
        if not can(actor, Capability.VIEW, voice.routed_to) and not is_raiser(actor, voice):
            raise Http404("No such voice here.")
        who = "the raiser" if verb in domain.RAISER_VERBS else "the unit that answers it"
        raise NotAllowed(
            f"Only {who} may do this.", errors=[RowError(1, "status", f"only {who} may")]
        )
    problem = domain.transition_error(verb, voice.status, reopened=voice.reopened)
    if problem:
        refuse("status", problem, StateError)
    if verb == "decline" and not note_text.strip():
        refuse("reason", "a reason is required to decline a voice")
    if verb == "answer" and not note_text.strip():
        refuse("answer", "write the answer")
    user = user_of(actor)
    now = timezone.now()
    before, to = voice.status, domain.TRANSITIONS[verb][1]
    change = domain.delta(before, to) if domain.column(before) != domain.column(to) else {}
    if verb == "assign":
        if assignee is None:
            refuse("assigned_to", "name the person who answers")
        if not can(actor_for(assignee), Capability.VIEW, voice.routed_to):
            refuse("assigned_to", f"{assignee.get_username()} has no role at this unit")
        voice.assigned_to = assignee
        note_text = note_text.strip() or f"to {assignee.get_username()}"
    if voice.overdue and before in domain.OPEN and to not in domain.OPEN:
        voice.overdue = False
        change["overdue"] = -1
    if verb == "answer":
        voice.answer = note_text.strip()
        if voice.answered_at is None:
            voice.answered_at = now
            _time(voice, "answer", voice.raised_at, now)
    if to == Status.RESOLVED and voice.resolved_at is None:
        voice.resolved_at = now
        _time(voice, "resolve", voice.raised_at, now)
    if verb == "confirm":
        voice.confirmed = True
    if verb == "reopen":
        voice.reopened, voice.assigned_to = True, None
        voice.due_at = now + dt.timedelta(days=voice.topic.deadline_days)
    masked = voice.anonymous and verb in domain.RAISER_VERBS
    VoiceEvent.objects.create(
        voice=voice,
        at=now,
        by=None if masked else user,
        by_label="anonymous" if masked else actor.label,
        kind={"assign": EventKind.ASSIGNED, "answer": EventKind.ANSWERED}.get(
            verb, {"resolve": "resolved", "decline": "declined"}.get(verb, verb + "ed")
        ),
        from_status=before,
        to_status=to,
        note=note_text.strip(),
    )
    voice.status = to
    voice.save()
    _add(voice, change)
    note(target=voice, unit=voice.unit, before={"status": before}, after={"status": to})
    return voice


@audited("voices.confirm_voice")
def confirm(voice: int, *, note: str, raiser_checked: bool) -> Voice:
    return step("confirm", voice, note_text=note, raiser_checked=raiser_checked)


@audited("voices.reopen_voice")
def reopen(voice: int, *, note: str, raiser_checked: bool) -> Voice:
    return step("reopen", voice, note_text=note, raiser_checked=raiser_checked)
