from django.urls import reverse

from pacesetter.reserves import actions
from pacesetter.reserves.models import Reserve, Status


def propose(units, n=1, unit="W1"):
    return [
        actions.propose_reserve(
            unit=units[unit],
            kind="time",
            description=f"Reserve {i}",
            estimated="1",
            measure="hours",
        )
        for i in range(n)
    ]


def test_unit_page_lists_reserves_and_figures_in_pinned_queries(
    units, people, client, django_assert_num_queries
):
    propose(units, 25)
    client.force_login(people["head"])
    url = reverse("reserves-unit", args=["W1"])
    client.get(url)  # warm the session
    # + 1 over the list and the figures: the verified savings by kind
    with django_assert_num_queries(8):
        page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count('data-status="proposed"') == 25
    assert 'data-figure="proposed">25<' in text
    assert reverse("reserves-propose", args=["W1"]) in text
    assert client.get(url + "?status=verified").content.decode().count("data-status=") == 0


def test_propose_from_the_form(units, people, client, kim):
    client.force_login(people["member"])
    url = reverse("reserves-propose", args=["W1"])
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"kind": "money", "description": "x", "estimated": "1.005", "measure": "EUR"}
    )
    assert bad.status_code == 422 and "at most 2 decimal places" in bad.content.decode()
    assert not Reserve.objects.exists()
    done = client.post(
        url,
        {
            "kind": "energy",
            "description": "Lights off at noon",
            "estimated": "40",
            "measure": "kWh",
            "member": str(kim.pk),
        },
    )
    reserve = Reserve.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "reserves-detail", args=[reserve.pk]
    )
    assert (reserve.member, reserve.proposed_by) == (kim, people["member"])


def test_a_viewer_cannot_propose(units, people, client):
    client.force_login(people["viewer"])
    assert client.get(reverse("reserves-propose", args=["W1"])).status_code == 403


def test_reserve_page_shows_history_and_only_the_viewers_buttons(
    units, people, client, django_assert_num_queries
):
    (r,) = propose(units)
    client.force_login(people["head"])
    url = reverse("reserves-detail", args=[r.pk])
    client.get(url)
    # the reserve, its events, its counts and the links that would count it, with the session
    with django_assert_num_queries(7):
        page = client.get(url)
    text = page.content.decode()
    assert 'data-verb="review"' in text and 'data-verb="verify"' not in text
    client.force_login(people["member"])
    assert "data-verb=" not in client.get(url).content.decode()


def test_transitions_from_the_page(units, people, client):
    (r,) = propose(units)
    client.force_login(people["head"])
    for verb in ("review", "accept", "implement"):
        answer = client.post(reverse("reserves-transition", args=[r.pk, verb]), {})
        assert answer.status_code == 302
    client.force_login(people["verifier"])
    wrong = client.post(
        reverse("reserves-transition", args=[r.pk, "verify"]),
        {"verified": "1.23456", "measure": "hours"},
    )
    assert wrong.status_code == 422 and "at most 3 decimal places" in wrong.content.decode()
    client.post(
        reverse("reserves-transition", args=[r.pk, "verify"]),
        {"verified": "1.5", "measure": "hours"},
    )
    r.refresh_from_db()
    assert r.status == Status.VERIFIED
    # a step not allowed any more is refused on the page, nothing changed
    client.force_login(people["head"])
    again = client.post(reverse("reserves-transition", args=[r.pk, "decline"]), {"note": "late"})
    assert again.status_code == 422 and r.events.count() == 5
