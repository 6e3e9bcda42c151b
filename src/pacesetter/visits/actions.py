"""Every write of visits, each an audited action in one transaction.

Who may do what (pacesetter.accounts.permissions):
- record a visit, add a follow-up: VISIT on the visited unit — an official (unit head or
  organiser) on the unit or above it. A unit the actor cannot see is "no such unit" (a row
  error naming the field, never a hint that it exists).
- mark a follow-up done or undone: its owner, or anyone with VISIT on the visited unit.

`record_visits` is the one path for one visit or a file of thousands: every row is checked
first (unit, right, date, people, key), every bad row is listed, and then all rows are
recorded or none, with the per-unit-and-year aggregate (`UnitVisitYear`) in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.http import Http404
from django.utils import timezone

from pacesetter.accounts.permissions import Capability, actor_for, can, current_actor, unit_filter
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import (
    NotAllowed,
    RowError,
    StateError,
    ValidationFailed,
    raise_for_rows,
)
from pacesetter.core.text import control_character, control_character_message
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Unit
from pacesetter.voices import actions as voices_actions
from pacesetter.voices.models import Topic

from . import domain
from .models import FollowUpEvent, FollowUpTask, Visit, VisitVisitor, VisitVoice

YEARS = "visits_unitvisityear"
MAX_ROWS = 50_000
KEY_SEPARATOR = "\x1f"
# With no movement to take a time zone from, "not in the future" is judged where the day is
# latest on earth (UTC+14): a visit recorded in the evening in Pyongyang is never refused as
# tomorrow by a server keeping UTC.
LATEST_ZONE = zoneinfo.ZoneInfo("Pacific/Kiritimati")


@dataclass
class VisitRow:
    """One visit as a person or a file gives it: codes, usernames and text."""

    unit: str
    visited_on: str | dt.date
    purpose: str
    findings: str = ""
    visitors: Sequence[str] = ()  # usernames of people with an account
    guest_names: Sequence[str] = ()  # the others, as typed
    movement: str = ""  # slug
    key: str = ""


@dataclass
class FollowUpRow:
    what: str
    owner: str  # username
    due_on: str | dt.date


@dataclass
class VoiceRow:
    """A voice collected on the spot: its topic's code, subject and text, and on whose behalf
    (a name as typed), or anonymous."""

    topic: str
    subject: str
    text: str
    on_behalf_of: str = ""
    anonymous: bool = False


@dataclass
class VisitsResult:
    visits: list[Visit] = field(default_factory=list)
    created: int = 0
    replayed: int = 0


def _owner_scope() -> str:
    actor = current_actor()
    return str(actor.user.pk) if actor.user is not None and actor.is_authenticated else "system"


def _stored_key(key: str) -> str | None:
    return f"{_owner_scope()}{KEY_SEPARATOR}{key}" if key else None


def _user_of(actor):
    return actor.user if actor.user is not None and actor.is_authenticated else None


def _today(movement: Movement | None) -> dt.date:
    return (
        movement_today(movement)
        if movement is not None
        else timezone.localdate(timezone=LATEST_ZONE)
    )


def _text_errors(number: int, values: dict[str, str]) -> list[RowError]:
    errors = []
    for name, value in values.items():
        bad = control_character(value)
        if bad:
            errors.append(
                RowError(number, name, control_character_message(bad), "control_character")
            )
    return errors


def _add_years(visits: Sequence[tuple[int, dt.date]]) -> None:
    """Upsert the per-unit-and-year aggregate with one statement."""
    deltas = domain.year_deltas(visits)
    if not deltas:
        return
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(deltas))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {YEARS} (unit_id, year, visits, first_on, last_on) VALUES {values} "
            f"ON CONFLICT (unit_id, year) DO UPDATE SET visits = {YEARS}.visits + excluded.visits, "
            f"first_on = {least}({YEARS}.first_on, excluded.first_on), "
            f"last_on = {greatest}({YEARS}.last_on, excluded.last_on)",
            [v for d in deltas for v in (d.unit_id, d.year, d.visits, d.first_on, d.last_on)],
        )


@dataclass
class _Checked:
    row: VisitRow
    unit: Unit
    day: dt.date
    movement: Movement | None
    users: list
    guests: list[str]
    key: str | None


def _same(visit: Visit, checked: _Checked, user_ids: set[int]) -> bool:
    return (
        visit.unit_id == checked.unit.pk
        and visit.visited_on == checked.day
        and visit.purpose == checked.row.purpose.strip()
        and visit.findings == checked.row.findings.strip()
        and list(visit.guest_names) == checked.guests
        and visit.movement_id == (checked.movement.pk if checked.movement else None)
        and user_ids == {u.pk for u in checked.users}
    )


def _check(rows: Sequence[VisitRow], row_numbers: Sequence[int] | None) -> list[_Checked]:
    """Every row judged in a bounded number of queries; raise once listing every bad row."""
    actor = current_actor()
    codes = {r.unit.strip() for r in rows}
    units = {
        u.code: u
        for u in Unit.objects.filter(unit_filter(actor, Capability.VIEW, field=""), code__in=codes)
    }
    slugs = {r.movement.strip() for r in rows if r.movement.strip()}
    movements = {m.slug: m for m in Movement.objects.filter(slug__in=slugs)}
    scopes = {m.pk: list(m.scope.values_list("path", flat=True)) for m in movements.values()}
    wanted = {name for r in rows for name in r.visitors}
    users = {
        u.get_username(): u
        for u in get_user_model().objects.filter(username__in=wanted, is_active=True)
    }
    errors: list[RowError] = []
    checked: list[_Checked] = []
    seen_keys: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        before = len(errors)
        errors += _text_errors(
            number,
            {
                "purpose": row.purpose,
                "findings": row.findings,
                "key": row.key,
                "guest_names": " ".join(row.guest_names),
            },
        )
        unit = units.get(row.unit.strip())
        if unit is None:
            errors.append(RowError(number, "unit", f"no unit {row.unit.strip()!r}"))
        elif unit.archived:
            errors.append(RowError(number, "unit", "the unit is archived"))
        elif not can(actor, Capability.VISIT, unit):
            errors.append(
                RowError(number, "unit", "you may not record visits to this unit", "not_allowed")
            )
        movement = None
        if row.movement.strip():
            movement = movements.get(row.movement.strip())
            if movement is None:
                errors.append(RowError(number, "movement", f"no movement {row.movement!r}"))
            elif unit is not None and not (
                unit.pk == movement.organiser_id
                or any(unit.path.startswith(p) for p in scopes[movement.pk])
            ):
                errors.append(RowError(number, "movement", "the unit is not in this movement"))
        day = domain.parse_day(row.visited_on)
        if day is None:
            errors.append(RowError(number, "visited_on", "a date, YYYY-MM-DD"))
        elif day > _today(movement):
            errors.append(RowError(number, "visited_on", "the date is in the future"))
        elif day < domain.EARLIEST:
            errors.append(RowError(number, "visited_on", "the date is before 1900"))
        if not row.purpose.strip():
            errors.append(RowError(number, "purpose", "the purpose is required"))
        elif len(row.purpose.strip()) > 300:
            errors.append(RowError(number, "purpose", "at most 300 characters"))
        people = []
        for name in dict.fromkeys(row.visitors):
            person = users.get(name)
            if person is None:
                errors.append(RowError(number, "visitors", f"no active user {name!r}"))
            else:
                people.append(person)
        guests = [" ".join(g.split()) for g in row.guest_names if g.strip()]
        guests = list(dict.fromkeys(guests))
        if not row.visitors and not guests:
            errors.append(RowError(number, "visitors", "name at least one visitor"))
        if any(len(g) > 200 for g in guests):
            errors.append(RowError(number, "guest_names", "a name of at most 200 characters"))
        key = row.key.strip()
        if len(key) > 150:
            errors.append(RowError(number, "key", "at most 150 characters"))
        elif key in seen_keys:
            errors.append(
                RowError(
                    number,
                    "key",
                    f"the same key as row {_named(seen_keys[key], row_numbers)}",
                    "idempotency_conflict",
                )
            )
        elif key:
            seen_keys[key] = number
        if len(errors) == before:
            checked.append(_Checked(row, unit, day, movement, people, guests, _stored_key(key)))
    raise_for_rows(errors, what="visit", total=len(rows))
    return checked


def _named(row: int, row_numbers: Sequence[int] | None) -> int:
    return row_numbers[row - 1] if row_numbers else row


@audited("visits.record_visits")
def record_visits(
    *, rows: Sequence[VisitRow], row_numbers: Sequence[int] | None = None
) -> VisitsResult:
    """Record visits, all or none. A row whose key this caller has used before with the same
    content is a replay (the earlier visit is returned, nothing is counted twice); with other
    content, a conflict (409) naming the row. Errors count rows 1, 2, 3...; a message naming
    another row uses `row_numbers` (a file's own numbering) when given."""
    result = _record(rows, row_numbers)
    note(after={"created": result.created, "replayed": result.replayed})
    return result


def _record(rows: Sequence[VisitRow], row_numbers: Sequence[int] | None = None) -> VisitsResult:
    if not rows:
        raise ValidationFailed("No visits to record.")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"At most {MAX_ROWS:,} visits at a time.")
    checked = _check(rows, row_numbers)
    actor = current_actor()
    user = _user_of(actor)
    keys = [c.key for c in checked if c.key]
    known = {v.key: v for v in Visit.objects.filter(key__in=keys).prefetch_related("visitors")}
    errors = []
    for number, c in enumerate(checked, start=1):
        earlier = known.get(c.key) if c.key else None
        if earlier is not None and not _same(
            earlier, c, {vv.user_id for vv in earlier.visitors.all()}
        ):
            errors.append(
                RowError(
                    number,
                    "key",
                    "this key was used for another visit",
                    "idempotency_conflict",
                )
            )
    raise_for_rows(errors, what="visit", total=len(rows))
    result = VisitsResult()
    now = timezone.now()
    new: list[tuple[Visit, _Checked]] = []
    for c in checked:
        earlier = known.get(c.key) if c.key else None
        if earlier is not None:
            result.visits.append(earlier)
            result.replayed += 1
            continue
        visit = Visit(
            unit=c.unit,
            movement=c.movement,
            visited_on=c.day,
            purpose=c.row.purpose.strip(),
            findings=c.row.findings.strip(),
            guest_names=c.guests,
            key=c.key,
            recorded_by=user,
            recorded_at=now,
        )
        new.append((visit, c))
        result.visits.append(visit)
    Visit.objects.bulk_create([v for v, _ in new])
    VisitVisitor.objects.bulk_create(
        [VisitVisitor(visit=v, user=person) for v, c in new for person in c.users]
    )
    _add_years([(v.unit_id, v.visited_on) for v, _ in new])
    result.created = len(new)
    return result


