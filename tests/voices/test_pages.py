import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pacesetter.voices import actions
from pacesetter.voices.models import Topic, Voice, VoiceTopicDay

from .helpers import as_, raise_one


def test_raise_from_the_form_then_follow_it_in_my_voices(
    units, people, topic, client, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    client.force_login(people["member"])
    url = reverse("voices-raise", args=["W1"])
    page = client.get(url).content.decode()
    assert 'value="housing"' in page and "on_behalf_of" not in page
    bad = client.post(url, {"topic": "housing", "subject": "", "text": "x"})
    assert bad.status_code == 422 and not Voice.objects.exists()
    photo = SimpleUploadedFile("roof.jpg", b"\xff\xd8\xff\xe0" + b"0" * 50, "image/jpeg")
    done = client.post(
        url,
        {"topic": "housing", "subject": "Leaking roof", "text": "Block 4", "attachment": photo},
    )
    voice = Voice.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("voices-detail", args=[voice.pk])
    mine = client.get(reverse("voices-mine")).content.decode()
    assert "Leaking roof" in mine
    download = client.get(reverse("voices-attachment", args=[voice.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_the_raiser_sees_every_step_and_the_answer(units, people, topic, client):
    voice = raise_one(units, topic, people["member"])
    with as_(people["head"]):
        actions.answer_voice(voice, answer="Mended on Monday")
    client.force_login(people["member"])
    page = client.get(reverse("voices-detail", args=[voice.pk])).content.decode()
    assert "Mended on Monday" in page and 'data-event="answered"' in page
    assert "topic housing: at the unit itself (W1)" in page
    assert 'data-verb="confirm"' in page and 'data-verb="reopen"' in page
    answered = client.post(reverse("voices-step", args=[voice.pk, "confirm"]), {"note": ""})
    assert answered.status_code == 302
    voice.refresh_from_db()
    assert voice.status == "resolved"


def test_the_handler_answers_from_the_page_and_refusals_name_the_field(
    units, people, topic, client
):
    voice = raise_one(units, topic, people["member"])
    client.force_login(people["head"])
    page = client.get(reverse("voices-detail", args=[voice.pk])).content.decode()
    assert "<dd data-raiser>member</dd>" in page
    empty = client.post(reverse("voices-step", args=[voice.pk, "answer"]), {"note": ""})
    assert empty.status_code == 422 and "write the answer" in empty.content.decode()
    wrong = client.post(reverse("voices-step", args=[voice.pk, "resolve"]), {"note": ""})
    assert wrong.status_code == 422 and "cannot be resolved" in wrong.content.decode()
    nobody = client.post(
        reverse("voices-step", args=[voice.pk, "assign"]), {"assigned_to": "ghost"}
    )
    assert nobody.status_code == 422 and "no such person" in nobody.content.decode()
    ok = client.post(reverse("voices-step", args=[voice.pk, "answer"]), {"note": "Tomorrow"})
    assert ok.status_code == 302


def test_privacy_per_role(units, people, topic, client):
    named = raise_one(units, topic, people["member"], subject="Named one")
    hidden = raise_one(units, topic, people["member"], subject="Secret one", anonymous=True)
    # another member of the unit sees the named voice without its raiser, never the anonymous one
    client.force_login(people["other_member"])
    page = client.get(reverse("voices-detail", args=[named.pk])).content.decode()
    assert "Named one" in page and "<dd data-raiser>member</dd>" not in page
    assert client.get(reverse("voices-detail", args=[hidden.pk])).status_code == 404
    queue = client.get(reverse("voices-queue", args=["W1"])).content.decode()
    assert "Named one" in queue and "Secret one" not in queue
    # the handler sees both; nobody sees who raised the anonymous one
    client.force_login(people["head"])
    page = client.get(reverse("voices-detail", args=[hidden.pk])).content.decode()
    assert "Secret one" in page and "<dd data-raiser>anonymous</dd>" in page
    assert ">member<" not in page
    # the raiser finds it in "my voices"
    client.force_login(people["member"])
    assert "Secret one" in client.get(reverse("voices-mine")).content.decode()
    assert client.get(reverse("voices-detail", args=[hidden.pk])).status_code == 200
    # an outsider sees neither
    client.force_login(people["outsider"])
    assert client.get(reverse("voices-detail", args=[named.pk])).status_code == 404
    assert client.get(reverse("voices-queue", args=["W1"])).status_code == 404


def test_the_public_page_shows_resolved_voices_of_public_topics_without_names(
    units, people, topic, county_topic, client
):
    shown = raise_one(units, topic, people["member"], subject="Shown")
    private_topic = raise_one(units, county_topic, people["member"], subject="Private topic")
    anonymous = raise_one(units, topic, people["member"], subject="Anon", anonymous=True)
    open_one = raise_one(units, topic, people["member"], subject="Still open")
    for voice, handler in ((shown, "head"), (private_topic, "head_above"), (anonymous, "head")):
        with as_(people[handler]):
            actions.answer_voice(voice, answer="Fixed")
            actions.resolve_voice(voice)
    page = client.get(reverse("voices-public")).content.decode()
    assert "Shown" in page and "Fixed" in page
    for absent in ("Private topic", "Anon", "Still open", "member"):
        assert absent not in page
    assert open_one.status == "received"


def test_queue_page_in_pinned_queries(units, people, topic, client, django_assert_max_num_queries):
    for i in range(20):
        raise_one(units, topic, people["member"], subject=f"Voice {i}")
    client.force_login(people["head"])
    url = reverse("voices-queue", args=["W1"])
    client.get(url)
    with django_assert_max_num_queries(9):
        page = client.get(url)
    text = page.content.decode()
    assert text.count('data-status="received"') == 20
    assert 'data-figure="received">20<' in text
    assert client.get(url + "?status=resolved").content.decode().count("data-status=") == 0
    with django_assert_max_num_queries(9):
        assert client.get(reverse("voices-mine")).status_code == 200


def test_what_people_ask_for_grows_fastest_first(units, people, movement, client):
    housing = actions.set_topic(code="housing", name="Housing", organiser=units["KP"])
    water = actions.set_topic(code="water", name="Water", organiser=units["KP"], movement=movement)
    today = timezone.localdate()
    VoiceTopicDay.objects.create(topic=housing, day=today, received=4)
    VoiceTopicDay.objects.create(topic=housing, day=today - dt.timedelta(days=40), received=2)
    VoiceTopicDay.objects.create(topic=water, day=today, received=9)
    VoiceTopicDay.objects.create(topic=water, day=today - dt.timedelta(days=35), received=6)
    client.force_login(people["organiser"])
    page = client.get(reverse("voices-movement", args=[movement.slug])).content.decode()
    assert page.index('data-topic="housing"') < page.index('data-topic="water"')  # 100% > 50%
    detail = client.get(reverse("movement-detail", args=[movement.slug])).content.decode()
    assert reverse("voices-movement", args=[movement.slug]) in detail


def test_voice_page_and_api_in_pinned_queries(
    units, people, topic, client, django_assert_max_num_queries
):
    voice = raise_one(units, topic, people["member"])
    with as_(people["head"]):
        actions.assign_voice(voice, to=people["head"])
        actions.answer_voice(voice, answer="ok")
    for i in range(10):
        raise_one(units, topic, people["member"], subject=f"V{i}")
    client.force_login(people["head"])
    url = reverse("voices-detail", args=[voice.pk])
    client.get(url)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/v1/voices/{voice.pk}").status_code == 200
    with django_assert_max_num_queries(8):
        listed = client.get("/api/v1/voices?unit=W1")
    assert len(listed.json()) == 11
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/units/W1/voice-figures").status_code == 200


def test_topics_are_set_on_their_page(units, people, client):
    client.force_login(people["head"])
    url = reverse("voices-topics", args=["P1"])
    assert client.get(url).status_code == 404  # the head of W1 does not see P1
    client.force_login(people["organiser"])
    bad = client.post(
        url, {"code": "roads", "name": "Roads", "deadline_days": "3", "route": "ancestor"}
    )
    assert bad.status_code == 422 and "no unit kind" in bad.content.decode()
    done = client.post(
        url,
        {
            "code": "roads",
            "name": "Roads",
            "deadline_days": "3",
            "route": "ancestor",
            "route_kind": "county",
        },
    )
    assert done.status_code == 302
    assert 'data-topic="roads"' in client.get(url).content.decode()
    assert Topic.objects.get(code="roads").organiser == units["P1"]
