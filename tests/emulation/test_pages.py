"""Pages and the API: leaderboard, feed, challenges, notifications; query counts pinned."""

import datetime as dt
import re

import pytest

from pacesetter.accounts.models import Grant
from pacesetter.emulation.models import Challenge, Notification
from pacesetter.ledger.models import Report
from tests import factories

from .conftest import record, scoring

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked(movement, block):
    s = scoring(movement, block, ("steel", "raw"))
    record(movement, ("W1", "steel", "10"), ("W2", "steel", "20"), ("W3", "steel", "20"))
    record(movement, ("W1", "steel", "15"))  # W1 passes W2 and W3
    return s


@pytest.fixture
def head(units):
    """A unit head of C1 (W1, W2 under it)."""
    user = factories.UserFactory(username="head")
    Grant.objects.create(user=user, unit=units["C1"], role="unit_head")
    return user


def test_leaderboard_page_shows_ranks_ties_and_the_method(
    client, movement, ranked, admin_user, django_assert_num_queries
):
    client.force_login(admin_user)
    url = f"/movements/{movement.slug}/emulation/{ranked.code}/"
    client.get(url)
    with django_assert_num_queries(11):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-unit="W1"' in html and "25.0 t" in html
    assert "= 2" in html  # W2 and W3 tied for 2nd
    assert "total, more is better" in html


def test_dashboard_shows_the_feed_and_unit_page_learn_from(client, movement, ranked, admin_user):
    client.force_login(admin_user)
    dashboard = client.get(f"/movements/{movement.slug}/").content.decode()
    assert "Overtakings" in dashboard and "Unit W1</strong> overtook" in dashboard
    unit_page = client.get(f"/movements/{movement.slug}/units/W2/").content.decode()
    assert "Whom Unit W2 can learn from" in unit_page and 'data-peer="W1"' in unit_page
    # Each better peer links to the practices it published (experience's list, by URL name).
    assert f'href="/movements/{movement.slug}/practices/?unit=W1"' in unit_page


def test_rankings_api_as_of_and_position(client, movement, ranked, admin_user):
    client.force_login(admin_user)
    body = client.get(f"/api/v1/movements/{movement.slug}/rankings/{ranked.code}").json()
    assert [(r["unit"]["code"], r["rank"], r["value"]) for r in body["rows"]] == [
        ("W1", 1, "25"),
        ("W2", 2, "20"),
        ("W3", 2, "20"),
    ]
    assert body["scoring"]["components"][0]["normalisation"] == "raw"
    past = client.get(
        f"/api/v1/movements/{movement.slug}/rankings/{ranked.code}?as_of=2025-01-01"
    ).json()
    assert past["source"] == "none" and past["rows"] == []
    position = client.get(
        f"/api/v1/movements/{movement.slug}/rankings/{ranked.code}/units/W3"
    ).json()
    assert (position["rank"], position["of"]) == (2, 3)
    missing = client.get(f"/api/v1/movements/{movement.slug}/rankings/nope")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"


def test_events_and_notifications_api(client, movement, ranked, head):
    client.force_login(head)
    events = client.get(f"/api/v1/movements/{movement.slug}/overtakings").json()
    assert {(e["ahead"]["code"], e["behind"]["code"]) for e in events} == {
        ("W1", "W2"),
        ("W1", "W3"),
    }
    day = Report.objects.filter(unit__code="W1").latest("pk").day
    assert {e["figures_day"] for e in events} == {day.isoformat()}
    notes = client.get("/api/v1/notifications").json()
    # The head of C1 sees W2's and C1's, not W3's (under C2)
    assert {n["unit"]["code"] for n in notes} == {"W2", "C1"}