def _owner(username: str, unit: Unit, number: int = 1):
    person = get_user_model().objects.filter(username=username, is_active=True).first()
    if person is None:
        return None, RowError(number, "owner", f"no active user {username!r}")
    if not can(actor_for(person), Capability.VIEW, unit):
        return None, RowError(number, "owner", "the owner cannot see this unit")
    return person, None


def _new_follow_up(visit: Visit, row: FollowUpRow, number: int = 1):
    errors = []
    person, problem = _owner(row.owner.strip(), visit.unit, number)
    if problem:
        errors.append(problem)
    day = domain.parse_day(row.due_on)
    if day is None:
        errors.append(RowError(number, "due_on", "a date, YYYY-MM-DD"))
    elif day < visit.visited_on:
        errors.append(RowError(number, "due_on", "due before the visit"))
    if not row.what.strip():
        errors.append(RowError(number, "what", "say what is to be done"))
    else:
        errors += _text_errors(number, {"what": row.what})
    return person, day, errors


@audited("visits.record_visit")
def record_visit(
    *,
    unit: str,
    visited_on: str | dt.date,
    purpose: str,
    findings: str = "",
    visitors: Sequence[str] = (),
    guest_names: Sequence[str] = (),
    movement: str = "",
    key: str = "",
    follow_ups: Sequence[FollowUpRow] = (),
    voices: Sequence[VoiceRow] = (),
) -> Visit:
    """Record one visit, with the follow-up tasks it leaves and the voices collected on the
    spot, in one transaction: the visit is `record_visits` with one row; each voice is raised
    by the voices app's action about the visited unit (routed by its topic's rule), keyed by
    the visit, so a replay raises nothing twice and a refused voice records nothing."""
    row = VisitRow(unit, visited_on, purpose, findings, visitors, guest_names, movement, key)
    result = _record([row])
    visit = result.visits[0]
    if result.replayed:  # the visit and its follow-ups were recorded the first time
        note(target=visit, unit=visit.unit, movement=visit.movement, after={"replayed": True})
        return visit
    errors = []
    tasks = []
    for number, follow_up in enumerate(follow_ups, start=1):
        person, day, problems = _new_follow_up(visit, follow_up, number)
        errors += [RowError(e.row, f"follow_ups.{e.field}", e.message) for e in problems]
        tasks.append((follow_up, person, day))
    raise_for_rows(errors, what="follow-up", total=len(follow_ups))
    for follow_up, person, day in tasks:
        _create_follow_up(visit, follow_up.what, person, day)
    _raise_voices(visit, voices)
    note(target=visit, unit=visit.unit, movement=visit.movement)
    return visit


