"""The working parts of `actions.import_voices` (actions.py is the door): every row checked
first, then the voices, their "raised" events and their figures written set by set — what
`steps.raise_voice` writes for one voice, for thousands in a few statements.

The figures a raised voice adds are the same whichever path raised it: received and open
+1 at its unit and every unit above (VoiceTotal) and +1 for its topic on the day
(VoiceTopicDay); a voice has no time figures (VoiceTiming) until it is answered. An
anonymous voice names nobody, as on the single path: no raiser, no recorder, no name in its
event, and (an official's import) no raiser key.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from pacesetter.accounts.permissions import Actor, Capability, can
from pacesetter.core.errors import RowError
from pacesetter.core.rows import insert_rows, rows_in
from pacesetter.units.models import Unit

from . import domain, steps
from .models import EventKind, Route, Status, Topic, Voice

REQUIRED = ("key", "topic", "unit", "subject", "text")
OPTIONAL = ("person", "anonymous")
YES, NO = {"yes", "true", "1", "y"}, {"", "no", "false", "0", "n"}

_VOICE_COLUMNS = (
    "topic_id",
    "unit_id",
    "subject",
    "text",
    "raised_by_id",
    "on_behalf_of",
    "recorded_by_id",
    "anonymous",
    "raiser_key",
    "routed_to_id",
    "routing_rule",
    "assigned_to_id",
    "status",
    "answer",
    "raised_at",
    "due_at",
    "overdue",
    "escalations",
    "answered_at",
    "resolved_at",
    "reopened",
    "confirmed",
    "attachment",
    "attachment_name",
    "key",
)
_EVENT_COLUMNS = (
    "voice_id",
    "at",
    "by_id",
    "by_label",
    "kind",
    "from_status",
    "to_status",
    "note",
    "routed_to_id",
)


@dataclass(frozen=True)
class Row:
    key: str
    topic: Topic
    unit: Unit
    subject: str
    text: str
    person: str  # "" when anonymous
    anonymous: bool


def check(actor: Actor, rows: list[dict[str, str]]) -> tuple[list[Row], set[str], list[RowError]]:
    """(the rows to raise, in file order; the keys raised before; the errors by row and
    field). Every row is checked, whether or not its key is known, as before."""
    topics = {
        t.code: t
        for t in Topic.objects.select_related("organiser", "movement", "route_unit", "route_kind")
    }
    unit_codes = sorted({(r.get("unit") or "").strip() for r in rows} - {""})
    units = {u.code: u for part in _chunks(unit_codes) for u in Unit.objects.filter(code__in=part)}
    keys = [(r.get("key") or "").strip() for r in rows]
    known = {key for (key,) in rows_in("SELECT key FROM voices_voice WHERE key IN ({})", keys)}
    permitted: dict[tuple, bool] = {}

    def may(capability: Capability, unit: Unit, movement=None) -> bool:
        found = permitted.get((capability, unit.pk, movement))
        if found is None:
            found = permitted[(capability, unit.pk, movement)] = can(
                actor, capability, unit, movement
            )
        return found

    errors: list[RowError] = []
    seen: dict[str, int] = {}
    todo: list[Row] = []
    for number, row in enumerate(rows, start=1):
        values = {name: (row.get(name) or "").strip() for name in REQUIRED + OPTIONAL}
        for name in REQUIRED:
            if not values[name]:
                errors.append(RowError(number, name, "required"))
        key, topic, unit = values["key"], topics.get(values["topic"]), units.get(values["unit"])
        if key and key in seen:
            errors.append(RowError(number, "key", f"also on row {seen[key]}"))
        seen.setdefault(key, number)
        if values["topic"] and topic is None:
            errors.append(RowError(number, "topic", f"no topic {values['topic']!r}"))
        anonymous = values["anonymous"].lower()
        if values["unit"] and (unit is None or not may(Capability.VIEW, unit)):
            errors.append(RowError(number, "unit", f"no unit {values['unit']!r} here"))
            unit = None
        elif unit is not None and not may(Capability.PLAN, unit):
            errors.append(RowError(number, "unit", "you may not record voices for this unit"))
        elif unit is not None and topic is not None and not _may_raise(may, unit, topic, anonymous):
            errors.append(RowError(number, "topic", "you may not record voices of it here"))
        if topic and unit and not unit.path.startswith(topic.organiser.path):
            errors.append(RowError(number, "topic", f"not open to {unit.code}"))
        if anonymous not in YES | NO:
            errors.append(RowError(number, "anonymous", "yes or no"))
        elif anonymous in YES and values["person"]:
            errors.append(RowError(number, "person", "an anonymous voice names nobody"))
        elif anonymous in NO and not values["person"]:
            errors.append(RowError(number, "person", "the person's name, or anonymous: yes"))
        if len(values["subject"]) > 200:
            errors.append(RowError(number, "subject", "at most 200 characters"))
        if topic is not None and unit is not None:
            todo.append(
                Row(
                    key=key,
                    topic=topic,
                    unit=unit,
                    subject=values["subject"],
                    text=values["text"],
                    person="" if anonymous in YES else values["person"],
                    anonymous=anonymous in YES,
                )
            )
    return todo, known, errors


def _may_raise(may, unit: Unit, topic: Topic, anonymous: str) -> bool:
    """What `steps.raise_voice` asks within the topic's movement: PLAN for a voice heard from
    someone named, PARTICIPATE or REPORT for an anonymous one."""
    if anonymous not in YES:
        return may(Capability.PLAN, unit, topic.movement)
    return may(Capability.PARTICIPATE, unit, topic.movement) or may(
        Capability.REPORT, unit, topic.movement
    )


def raise_all(actor: Actor, rows: list[Row]) -> int:
    """Raise `rows` (checked, none of their keys known) at one moment: the voices, their
    events, the totals of their units and every unit above, and the topics' day counts.
    Returns how many were raised."""
    if not rows:
        return 0
    user = steps.user_of(actor)
    user_id = user.pk if user is not None else None
    now = timezone.now()
    at = now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)
    routes = _routes({(row.topic.pk, row.unit.pk): row for row in rows})
    due: dict[int, object] = {}
    voices = []
    for row in rows:
        routed_to, rule = routes[(row.topic.pk, row.unit.pk)]
        if row.topic.pk not in due:
            deadline = now + dt.timedelta(days=row.topic.deadline_days)
            due[row.topic.pk] = (
                deadline
                if connection.vendor == "postgresql"
                else connection.ops.adapt_datetimefield_value(deadline)
            )
        voices.append(
            (
                row.topic.pk,
                row.unit.pk,
                row.subject,
                row.text,
                None,  # raised_by: an official's import raises on someone's behalf
                row.person,
                None if row.anonymous else user_id,
                row.anonymous,
                "",
                routed_to,
                rule,
                None,
                Status.RECEIVED,
                "",
                at,
                due[row.topic.pk],
                False,
                0,
                None,
                None,
                False,
                False,
                "",
                "",
                row.key,
            )
        )
    ids = insert_rows(Voice._meta.db_table, _VOICE_COLUMNS, voices, returning="id")
    label = actor.label
    add_events(
        [
            (
                voice_id,
                None if row.anonymous else user_id,
                "anonymous" if row.anonymous else label,
                EventKind.RAISED,
                "",
                Status.RECEIVED,
                f"for {row.person}" if row.person else "",
                routes[(row.topic.pk, row.unit.pk)][0],
            )
            for voice_id, row in zip(ids, rows, strict=True)
        ],
        now,
    )
    raised = domain.delta(None, Status.RECEIVED)
    per_unit = Counter((row.unit.pk, row.topic.pk) for row in rows)
    lineage = {row.unit.pk: row.unit.lineage_ids for row in rows}
    totals: Counter = Counter()
    for (unit_id, topic_id), count in per_unit.items():
        for above in lineage[unit_id]:
            totals[(above, topic_id)] += count
    steps.execute(
        steps.TOTALS,
        ("unit_id", "topic_id"),
        steps.COLUMNS,
        [
            (unit_id, topic_id, *(raised.get(c, 0) * count for c in steps.COLUMNS))
            for (unit_id, topic_id), count in totals.items()
        ],
    )
    day = timezone.localdate(now)
    steps.execute(
        "voices_voicetopicday",
        ("topic_id", "day"),
        ("received",),
        [(topic_id, day, count) for topic_id, count in Counter(r.topic.pk for r in rows).items()],
    )
    return len(rows)


def add_events(rows: list[tuple], at: dt.datetime) -> None:
    """Append events of one moment `at`: (voice id, by id, by label, kind, from status, to
    status, note, routed to id) each, in a few statements."""
    moment = (
        at if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(at)
    )
    insert_rows("voices_voiceevent", _EVENT_COLUMNS, [(row[0], moment, *row[1:]) for row in rows])


def _routes(pairs: dict[tuple[int, int], Row]) -> dict[tuple[int, int], tuple[int, str]]:
    """(the id of the unit that answers, the rule in words) per (topic, unit), as
    `steps.route_of` says for one; the units above read once for all pairs."""
    above: set[int] = set()
    for row in pairs.values():
        if row.topic.route == Route.ANCESTOR:
            above.update(row.unit.lineage_ids)
    kinds: dict[int, tuple[int, str]] = {}
    for part in _chunks(sorted(above)):
        kinds.update(
            (pk, (kind_id, code))
            for pk, kind_id, code in Unit.objects.filter(pk__in=part).values_list(
                "pk", "kind_id", "code"
            )
        )
    routes: dict[tuple[int, int], tuple[int, str]] = {}
    for pair, row in pairs.items():
        topic, unit = row.topic, row.unit
        if topic.route == Route.NAMED:
            routed = topic.route_unit
            routes[pair] = (routed.pk, f"topic {topic.code}: answered at {routed.code}")
        elif topic.route == Route.ANCESTOR:
            kind = topic.route_kind.code
            found = next(
                (pk for pk in reversed(unit.lineage_ids) if kinds[pk][0] == topic.route_kind_id),
                None,
            )
            if found is not None:
                code = kinds[found][1]
                routes[pair] = (found, f"topic {topic.code}: at the nearest {kind} ({code})")
            else:
                routes[pair] = (
                    topic.organiser.pk,
                    f"topic {topic.code}: no {kind} above {unit.code}, so at the organiser "
                    f"({topic.organiser.code})",
                )
        else:
            routes[pair] = (unit.pk, f"topic {topic.code}: at the unit itself ({unit.code})")
    return routes


def _chunks(values: list, size: int = 900):
    for start in range(0, len(values), size):
        yield values[start : start + size]