def test_challenge_through_the_api_and_pages(
    client, movement, units, head, django_assert_num_queries
):
    client.force_login(head)
    today = dt.date.today()
    # The fixture movement's period (2025) is over: a challenge needs a period still running.
    response = client.post(
        f"/api/v1/movements/{movement.slug}/challenges",
        {
            "challenger": "W1",
            "opponent": "W2",
            "indicator": "steel",
            "answer_by": str(today),
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "period"


def test_notifications_page(client, movement, ranked, head):
    client.force_login(head)
    page = client.get("/notifications/")
    assert page.status_code == 200 and "overtook you" in page.content.decode()
    client.post("/notifications/", {"up_to": 10**9})
    assert "· new" not in client.get("/notifications/").content.decode()
    assert Challenge.objects.count() == 0


def test_notifications_are_timed_in_their_movements_zone(client, movement, ranked, head):
    """A notification of a movement in Pyongyang (UTC+9) is dated by the clock there, as the
    overtakings it tells of are, not by the server's UTC."""
    movement.time_zone = "Asia/Pyongyang"
    movement.save(update_fields=["time_zone"])
    note = Notification.objects.filter(unit__code="W2").get()
    Notification.objects.filter(pk=note.pk).update(
        created_at=dt.datetime(2025, 3, 1, 20, 30, tzinfo=dt.UTC)
    )
    client.force_login(head)
    page = client.get("/notifications/").content.decode()
    assert "2 Mar 2025 05:30" in page and "1 Mar 2025 20:30" not in page


def _copies(model, original, count: int) -> list[int]:
    """`count` copies of a row, the newest last; their ids."""
    made = []
    for _ in range(count):
        original.pk = None
        original.save()
        made.append(original.pk)
    return made


def test_overtakings_come_a_slice_at_a_time_newest_first(client, movement, ranked, admin_user):
    from pacesetter.emulation.models import OvertakingEvent

    ids = sorted(OvertakingEvent.objects.values_list("pk", flat=True), reverse=True)
    ids = sorted(ids + _copies(OvertakingEvent, OvertakingEvent.objects.first(), 30), reverse=True)
    client.force_login(admin_user)
    url = f"/movements/{movement.slug}/emulation/overtakings/"
    page = client.get(url).content.decode()
    assert re.findall(r'data-event="(\d+)"', page) == [str(i) for i in ids[:20]]
    day = OvertakingEvent.objects.first().figures_day
    assert f"· reports of {day.day} {day:%b %Y} ·" in page and "recorded " in page
    assert 'href="?page=2"' in page and "<html" in page
    rows = client.get(url + "?page=2", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in rows and "<h1" not in rows
    assert re.findall(r'data-event="(\d+)"', rows) == [str(i) for i in ids[20:40]]
    assert ("Show more" in rows) == (len(ids) > 40)


def test_notifications_come_a_slice_at_a_time_newest_first(client, movement, ranked, head):
    from pacesetter.emulation.models import Notification

    _copies(Notification, Notification.objects.filter(unit__code="W2").first(), 30)
    count = Notification.objects.filter(unit__path__startswith=head.grants.first().unit.path)
    count = count.count()
    assert count > 30
    client.force_login(head)
    page = client.get("/notifications/").content.decode()
    assert page.count('data-kind="') == 20 and 'hx-get="?page=2"' in page
    rows = client.get("/notifications/?page=2", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in rows and "Mark all read" not in rows
    assert rows.count('data-kind="') == min(20, count - 20)


def test_challenges_come_a_slice_at_a_time_newest_first(client, movement, units, admin_user):
    from pacesetter.emulation.models import ChallengeParticipant

    made = []
    for n in range(25):
        challenge = Challenge.objects.create(
            movement=movement,
            challenger=units["W1"],
            indicator=movement.indicators.get(code="steel"),
            normalisation="raw",
            period=movement.periods.get(is_whole=True),
            answer_by=dt.date(2025, 3, 1),
            stake=f"stake {n}",
        )
        ChallengeParticipant.objects.create(
            challenge=challenge, unit=units["W1"], answer="challenger"
        )
        made.append(challenge.pk)
    client.force_login(admin_user)
    url = f"/movements/{movement.slug}/emulation/challenges/"
    page = client.get(url).content.decode()
    shown = [int(pk) for pk in re.findall(r'href="/challenges/(\d+)/"', page)]
    assert shown == sorted(made, reverse=True)[:20] and 'hx-get="?page=2"' in page
    rows = client.get(url + "?page=2", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in rows
    assert [int(pk) for pk in re.findall(r'href="/challenges/(\d+)/"', rows)] == sorted(made)[:5][
        ::-1
    ]


def test_a_ranking_of_1947_stands_as_of_its_last_day_with_no_unit_called_new(
    client, units, block, admin_user
):
    from pacesetter.emulation import selectors
    from pacesetter.movements.actions import close_movement

    from .conftest import whole

    old = factories.movement(
        units["KP"], slug="1947", starts_on=dt.date(1947, 1, 1), ends_on=dt.date(1947, 12, 31)
    )
    s = scoring(old, block, ("steel", "raw"))
    record(old, ("W1", "steel", "10", "1947-06-02"), ("W2", "steel", "20", "1947-06-02"))
    close_movement(movement=old)

    board = selectors.leaderboard(scoring=s, period=whole(old))
    assert board.today == dt.date(1947, 12, 31)
    assert not board.compared_yesterday and not board.compared_last_week
    client.force_login(admin_user)
    html = client.get(f"/movements/{old.slug}/emulation/{s.code}/").content.decode()
    assert "31 Dec 1947" in html
    assert 'title="not ranked then"' not in html and 'title="no ranking then"' in html