def _raise_voices(visit: Visit, voices: Sequence[VoiceRow]) -> None:
    codes = {v.topic.strip() for v in voices}
    topics = {
        t.code: t
        for t in Topic.objects.select_related("organiser", "movement").filter(code__in=codes)
    }
    errors = []
    for number, voice in enumerate(voices, start=1):
        if voice.topic.strip() not in topics:
            errors.append(RowError(number, "voices.topic", f"no topic {voice.topic.strip()!r}"))
        if voice.anonymous and voice.on_behalf_of.strip():
            errors.append(RowError(number, "voices.anonymous", "an anonymous voice names nobody"))
        elif not voice.anonymous and not voice.on_behalf_of.strip():
            errors.append(
                RowError(number, "voices.on_behalf_of", "name the person, or mark it anonymous")
            )
    raise_for_rows(errors, what="voice", total=len(voices))
    links = []
    for number, voice in enumerate(voices, start=1):
        try:
            raised = voices_actions.raise_voice(
                topic=topics[voice.topic.strip()],
                unit=visit.unit,
                subject=voice.subject,
                text=voice.text,
                anonymous=voice.anonymous,
                on_behalf_of="" if voice.anonymous else voice.on_behalf_of,
                key=f"visit-{visit.pk}-{number}",
            )
        except ValidationFailed as exc:
            problems = exc.errors or [RowError(number, "", exc.detail)]
            raise ValidationFailed(
                f"Voice {number} is not valid: {exc.detail}",
                errors=[RowError(number, f"voices.{e.field}", e.message) for e in problems],
            ) from exc
        links.append(VisitVoice(visit=visit, voice=raised))
    VisitVoice.objects.bulk_create(links)


