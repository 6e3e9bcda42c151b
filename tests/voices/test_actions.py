import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import NotAllowed, StateError, ValidationFailed
from pacesetter.voices import actions, domain, steps
from pacesetter.voices.models import Voice, VoiceEvent, VoiceTiming, VoiceTotal

from .helpers import as_, raise_one


def fields(exc) -> set[str]:
    return {e.field for e in exc.value.errors}


def total(unit, topic):
    return VoiceTotal.objects.filter(unit=unit, topic=topic).first()


def test_the_whole_lifecycle_with_events_figures_and_audit(units, people, topic):
    voice = raise_one(units, topic, people["member"])
    assert (voice.status, voice.routed_to, voice.raised_by) == (
        "received",
        units["W1"],
        people["member"],
    )
    assert voice.routing_rule == "topic housing: at the unit itself (W1)"
    assert voice.due_at - voice.raised_at == dt.timedelta(days=7)
    with as_(people["head"]):
        actions.assign_voice(voice, to=people["head"], note="I will look")
    with as_(people["head"]):
        actions.answer_voice(voice, answer="The roof is mended on Monday.")
    with as_(people["member"]):
        actions.confirm_voice(voice, note="Dry now")
    voice.refresh_from_db()
    assert (voice.status, voice.confirmed, voice.answer) == (
        "resolved",
        True,
        "The roof is mended on Monday.",
    )
    kinds = list(voice.events.values_list("kind", "from_status", "to_status"))
    assert kinds == [
        ("raised", "", "received"),
        ("assigned", "received", "assigned"),
        ("answered", "assigned", "answered"),
        ("confirmed", "answered", "resolved"),
    ]
    for code in ("W1", "C1", "P1", "KP"):
        t = total(units[code], topic)
        assert (t.received, t.open, t.answered, t.resolved, t.declined) == (1, 0, 0, 1, 0)
    assert total(units["C2"], topic) is None
    assert VoiceTiming.objects.filter(unit=units["KP"], measure="answer", bucket=1).get().count == 1
    audited = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "voices.raise_voice",
        "voices.assign_voice",
        "voices.answer_voice",
        "voices.confirm_voice",
    } <= audited


def test_decline_needs_a_reason_and_reopen_happens_once(units, people, topic):
    voice = raise_one(units, topic, people["member"])
    with as_(people["head"]), pytest.raises(ValidationFailed) as refused:
        actions.decline_voice(voice, reason=" ")
    assert fields(refused) == {"reason"}
    with as_(people["head"]):
        actions.decline_voice(voice, reason="Not ours: the city's roofs")
    assert total(units["KP"], topic).declined == 1
    with as_(people["member"]):
        actions.reopen_voice(voice, note="It is yours")
    voice.refresh_from_db()
    assert (voice.status, voice.reopened) == ("received", True)
    assert (total(units["KP"], topic).declined, total(units["KP"], topic).open) == (0, 1)
    with as_(people["head"]):
        actions.answer_voice(voice, answer="Mended")
        actions.resolve_voice(voice)
    with as_(people["member"]), pytest.raises(StateError) as again:
        actions.reopen_voice(voice)
    assert fields(again) == {"status"} and "once" in again.value.errors[0].message


@pytest.mark.parametrize(
    ("verb", "status"),
    [
        ("resolve", "received"),
        ("confirm", "received"),
        ("reopen", "received"),
        ("answer", "resolved"),
        ("assign", "answered"),
        ("decline", "resolved"),
    ],
)
def test_a_step_not_allowed_from_the_state_names_the_status_field(verb, status):
    problem = domain.transition_error(verb, status)
    assert problem and status in problem


def test_steps_refused_from_the_current_state(units, people, topic):
    voice = raise_one(units, topic, people["member"])
    with as_(people["head"]), pytest.raises(StateError) as early:
        actions.resolve_voice(voice)
    assert fields(early) == {"status"}
    with as_(people["member"]), pytest.raises(StateError):
        actions.confirm_voice(voice)
    with as_(people["head"]), pytest.raises(ValidationFailed) as empty:
        actions.answer_voice(voice, answer="")
    assert fields(empty) == {"answer"}
    assert voice.events.count() == 1


