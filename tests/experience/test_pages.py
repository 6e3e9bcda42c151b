import datetime as dt

import pytest
from django.urls import reverse

from pacesetter.accounts.models import Grant, Role
from pacesetter.experience import actions
from pacesetter.experience.models import Adoption, AdoptionWithdrawal, Practice
from tests import factories

from .conftest import DAY, publish

pytestmark = pytest.mark.django_db


def test_publish_page_publishes(client, user, world):
    client.force_login(user)
    url = reverse("practice-publish", args=[world["movement"].slug])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "unit": "P2",
            "title": "Night shift",
            "text": "Say <b>no</b> to idle *furnaces*",
            "indicator": "steel",
            "period": str(world["whole"].pk),
        },
    )
    practice = Practice.objects.get()
    assert response.status_code == 302 and response.url == f"/practices/{practice.pk}/"
    page = client.get(response.url).content.decode()
    assert "Say &lt;b&gt;no&lt;/b&gt; to idle <em>furnaces</em>" in page
    assert "not proof of cause" in page and "Too few units to compare." in page


def test_publish_refusal_names_the_field(client, user, world):
    client.force_login(user)
    url = reverse("practice-publish", args=[world["movement"].slug])
    response = client.post(
        url, {"unit": "P2", "title": "", "text": "x", "indicator": "steel", "period": "0"}
    )
    assert response.status_code == 422 and not Practice.objects.exists()
    assert "Title" in response.content.decode()


def test_practice_page_adopts_and_withdraws(client, user, world):
    client.force_login(user)
    practice = publish(world)
    url = reverse("practice-detail", args=[practice.pk])
    response = client.post(url, {"adopt": "1", "unit": "W1", "adopted_on": DAY.isoformat()})
    assert response.status_code == 302
    adoption = Adoption.objects.get()
    assert (adoption.unit.code, adoption.adopted_on) == ("W1", DAY)
    page = client.get(url).content.decode()
    assert 'data-adopter="W1"' in page and "Withdraw Unit W1" in page
    assert client.post(url, {"withdraw": str(adoption.pk)}).status_code == 302
    assert AdoptionWithdrawal.objects.filter(adoption=adoption).exists()
    assert 'data-adopter="W1"' not in client.get(url).content.decode()


def test_practice_page_shows_every_number(client, user, world):
    client.force_login(user)
    practice = publish(world)
    for code in ("W1", "W2", "W3"):
        actions.adopt_practice(practice=practice, unit=world["units"][code], adopted_on=DAY)
    page = client.get(reverse("practice-detail", args=[practice.pk])).content.decode()
    assert "data-effect" in page and "data-difference" in page
    assert "Too few units to compare." not in page


def test_a_head_of_another_unit_sees_no_adopt_form_for_units_not_theirs(client, world):
    practice = publish(world)
    head = factories.UserFactory(username="head")
    Grant.objects.create(user=head, role=Role.UNIT_HEAD, unit=world["units"]["C1"])
    client.force_login(head)
    url = reverse("practice-detail", args=[practice.pk])
    page = client.get(url).content.decode()
    assert '<option value="W1">' in page and '<option value="W4">' not in page
    response = client.post(url, {"adopt": "1", "unit": "W4", "adopted_on": DAY.isoformat()})
    assert response.status_code == 422 and not Adoption.objects.exists()


def test_list_page_orders_by_adoptions_and_filters_by_unit(client, user, world):
    client.force_login(user)
    first = publish(world, title="Few")
    second = publish(world, unit="C1", title="Many")
    for code in ("W3", "W4"):
        actions.adopt_practice(practice=second, unit=world["units"][code])
    actions.adopt_practice(practice=first, unit=world["units"]["W1"])
    url = reverse("practice-list", args=[world["movement"].slug])
    page = client.get(url).content.decode()
    assert page.index("Many") < page.index("Few")
    narrowed = client.get(url, {"unit": "P2"}).content.decode()
    assert "Few" in narrowed and ">Many<" not in narrowed
    assert client.get(url, {"unit": "nope"}).status_code == 404


def test_query_counts_are_pinned(client, user, world, django_assert_num_queries):
    client.force_login(user)
    practice = publish(world)
    for code in ("W1", "W2", "W3"):
        actions.adopt_practice(
            practice=practice, unit=world["units"][code], adopted_on=DAY - dt.timedelta(1)
        )
    detail = reverse("practice-detail", args=[practice.pk])
    listing = reverse("practice-list", args=[world["movement"].slug])
    client.get(detail), client.get(listing)
    with django_assert_num_queries(23):  # 20, the attachments, the indicators, the open flags
        assert client.get(detail).status_code == 200
    with django_assert_num_queries(10):  # 9, and the indicators
        assert client.get(listing).status_code == 200