def _create_follow_up(visit: Visit, what: str, owner, due_on: dt.date) -> FollowUpTask:
    return FollowUpTask.objects.create(
        visit=visit,
        what=what.strip(),
        owner=owner,
        due_on=due_on,
        created_by=_user_of(current_actor()),
        created_at=timezone.now(),
    )


def _visit_for(visit: Visit | int, capability: Capability) -> Visit:
    actor = current_actor()
    found = (
        Visit.objects.select_related("unit", "movement")
        .filter(unit_filter(actor, Capability.VIEW), pk=getattr(visit, "pk", visit))
        .first()
    )
    if found is None:
        raise Http404("No such visit here.")
    if not can(actor, capability, found.unit):
        raise NotAllowed("You may not do this to this visit.")
    return found


@audited("visits.add_follow_up")
def add_follow_up(visit: Visit | int, *, what: str, owner: str, due_on) -> FollowUpTask:
    """A task the visit leaves: what, whose (a user who can see the unit), due when."""
    visit = _visit_for(visit, Capability.VISIT)
    person, day, errors = _new_follow_up(visit, FollowUpRow(what, owner, due_on))
    if errors:
        raise ValidationFailed(
            "The follow-up is not valid: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        )
    task = _create_follow_up(visit, what, person, day)
    note(target=task, unit=visit.unit, movement=visit.movement)
    return task


@audited("visits.mark_follow_up")
def mark_follow_up(task: FollowUpTask | int, *, done: bool, note_text: str = "") -> FollowUpTask:
    """Mark a follow-up done (or undone again), as a new event: who, when, a note. Its owner or
    an official with VISIT on the visited unit may; marking it as it already is is refused."""
    actor = current_actor()
    user = _user_of(actor)
    pk = getattr(task, "pk", task)
    found = (
        FollowUpTask.objects.select_for_update(of=("self",))
        .select_related("visit__unit", "visit__movement")
        .filter(pk=pk)
        .first()
    )
    owns = found is not None and user is not None and found.owner_id == user.pk
    if found is None or not (owns or can(actor, Capability.VIEW, found.visit.unit)):
        raise Http404("No such follow-up here.")
    if not (owns or can(actor, Capability.VISIT, found.visit.unit)):
        raise NotAllowed("Only its owner or an official over the unit marks a follow-up.")
    if found.done == done:
        state = "done" if done else "not done"
        raise StateError(
            f"The follow-up is already {state}.",
            errors=[RowError(1, "done", f"already {state}")],
        )
    problems = _text_errors(1, {"note": note_text})
    if problems:
        raise ValidationFailed(f"note: {problems[0].message}", errors=problems)
    FollowUpEvent.objects.create(
        task=found,
        done=done,
        at=timezone.now(),
        by=user,
        by_label=actor.label,
        note=note_text.strip(),
    )
    FollowUpTask.objects.filter(pk=found.pk).update(done=done)
    found.done = done
    note(
        target=found,
        unit=found.visit.unit,
        movement=found.visit.movement,
        before={"done": not done},
        after={"done": done},
    )
    return found
