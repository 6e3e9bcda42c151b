"""The import raises voices set by set (voices.bulk); what it writes — the voices, their
events and every figure, then through answers, declines, resolutions and an escalation — is
what the single-voice action writes for the same rows."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from pacesetter.audit.models import AuditEvent
from pacesetter.voices import actions
from pacesetter.voices.models import Voice, VoiceEvent, VoiceTiming, VoiceTopicDay, VoiceTotal

from .helpers import as_

UNITS = ("W1", "W2", "W3", "W4", "C1", "C2", "P2")
TOPICS = ("housing", "roads", "works", "urgent")
# What happens to row i after it is raised, by i % len(PATHS); overdue rows are the open
# ones of the urgent topic (due in a day) and of roads (three days).
PATHS = ((), ("answer",), ("answer", "resolve"), ("decline",), (), ("answer",), ())


def _rows() -> list[dict[str, str]]:
    rows = []
    for i in range(42):
        anonymous = i % 5 == 2
        rows.append(
            {
                "key": f"visit/{i}",
                "topic": TOPICS[i % len(TOPICS)],
                "unit": UNITS[(i * 3) % len(UNITS)],
                "subject": f"Request {i}",
                "text": "Heard at the meeting.",
                "person": "" if anonymous else f"Member {i % 4}",
                "anonymous": "yes" if anonymous else "",
            }
        )
    return rows


@pytest.fixture
def topics(units, topic, county_topic):
    actions.set_topic(
        code="works",
        name="Works",
        organiser=units["KP"],
        route="ancestor",
        route_kind="enterprise",  # none above a county: those go to the organiser
    )
    actions.set_topic(
        code="urgent",
        name="Urgent",
        organiser=units["KP"],
        route="named",
        route_unit=units["C2"],
        deadline_days=1,
    )


def _single(units, rows):
    from pacesetter.voices.models import Topic

    for row in rows:
        actions.raise_voice(
            topic=Topic.objects.get(code=row["topic"]),
            unit=units[row["unit"]],
            subject=row["subject"],
            text=row["text"],
            anonymous=row["anonymous"] == "yes",
            on_behalf_of=row["person"],
            key=row["key"],
        )


def _bulk(units, rows):
    result = actions.import_voices(rows=rows)
    assert (result.raised, result.already_there) == (len(rows), 0)


def _then_steps_and_escalation():
    for i, row in enumerate(_rows()):
        voice = Voice.objects.get(key=row["key"])
        for verb in PATHS[i % len(PATHS)]:
            if verb == "answer":
                actions.answer_voice(voice, answer="Done")
            elif verb == "decline":
                actions.decline_voice(voice, reason="Not ours")
            else:
                actions.resolve_voice(voice)
    actions.escalate_overdue_voices(now=timezone.now() + dt.timedelta(days=4))


def _state() -> dict:
    voice_fields = (
        "key",
        "topic__code",
        "unit__code",
        "subject",
        "text",
        "raised_by",
        "on_behalf_of",
        "recorded_by",
        "anonymous",
        "raiser_key",
        "routed_to__code",
        "routing_rule",
        "status",
        "overdue",
        "escalations",
    )
    return {
        "totals": sorted(
            VoiceTotal.objects.values_list(
                "unit__code",
                "topic__code",
                "received",
                "open",
                "overdue",
                "escalated",
                "answered",
                "resolved",
                "declined",
            )
        ),
        "timings": sorted(
            VoiceTiming.objects.values_list(
                "unit__code", "topic__code", "measure", "bucket", "count"
            )
        ),
        "days": sorted(VoiceTopicDay.objects.values_list("topic__code", "day", "received")),
        "voices": sorted(Voice.objects.values_list(*voice_fields)),
        "events": sorted(
            VoiceEvent.objects.values_list(
                "voice__key", "kind", "by", "by_label", "from_status", "to_status", "note"
            ).order_by("voice__key", "at", "id")
        ),
    }


class _Undo(Exception):
    pass


def _in_a_world(raise_them) -> dict:
    """The state after raising the rows one way, then the same steps; rolled back after."""
    try:
        with transaction.atomic():
            raise_them()
            _then_steps_and_escalation()
            state = _state()
            raise _Undo
    except _Undo:
        pass
    return state


def test_the_bulk_import_writes_what_the_single_action_writes(units, topics):
    rows = _rows()
    single = _in_a_world(lambda: _single(units, rows))
    bulk = _in_a_world(lambda: _bulk(units, rows))
    assert not Voice.objects.exists()
    assert bulk == single
    # The data covers what it should: every status, overdue and escalated voices, the four
    # routes (the organiser's fallback among them), anonymous voices.
    statuses = {v[12] for v in bulk["voices"]}
    assert statuses == {"received", "answered", "resolved", "declined"}
    assert any(v[13] for v in bulk["voices"]) and any(v[14] for v in bulk["voices"])
    assert any("so at the organiser" in v[11] for v in bulk["voices"])
    assert any(v[8] for v in bulk["voices"])
    root = [t for t in bulk["totals"] if t[0] == "KP"]
    assert sum(t[2] for t in root) == len(rows) and sum(t[4] for t in root) > 0


def test_an_official_s_import_names_no_anonymous_raiser_and_is_audited_once(units, people, topics):
    rows = [r for r in _rows() if r["unit"] in ("W1", "W2", "C1")][:8]
    assert any(r["anonymous"] for r in rows) and not all(r["anonymous"] for r in rows)
    before = AuditEvent.objects.count()
    with as_(people["head_above"]):
        result = actions.import_voices(rows=rows)
    assert result.raised == len(rows)
    trail = AuditEvent.objects.order_by("id")[before:]
    assert [e.action for e in trail] == ["voices.import_voices"]
    head = people["head_above"].pk
    for voice in Voice.objects.filter(anonymous=True):
        assert (voice.raised_by_id, voice.recorded_by_id, voice.on_behalf_of) == (None, None, "")
        assert voice.raiser_key == ""
        assert list(voice.events.values_list("by", "by_label")) == [(None, "anonymous")]
    for voice in Voice.objects.filter(anonymous=False):
        assert (voice.raised_by_id, voice.recorded_by_id) == (None, head)
        assert list(voice.events.values_list("by", "note")) == [(head, f"for {voice.on_behalf_of}")]
    # Sent again: nothing new, and the figures stay.
    with as_(people["head_above"]):
        again = actions.import_voices(rows=rows)
    assert (again.raised, again.already_there) == (0, len(rows))
    assert VoiceTotal.objects.get(unit=units["KP"], topic__code="housing").received == sum(
        r["topic"] == "housing" for r in rows
    )


def test_rows_the_official_may_not_record_are_refused_by_row(units, people, topics):
    rows = _rows()[:6]  # W1, W4 (outside the head's county), ...
    with as_(people["head_above"]), pytest.raises(Exception) as refused:
        actions.import_voices(rows=rows)
    fields = {(e.row, e.field) for e in refused.value.errors}
    assert (2, "unit") in fields and not Voice.objects.exists()
