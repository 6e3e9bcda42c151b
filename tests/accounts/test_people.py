"""People: organisers add accounts and switch them off; what an organiser of one subtree sees
of the others."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from pacesetter.accounts import actions
from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import NotAllowed, ValidationFailed
from tests import factories


@pytest.fixture
def organiser(units):
    person = factories.UserFactory(username="p1-organiser")
    Grant.objects.create(user=person, role=Role.ORGANISER, unit=units["P1"])
    return person


@pytest.fixture
def browser(organiser) -> Client:
    client = Client()
    client.force_login(organiser)
    return client


def _signs_in(username: str, password: str) -> bool:
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_create_user_lists_every_problem_by_field(organiser):
    factories.UserFactory(username="taken")
    with acting_as(actor_for(organiser)), pytest.raises(ValidationFailed) as refused:
        actions.create_user(username="Taken", full_name="", email="nope", password="123")
    fields = {error.field for error in refused.value.errors}
    assert fields == {"username", "full_name", "email", "password"}


def test_only_organisers_create_people(units):
    head = factories.UserFactory(username="head")
    Grant.objects.create(user=head, role=Role.UNIT_HEAD, unit=units["C1"])
    with acting_as(actor_for(head)), pytest.raises(NotAllowed):
        actions.create_user(username="x", full_name="X")


def test_the_page_adds_a_person_with_a_one_time_link_that_sets_the_password(browser):
    response = browser.post("/people/", {"username": "ana", "full_name": "Ana Lima"})
    assert response.status_code == 200
    page = response.content.decode()
    link = re.search(r'id="set-password-link">([^<]+)<', page).group(1)
    assert AuditEvent.objects.filter(action="accounts.create_user", target="ana").exists()
    # The link leads to Django's set-password form, and works once.
    visitor = Client()
    form = visitor.get(link.removeprefix("http://testserver"), follow=True)
    assert form.status_code == 200
    done = visitor.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-new-secret-9", "new_password2": "a-long-new-secret-9"},
    )
    assert done.status_code == 302
    assert _signs_in("ana", "a-long-new-secret-9")
    again = Client().get(link.removeprefix("http://testserver"), follow=True)
    assert b"new_password1" not in again.content
    # Their creator sees them although they hold no role yet.
    assert "Ana Lima" in browser.get("/people/").content.decode()


def test_an_organiser_sees_only_people_of_their_subtree_and_their_own(browser, units):
    inside = factories.UserFactory(username="inside")
    Grant.objects.create(user=inside, role=Role.REPORTER, unit=units["C1"])
    outside = factories.UserFactory(username="outside")
    Grant.objects.create(user=outside, role=Role.REPORTER, unit=units["P2"])
    factories.UserFactory(username="nobody")
    page = browser.get("/people/").content.decode()
    assert "inside" in page and "outside" not in page and "nobody" not in page
    # A role standing alone is a label ("Reporter"); on a phone each row is a card, so its
    # Deactivate button is in reach without scrolling sideways.
    assert 'data-label="Roles">Reporter · <a href="/units/C1/">' in page
    assert '<table class="cards">' in page
    assert browser.post("/people/outside/deactivate/").status_code == 404


def test_role_labels_stand_alone_capitalised_and_read_lower_case_in_sentences(units):
    from pacesetter.accounts.forms import GrantForm

    options = dict(GrantForm().fields["role"].choices)
    assert (options["unit_head"], options["viewer"]) == ("Unit head", "Read-only viewer")
    assert Role.UNIT_HEAD.label == "unit head"  # "You may not grant the role unit head on …"


def test_deactivating_someone_who_also_works_elsewhere_is_refused(browser, units):
    both = factories.UserFactory(username="both")
    Grant.objects.create(user=both, role=Role.REPORTER, unit=units["C1"])
    Grant.objects.create(user=both, role=Role.REPORTER, unit=units["P2"])
    assert browser.post("/people/both/deactivate/").status_code == 403
    both.refresh_from_db()
    assert both.is_active


def test_deactivated_people_cannot_sign_in_and_are_reactivated(browser, units):
    someone = factories.UserFactory(username="someone")
    Grant.objects.create(user=someone, role=Role.REPORTER, unit=units["C1"])
    assert browser.post("/people/someone/deactivate/").status_code == 302
    assert not _signs_in("someone", "a-long-test-password")
    assert browser.post("/people/someone/reactivate/").status_code == 302
    assert _signs_in("someone", "a-long-test-password")
    assert list(
        AuditEvent.objects.filter(action__endswith="activate_user")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["accounts.deactivate_user", "accounts.reactivate_user"]


def test_nobody_switches_themselves_off(user):
    with acting_as(actor_for(user)), pytest.raises(NotAllowed):
        actions.deactivate_user(user=user)


def test_the_people_page_queries_are_pinned(browser, units, django_assert_num_queries):
    for number in range(5):
        person = factories.UserFactory(username=f"person{number}")
        Grant.objects.create(user=person, role=Role.REPORTER, unit=units["C1"])
    with django_assert_num_queries(7):
        assert browser.get("/people/").status_code == 200


def _api(user) -> Client:
    return Client(
        headers={
            "Authorization": f"Bearer {actions.create_token(user=user, name='t', scope='full')[1]}"
        }
    )


def test_the_api_creates_a_person_and_switches_them_off(organiser, units):
    api = _api(organiser)
    response = api.post(
        "/api/v1/users",
        json.dumps({"username": "bo", "full_name": "Bo", "password": "a-long-test-password"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert json.loads(response.content)["set_password_link"] is None
    response = api.post("/api/v1/users/bo/deactivate", content_type="application/json")
    assert response.status_code == 200
    assert json.loads(response.content)["is_active"] is False
    response = api.post(
        "/api/v1/users",
        json.dumps({"username": "cy", "full_name": "Cy"}),
        content_type="application/json",
    )
    assert "/accounts/reset/" in json.loads(response.content)["set_password_link"]


def test_update_user_changes_name_and_email_audited_and_lists_problems(organiser, units):
    someone = factories.UserFactory(username="someone", first_name="", email="")
    Grant.objects.create(user=someone, role=Role.REPORTER, unit=units["C1"])
    with acting_as(actor_for(organiser)):
        with pytest.raises(ValidationFailed) as refused:
            actions.update_user(user=someone, name=" ", email="nope")
        assert {error.field for error in refused.value.errors} == {"full_name", "email"}
        actions.update_user(user=someone, name=" Some One ", email="some@example.org")
        actions.update_user(user=someone, email="")  # the name stays
    someone.refresh_from_db()
    assert (someone.first_name, someone.email) == ("Some One", "")
    events = AuditEvent.objects.filter(action="accounts.update_user").order_by("pk")
    assert [event.before for event in events] == [
        {"name": "", "email": ""},
        {"name": "Some One", "email": "some@example.org"},
    ]


def test_an_organiser_does_not_rename_someone_who_also_works_elsewhere(organiser, units):
    both = factories.UserFactory(username="both", first_name="Both")
    Grant.objects.create(user=both, role=Role.REPORTER, unit=units["C1"])
    Grant.objects.create(user=both, role=Role.REPORTER, unit=units["P2"])
    with acting_as(actor_for(organiser)), pytest.raises(NotAllowed):
        actions.update_user(user=both, name="Renamed")
    head = factories.UserFactory(username="head")
    Grant.objects.create(user=head, role=Role.UNIT_HEAD, unit=units["C1"])
    with acting_as(actor_for(head)), pytest.raises(NotAllowed):
        actions.update_user(user=both, name="Renamed")


def test_the_page_edits_a_person_in_place_with_row_errors(browser, units):
    someone = factories.UserFactory(username="someone", first_name="Old Name")
    Grant.objects.create(user=someone, role=Role.REPORTER, unit=units["C1"])
    assert 'href="/people/someone/edit/"' in browser.get("/people/").content.decode()
    form = browser.get("/people/someone/edit/")
    assert form.status_code == 200 and 'value="Old Name"' in form.content.decode()
    htmx = {"HX-Request": "true"}
    bad = browser.post("/people/someone/edit/", {"full_name": "", "email": "x"}, headers=htmx)
    page = bad.content.decode()
    # The panel alone, swapped in place (htmx swaps a 200), its errors beside the fields.
    assert bad.status_code == 200 and "<html" not in page and 'id="person-panel"' in page
    assert 'id="id_full_name_error' in page and 'id="id_email_error' in page
    someone.refresh_from_db()
    assert someone.first_name == "Old Name"
    good = browser.post(
        "/people/someone/edit/", {"full_name": "New Name", "email": "n@example.org"}, headers=htmx
    )
    assert good.status_code == 200 and "Saved: New Name." in good.content.decode()
    someone.refresh_from_db()
    assert (someone.first_name, someone.email) == ("New Name", "n@example.org")
    # Without htmx: a full page with its errors (422), or back to the list.
    assert browser.post("/people/someone/edit/", {"full_name": ""}).status_code == 422
    done = browser.post("/people/someone/edit/", {"full_name": "Newer", "email": ""})
    assert done.status_code == 302 and done.url == "/people/"


def test_the_api_changes_a_name_and_refuses_unknown_fields_by_name(organiser, units):
    someone = factories.UserFactory(username="someone", first_name="", email="s@example.org")
    Grant.objects.create(user=someone, role=Role.REPORTER, unit=units["C1"])
    api = _api(organiser)
    response = api.patch(
        "/api/v1/users/someone", json.dumps({"full_name": "Some One"}), "application/json"
    )
    assert response.status_code == 200, response.content
    assert json.loads(response.content) == {
        "username": "someone",
        "full_name": "Some One",
        "email": "s@example.org",
        "is_active": True,
    }
    refused = api.patch("/api/v1/users/someone", json.dumps({"email": "no"}), "application/json")
    assert refused.status_code == 422
    assert json.loads(refused.content)["errors"][0]["field"] == "email"
    unknown = api.patch("/api/v1/users/someone", json.dumps({"name": "X"}), "application/json")
    assert unknown.status_code == 422 and b"name" in unknown.content
    assert api.patch("/api/v1/users/outside", "{}", "application/json").status_code == 404