def test_who_may_take_each_step(units, people, topic):
    voice = raise_one(units, topic, people["member"])
    with as_(people["other_member"]), pytest.raises(NotAllowed):
        actions.answer_voice(voice, answer="me too")
    with as_(people["viewer"]), pytest.raises(NotAllowed):
        actions.assign_voice(voice, to=people["viewer"])
    with as_(people["outsider"]), pytest.raises(Http404):
        actions.answer_voice(voice, answer="hm")
    with as_(people["head"]), pytest.raises(ValidationFailed) as stranger:
        actions.assign_voice(voice, to=people["outsider"])
    assert fields(stranger) == {"assigned_to"}
    # the assignee answers without PLAN; the head above handles too
    with as_(people["head"]):
        actions.assign_voice(voice, to=people["viewer"])
    with as_(people["viewer"]):
        actions.answer_voice(voice, answer="Done")
    with as_(people["head"]), pytest.raises(NotAllowed):
        actions.confirm_voice(voice)  # only the raiser confirms
    with as_(people["head_above"]):
        actions.resolve_voice(voice)
    with as_(people["outsider"]), pytest.raises(Http404):
        actions.raise_voice(topic=topic, unit=units["W1"], subject="x", text="y")


def test_raising_on_behalf_needs_an_official_and_names_the_person(units, people, topic):
    with as_(people["member"]), pytest.raises(NotAllowed):
        actions.raise_voice(
            topic=topic, unit=units["W1"], subject="x", text="y", on_behalf_of="Ri Sun Hui"
        )
    with as_(people["head_above"]):
        voice = actions.raise_voice(
            topic=topic, unit=units["W1"], subject="Well", text="Dry", on_behalf_of="Ri Sun Hui"
        )
    assert (voice.raised_by, voice.recorded_by, voice.on_behalf_of) == (
        None,
        people["head_above"],
        "Ri Sun Hui",
    )
    with as_(people["head"]):
        actions.answer_voice(voice, answer="Digging")
    with as_(people["head_above"]):  # the recorder speaks for the person
        actions.confirm_voice(voice)


def test_routing_rules_each_kind(units, people, topic, county_topic):
    at_unit = raise_one(units, topic)
    assert at_unit.routed_to == units["W1"]
    county = raise_one(units, county_topic)
    assert county.routed_to == units["C1"]
    assert county.routing_rule == "topic roads: at the nearest county (C1)"
    named_topic = actions.set_topic(
        code="water", name="Water", organiser=units["P1"], route="named", route_unit=units["C2"]
    )
    named = raise_one(units, named_topic)
    assert (named.routed_to, named.routing_rule) == (
        units["C2"],
        "topic water: answered at C2",
    )
    nothing_above = actions.set_topic(
        code="sea", name="Sea", organiser=units["P1"], route="ancestor", route_kind="enterprise"
    )
    assert raise_one(units, nothing_above, unit="C1").routed_to == units["P1"]
    with pytest.raises(ValidationFailed) as outside:
        raise_one(units, named_topic, unit="W4")
    assert fields(outside) == {"topic"}


def test_a_topic_rule_must_be_complete(units, people):
    with pytest.raises(ValidationFailed) as refused:
        actions.set_topic(code="x", name="", organiser=units["KP"], route="ancestor")
    assert fields(refused) == {"name", "route_kind"}
    for days in (0, 10**9):  # a deadline past any date would overflow the clock
        with pytest.raises(ValidationFailed) as too_long:
            actions.set_topic(code="z", name="Z", organiser=units["KP"], deadline_days=days)
        assert fields(too_long) == {"deadline_days"}
    with as_(people["head"]), pytest.raises(NotAllowed):
        actions.set_topic(code="y", name="Y", organiser=units["W1"])


