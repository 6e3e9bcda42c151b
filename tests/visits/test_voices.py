"""Voices collected on the spot: raised by the voices app's action in the visit's transaction,
routed by their topics' rules, listed on the visit to those who may see them."""

import datetime as dt
import json

import pytest
from django.test import Client

from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.core.errors import ValidationFailed
from pacesetter.visits import actions, selectors
from pacesetter.visits.actions import VoiceRow
from pacesetter.visits.models import Visit, VisitVoice
from pacesetter.voices import actions as voices_actions
from pacesetter.voices.models import Voice, VoiceTotal

from .test_api import client_of, post, problem

DAY = dt.date(2024, 5, 2)


@pytest.fixture
def topics(units):
    return (
        voices_actions.set_topic(code="housing", name="Housing", organiser=units["KP"]),
        voices_actions.set_topic(
            code="roads", name="Roads", organiser=units["KP"], route="ancestor", route_kind="county"
        ),
    )


TWO = [
    VoiceRow("housing", "Leaking roof", "The roof of block 3 leaks.", on_behalf_of="Ri Myong Su"),
    VoiceRow("roads", "Mud road", "The road to the fields is mud.", anonymous=True),
]


def record(voices, key="v-1", unit="W1"):
    return actions.record_visit(
        unit=unit, visited_on=DAY, purpose="Harvest", guest_names=["Pak"], key=key, voices=voices
    )


def test_a_visit_with_two_voices_raises_two_routed_by_their_topics(units, people, topics):
    with acting_as(actor_for(people["head"])):
        visit = record(TWO)
        again = record(TWO)  # a retry with the visit's key raises nothing twice
    assert again.pk == visit.pk
    voices = list(Voice.objects.order_by("id"))
    assert [(v.subject, v.routed_to.code) for v in voices] == [
        ("Leaking roof", "W1"),
        ("Mud road", "C1"),
    ]
    assert voices[0].on_behalf_of == "Ri Myong Su" and voices[0].recorded_by == people["head"]
    assert voices[1].anonymous and voices[1].raised_by is None and not voices[1].on_behalf_of
    assert [link.voice_id for link in VisitVoice.objects.filter(visit=visit)] == [
        v.pk for v in voices
    ]
    assert VoiceTotal.objects.get(unit=units["KP"], topic=topics[0]).received == 1


@pytest.mark.parametrize(
    "bad",
    [
        VoiceRow("nope", "Subject", "Text", on_behalf_of="Kim"),
        VoiceRow("roads", "Subject", "   ", on_behalf_of="Kim"),
        VoiceRow("roads", "Subject", "Text"),  # nobody named and not anonymous
        VoiceRow("roads", "Subject", "Text", on_behalf_of="Kim", anonymous=True),
    ],
)
def test_a_refused_voice_records_nothing(units, people, topics, bad):
    with acting_as(actor_for(people["head"])), pytest.raises(ValidationFailed) as refused:
        record([TWO[0], bad])
    assert {e.row for e in refused.value.errors} == {2}
    assert all(e.field.startswith("voices.") for e in refused.value.errors)
    assert not Visit.objects.exists() and not Voice.objects.exists()
    assert not VisitVoice.objects.exists() and not VoiceTotal.objects.exists()


def test_who_records_and_who_sees_the_voices(units, people, topics):
    for who in ("head_c2", "reporter"):  # outside the branch; a reporter, not an official
        with acting_as(actor_for(people[who])), pytest.raises(ValidationFailed) as refused:
            record(TWO)
        assert [e.field for e in refused.value.errors] == ["unit"]
    assert not Voice.objects.exists()
    with acting_as(actor_for(people["head"])):
        visit = record(TWO)
    seen = {
        who: [v.subject for v in selectors.visit_voices(actor_for(people[who]), visit)]
        for who in ("head", "organiser", "viewer")
    }
    assert seen["head"] == ["Leaking roof", "Mud road"]  # handles both
    assert seen["organiser"] == ["Leaking roof", "Mud road"]
    assert seen["viewer"] == ["Leaking roof"]  # the anonymous voice only for its handlers


def test_the_api_raises_and_shows_the_voices(units, people, topics):
    body = {
        "unit": "W1",
        "visited_on": "2024-05-02",
        "purpose": "Harvest",
        "guest_names": ["Pak"],
        "key": "api-1",
        "voices": [
            {"topic": "housing", "subject": "Roof", "text": "Leaks", "on_behalf_of": "Ri"},
            {"topic": "roads", "subject": "Road", "text": "Mud", "anonymous": True},
        ],
    }
    head = client_of(people["head"])
    response = post(head, "/api/v1/visits", body)
    assert response.status_code == 201, response.content
    out = json.loads(response.content)["voices"]
    assert [(v["subject"], v["routed_to"]) for v in out] == [("Roof", "W1"), ("Road", "C1")]
    assert post(head, "/api/v1/visits", body).status_code == 200
    assert Voice.objects.count() == 2
    viewer = client_of(people["viewer"]).get(f"/api/v1/visits/{Visit.objects.get().pk}")
    assert [v["subject"] for v in json.loads(viewer.content)["voices"]] == ["Roof"]
    wrong = {**body, "key": "api-2", "voices": [{**body["voices"][0], "colour": "red"}]}
    problem(post(head, "/api/v1/visits", wrong), 422)
    bad = {**body, "key": "api-3", "voices": [{**body["voices"][0], "topic": "nope"}]}
    assert problem(post(head, "/api/v1/visits", bad), 422) == {"voices.topic"}
    assert Visit.objects.count() == 1


def test_the_pages_record_and_list_the_voices(units, people, topics):
    client = Client()
    client.force_login(people["head"])
    form = {
        "visited_on": "2024-05-02",
        "purpose": "Harvest",
        "i_visited": "on",
        "voice1_topic": "housing",
        "voice1_subject": "Leaking roof",
        "voice1_text": "Block 3",
        "voice1_on_behalf_of": "Ri Myong Su",
        "voice2_topic": "roads",
        "voice2_subject": "Mud road",
        "voice2_text": "To the fields",
    }
    refused = client.post("/units/W1/visits/record/", form)
    assert refused.status_code == 422
    assert "name the person, or mark it anonymous" in refused.content.decode()
    assert not Visit.objects.exists() and not Voice.objects.exists()
    response = client.post("/units/W1/visits/record/", {**form, "voice2_anonymous": "on"})
    assert response.status_code == 302, response.content.decode()
    visit = Visit.objects.get()
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    voices = list(Voice.objects.order_by("id"))
    for voice in voices:
        assert f'href="/voices/{voice.pk}/"' in page
    viewer = Client()
    viewer.force_login(people["viewer"])
    seen = viewer.get(f"/visits/{visit.pk}/").content.decode()
    assert "Leaking roof" in seen and "Mud road" not in seen
    voice_page = client.get(f"/voices/{voices[0].pk}/").content.decode()
    assert f'href="/visits/{visit.pk}/"' in voice_page and "during the visit of" in voice_page
