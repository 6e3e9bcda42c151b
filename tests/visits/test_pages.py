from django.urls import reverse

from pacesetter.visits import actions
from pacesetter.visits.models import FollowUpTask, Visit


def make(n, unit="W1", **extra):
    return [
        actions.record_visit(
            unit=unit,
            visited_on=f"2024-03-{i % 28 + 1:02d}",
            purpose=f"Visit {i}",
            visitors=["head"],
            **extra,
        )
        for i in range(n)
    ]


def test_unit_page_lists_visits_in_pinned_queries(
    units, people, client, django_assert_max_num_queries
):
    make(20)
    make(5, unit="W2")
    client.force_login(people["reporter"])  # sees W1 only: no record button
    url = reverse("visits-unit", args=["W1"])
    client.get(url)
    with django_assert_max_num_queries(8):
        page = client.get(url)
    text = page.content.decode()
    assert text.count("data-visit=") == 20
    assert 'data-year="2024">20<' in text
    assert reverse("visits-record", args=["W1"]) not in text
    client.force_login(people["head"])
    text = client.get(reverse("visits-unit", args=["C1"])).content.decode()
    assert text.count("data-visit=") == 25 and reverse("visits-record", args=["C1"]) in text


def test_record_a_visit_from_the_form(units, people, client):
    client.force_login(people["head"])
    url = reverse("visits-record", args=["W1"])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"visited_on": "2999-01-01", "purpose": "", "i_visited": "on"})
    assert bad.status_code == 422 and not Visit.objects.exists()
    done = client.post(
        url,
        {
            "visited_on": "2024-05-02",
            "purpose": "Harvest",
            "findings": "Belts *worn*",
            "i_visited": "on",
            "visitors": "organiser",
            "guest_names": "Ri Myong Su\nPak",
            "follow_up": "Send belts",
            "follow_up_owner": "reporter",
            "follow_up_due": "2024-05-20",
        },
    )
    visit = Visit.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("visits-detail", args=[visit.pk])
    assert {v.user.username for v in visit.visitors.all()} == {"head", "organiser"}
    assert visit.guest_names == ["Ri Myong Su", "Pak"]
    page = client.get(done["Location"]).content.decode()
    assert "<em>worn</em>" in page and "Send belts" in page and "Mark done" in page
    client.force_login(people["reporter"])
    assert client.get(url).status_code == 403


def test_mark_done_with_htmx_returns_the_row(units, people, client):
    make(1, follow_ups=[actions.FollowUpRow("Oil", "reporter", "2024-04-01")])
    task = FollowUpTask.objects.get()
    client.force_login(people["reporter"])
    answer = client.post(reverse("visits-mark", args=[task.pk, "done"]), HTTP_HX_REQUEST="true")
    text = answer.content.decode()
    assert answer.status_code == 200 and 'data-done="yes"' in text and "<html" not in text
    assert "Mark not done" in text
    client.force_login(people["member"])
    assert client.post(reverse("visits-mark", args=[task.pk, "undone"])).status_code == 403


def test_mine_and_overdue(units, people, client, django_assert_max_num_queries):
    make(3, follow_ups=[actions.FollowUpRow("Oil", "reporter", "2024-04-01")])
    client.force_login(people["head"])
    url = reverse("visits-mine")
    client.get(url)
    with django_assert_max_num_queries(8):
        text = client.get(url).content.decode()
    assert 'data-figure="visits">3<' in text and 'data-figure="units">1<' in text
    url = reverse("visits-overdue", args=["C1"])
    client.get(url)
    with django_assert_max_num_queries(6):
        text = client.get(url).content.decode()
    assert text.count("data-task=") == 3
