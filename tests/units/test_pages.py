"""The units pages: the tree as the viewer sees it, and changing it through `units.actions`."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pacesetter.accounts import actions as account_actions
from pacesetter.accounts.models import Grant, Role
from pacesetter.audit.models import AuditEvent
from pacesetter.units import actions
from pacesetter.units.models import Unit
from tests import factories


@pytest.fixture
def organiser(units):
    """An organiser of P1 (and so of C1, C2 and below), not of KP or P2."""
    person = factories.UserFactory(username="p1-organiser")
    Grant.objects.create(user=person, role=Role.ORGANISER, unit=units["P1"])
    return person


@pytest.fixture
def browser(organiser) -> Client:
    client = Client()
    client.force_login(organiser)
    return client


def test_the_index_lists_the_top_of_each_subtree_the_viewer_sees(browser):
    page = browser.get("/units/").content.decode()
    assert 'href="/units/P1/"' in page
    assert 'href="/units/KP/"' not in page and 'href="/units/P2/"' not in page
    assert "Add or update units from a file" in page
    assert "Add a top unit" not in page  # only an operator adds a root


def test_the_unit_page_shows_children_holders_and_a_link_to_the_roles(browser, units):
    someone = factories.UserFactory(username="someone", first_name="Some One")
    Grant.objects.create(user=someone, role=Role.REPORTER, unit=units["C1"])
    page = browser.get("/units/C1/").content.decode()
    assert 'href="/units/W1/"' in page and 'href="/units/W2/"' in page
    assert "Some One" in page and "reporter" in page
    assert 'href="/units/C1/roles/"' in page
    # The add and edit forms share field names; their ids (which labels point at) must differ.
    assert page.count('id="id_name"') == 1 and page.count('id="id_add-name"') == 1
    # Breadcrumbs link only what the viewer may open: P1, not KP.
    assert 'href="/units/P1/"' in page and 'href="/units/KP/"' not in page


def test_a_reporter_sees_the_unit_but_no_forms(units):
    reporter = factories.UserFactory(username="reporter")
    Grant.objects.create(user=reporter, role=Role.REPORTER, unit=units["C1"])
    client = Client()
    client.force_login(reporter)
    page = client.get("/units/C1/").content.decode()
    assert "Change this unit" not in page and "Add a unit under it" not in page
    # the unit's reserves, a page of the reserves app, linked by its URL name
    assert '<a href="/units/C1/reserves/" data-link="reserves">' in page
    assert client.get("/units/C1/reserves/").status_code == 200
    assert (
        client.post("/units/C1/edit/", {"name": "X", "kind": "k", "headcount": 1}).status_code
        == 403
    )
    assert client.get("/units/P2/").status_code == 404


def test_add_edit_move_and_archive(browser, units):
    response = browser.post(
        "/units/C1/add/",
        {"add-code": "W9", "add-name": "Night shift", "add-kind": "workteam", "add-headcount": 4},
    )
    assert response.status_code == 302
    new = Unit.objects.get(code="W9")
    assert new.parent == units["C1"] and new.headcount == 4

    browser.post("/units/W9/edit/", {"name": "Late shift", "kind": "shift", "headcount": 5})
    new.refresh_from_db()
    assert (new.name, new.kind.code, new.headcount) == ("Late shift", "shift", 5)
    assert AuditEvent.objects.filter(action="units.update_unit").count() == 1

    browser.post("/units/W9/move/", {"parent": "C2"})
    new.refresh_from_db()
    assert new.parent == units["C2"] and new.path.startswith(units["C2"].path)

    browser.post("/units/W9/archive/")
    new.refresh_from_db()
    assert new.archived


def test_errors_are_shown_beside_the_fields(browser, units):
    response = browser.post(
        "/units/C1/add/", {"add-code": "W1", "add-name": "Again", "add-kind": "team"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_add-code_error"' in page and "already in use" in page
    response = browser.post(
        "/units/C1/add/", {"add-code": "W7", "add-name": "New", "add-kind": "bad kind!"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_add-kind_error"' in page and "letters, digits" in page


def test_a_move_outside_the_managed_subtree_is_refused_beside_the_field(browser, units):
    # P2 is invisible to an organiser of P1: it is unknown, not "forbidden".
    response = browser.post("/units/C1/move/", {"parent": "P2"})
    assert response.status_code == 422
    assert "No unit with this code." in response.content.decode()
    response = browser.post("/units/W1/move/", {"parent": "W1"})
    assert response.status_code == 422
    assert units["W1"].parent == units["C1"]


def test_with_htmx_a_form_swaps_the_panel_and_errors_stay_in_it(browser):
    response = browser.post(
        "/units/C1/edit/", {"name": "", "kind": "county", "headcount": 1}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200  # htmx swaps only successful answers
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="unit-panel">') and "id_name_error" in page
    response = browser.post(
        "/units/C1/edit/",
        {"name": "Renamed", "kind": "county", "headcount": 1},
        HTTP_HX_REQUEST="true",
    )
    assert "Saved: Renamed." in response.content.decode()


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("units.csv", text.encode(), content_type="text/csv")


def test_a_units_file_is_imported_all_or_nothing_with_its_rows_named(browser, units):
    bad = "code,name,kind,parent_code\nT1,Team one,team,C1\nT2,,team,P2\n"
    response = browser.post("/units/upload/", {"file": _csv(bad)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "<td>3</td><td>name</td>" in page  # the file's row (header is row 1)
    assert not Unit.objects.filter(code="T1").exists()

    good = "code,name,kind,parent_code,headcount\nT2,Team two,team,T1,3\nT1,Team one,team,C1,2\n"
    response = browser.post("/units/upload/", {"file": _csv(good)})
    assert response.status_code == 302
    assert Unit.objects.get(code="T2").parent.code == "T1"


def test_an_operator_adds_a_root(user):
    client = Client()
    client.force_login(user)
    response = client.post(
        "/units/add/", {"add-code": "R", "add-name": "Root", "add-kind": "country"}
    )
    assert response.status_code == 302
    assert Unit.objects.get(code="R").parent is None


def test_the_unit_page_queries_are_pinned(browser, units, django_assert_num_queries):
    for number in range(60):  # more than a page of children
        actions.create_unit(code=f"X{number}", name=f"X {number}", kind="team", parent=units["C1"])
    account_actions.grant_role(
        user=factories.UserFactory(username="holder"), role=Role.VIEWER, unit=units["C1"]
    )
    with django_assert_num_queries(8):
        response = browser.get("/units/C1/")
    assert response.status_code == 200
    assert "Page 1 of 2" in response.content.decode()
    with django_assert_num_queries(5):
        assert browser.get("/units/").status_code == 200


def test_a_units_file_with_a_code_twice_names_both_rows(browser, units):
    twice = (
        "code,name,kind,parent_code\nT1,Team one,team,C1\nT2,Team two,team,C1\nT1,Team 1,team,C1\n"
    )
    response = browser.post("/units/upload/", {"file": _csv(twice)})
    assert response.status_code == 422
    assert "<td>4</td><td>code</td><td>code &#x27;T1&#x27; repeats row 2</td>" in (
        response.content.decode()
    )
    assert not Unit.objects.filter(code__in=["T1", "T2"]).exists()