def test_an_anonymous_voice_names_nobody_anywhere(units, people, topic):
    voice = raise_one(units, topic, people["member"], anonymous=True, subject="Foreman shouts")
    voice.refresh_from_db()
    assert (voice.raised_by, voice.recorded_by, voice.on_behalf_of) == (None, None, "")
    assert voice.raiser_key == steps.raiser_key(people["member"])
    assert set(VoiceEvent.objects.values_list("by_label", "by")) == {("anonymous", None)}
    with as_(people["head"]):
        actions.answer_voice(voice, answer="Spoken to him")
    with as_(people["other_member"]), pytest.raises(NotAllowed):
        actions.reopen_voice(voice)
    with as_(people["member"]):
        actions.reopen_voice(voice, note="Still shouting")
    raised_or_reopened = AuditEvent.objects.filter(
        action__in=("voices.raise_voice", "voices.reopen_voice")
    )
    assert raised_or_reopened.count() == 2
    for row in raised_or_reopened:
        assert (row.user_id, row.actor) == (None, "anonymous")
    trail = str(list(AuditEvent.objects.values()))
    assert "'member'" not in trail and f"'user_id': {people['member'].pk}" not in trail
    with as_(people["member"]), pytest.raises(ValidationFailed):
        actions.raise_voice(
            topic=topic, unit=units["W1"], subject="x", text="y", anonymous=True, on_behalf_of="Z"
        )


def test_idempotent_by_key(units, topic):
    first = raise_one(units, topic, key="visit-1/1")
    again = raise_one(units, topic, key="visit-1/1", subject="changed")
    assert first.pk == again.pk and Voice.objects.count() == 1
    assert total(units["KP"], topic).received == 1


def test_escalation_at_the_deadline_with_a_controlled_clock(units, people, topic, county_topic):
    voice = raise_one(units, topic, people["member"])
    top = raise_one(units, county_topic, unit="C1")
    answered = raise_one(units, topic)
    with as_(people["head"]):
        actions.answer_voice(answered, answer="ok")
    start = voice.raised_at
    assert actions.escalate_overdue_voices(now=start + dt.timedelta(days=2)).escalated == 0
    result = actions.escalate_overdue_voices(now=start + dt.timedelta(days=7, seconds=1))
    assert (result.escalated, result.overdue_at_top) == (2, 0)  # housing: 7 days, roads: 3
    voice.refresh_from_db()
    top.refresh_from_db()
    assert (voice.routed_to, voice.escalations, voice.overdue) == (units["C1"], 1, True)
    assert top.routed_to == units["P1"]  # from C1 (the nearest county) one level up
    event = voice.events.get(kind="escalated")
    assert event.routed_to == units["C1"] and "7-day" in event.note
    t = total(units["KP"], topic)
    assert (t.open, t.overdue, t.escalated) == (1, 1, 1)
    # the same moment again: nothing more
    assert (
        actions.escalate_overdue_voices(now=start + dt.timedelta(days=7, seconds=2)).escalated == 0
    )
    # the head of C1 now handles it; the head of W1 no longer does
    with as_(people["head"]), pytest.raises(Http404):
        actions.answer_voice(voice, answer="late")
    with as_(people["head_above"]):
        actions.answer_voice(voice, answer="done")
    t = total(units["KP"], topic)
    assert (t.open, t.overdue, t.escalated, t.answered) == (0, 0, 1, 2)


def test_escalation_stops_at_the_root(units, topic):
    voice = raise_one(units, topic, unit="KP")
    later = timezone.now() + dt.timedelta(days=8)
    assert actions.escalate_overdue_voices(now=later).overdue_at_top == 1
    assert actions.escalate_overdue_voices(now=later).overdue_at_top == 0
    voice.refresh_from_db()
    assert (voice.routed_to, voice.overdue) == (units["KP"], True)
    assert total(units["KP"], topic).overdue == 1


def test_attachment_type_and_size_are_checked(units, topic, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    bad = SimpleUploadedFile("roof.png", b"MZ\x90\x00 not a picture")
    with pytest.raises(ValidationFailed) as refused:
        raise_one(units, topic, attachment=bad)
    assert fields(refused) == {"attachment"} and not Voice.objects.exists()
    photo = SimpleUploadedFile("roof.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    voice = raise_one(units, topic, attachment=photo)
    assert voice.attachment.startswith("voices/") and voice.attachment_name == "roof.png"
    assert (tmp_path / voice.attachment).exists()


def test_the_escalation_command_runs_the_task(units, topic, monkeypatch):
    import io

    from django.core.management import call_command

    from pacesetter.voices import tasks

    voice = raise_one(units, topic)
    monkeypatch.setattr(tasks, "BATCH", 1)  # two batches: one escalated, then none
    out = io.StringIO()
    Voice.objects.filter(pk=voice.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    call_command("escalate_voices", stdout=out)
    assert "voices escalated: 1;" in out.getvalue()
    voice.refresh_from_db()
    assert voice.routed_to == units["C1"]
