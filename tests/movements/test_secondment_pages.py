"""The organiser's page of a movement's secondments: listed brigade by brigade, entered
through actions.second_persons (the API's and the setup file's action), a refusal put back
beside the field it names."""

import pytest

from pacesetter.accounts import actions as account_actions
from pacesetter.movements import actions
from pacesetter.movements.models import Secondment
from tests import factories

URL = "/movements/drive/secondments/"


@pytest.fixture
def brigade(units):
    return factories.unit("SB", parent=units["KP"], kind="brigade")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def _send(client, *, htmx=False, **data):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(URL, data, headers=headers)


def test_the_page_lists_the_secondments_in_few_queries(
    signed_in, movement, units, brigade, django_assert_num_queries
):
    actions.second_persons(movement=movement, brigade=brigade, home=units["W3"], persons=4)
    actions.second_persons(
        movement=movement, brigade=brigade, home=units["W1"], persons=12, note="fitters"
    )
    # session, user, movement, scope, secondments
    with django_assert_num_queries(5):
        page = signed_in.get(URL).content.decode()
    rows = page.split('data-secondment="')[1:]
    assert [row.split('"')[0] for row in rows] == ["SB:W1", "SB:W3"]
    assert "fitters" in rows[0] and ">12<" in rows[0]
    assert 'class="table-scroll" tabindex="0" role="region"' in page
    assert URL in signed_in.get("/organise/drive/").content.decode()


def test_entering_a_secondment_records_it_and_sets_it_again(signed_in, movement, units, brigade):
    response = _send(signed_in, brigade="SB", home="W1", persons="12", note="fitters")
    assert response.status_code == 302 and response.url == URL
    response = _send(signed_in, brigade=" SB ", home="W1", persons="9", note="")
    assert response.status_code == 302
    secondment = Secondment.objects.get()
    assert (secondment.brigade, secondment.home, secondment.persons, secondment.note) == (
        brigade,
        units["W1"],
        9,
        "",
    )
    assert "Saved: 9 of W1 seconded to SB." in signed_in.get(URL).content.decode()


def test_with_htmx_the_panel_is_swapped_in_place(
    signed_in, movement, brigade, django_assert_num_queries
):
    # session, user, movement, scope, the two units; the action: its scope, the secondment
    # looked up and inserted, its audit entry, and 6 savepoints; the list again
    with django_assert_num_queries(16):
        response = _send(signed_in, htmx=True, brigade="SB", home="W3", persons="4")
    page = response.content.decode()
    assert response.status_code == 200 and page.startswith('<section class="card" id="secondments"')
    assert 'data-secondment="SB:W3"' in page and "Saved: 4 of W3 seconded to SB." in page
    assert 'name="home" value' not in page  # a fresh form for the next one
    refused = _send(signed_in, htmx=True, brigade="SB", home="NOPE", persons="4")
    assert refused.status_code == 200  # htmx swaps only successful answers
    assert 'id="secondment_home_error"' in refused.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"brigade": "C1", "home": "W1"}, "home", "must be apart"),
        ({"brigade": "SB", "home": "NOPE"}, "home", "no unit with code NOPE"),
        ({"brigade": "ZZ", "home": "W1"}, "brigade", "no unit with code ZZ"),
        ({"brigade": "SB", "home": "W1", "persons": "0"}, "persons", "greater than or equal to 1"),
    ],
)
def test_a_refused_secondment_shows_its_error_and_changes_nothing(
    signed_in, movement, brigade, data, field, message
):
    response = _send(signed_in, **({"persons": "3"} | data))
    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="secondment_{field}_error"' in page and message in page
    assert 'name="brigade" value="' + data["brigade"] + '"' in page  # the input is kept
    assert not Secondment.objects.exists()


def test_outside_the_scope_is_refused_beside_the_brigade(signed_in, units):
    factories.movement(units["P1"], slug="drive")
    response = _send(signed_in, brigade="C3", home="W1", persons="3")
    assert response.status_code == 422
    assert 'id="secondment_brigade_error"' in response.content.decode()
    assert not Secondment.objects.exists()


def test_a_closed_movement_lists_but_takes_no_more(signed_in, movement, units, brigade):
    actions.second_persons(movement=movement, brigade=brigade, home=units["W1"], persons=5)
    actions.close_movement(movement=movement)
    page = signed_in.get(URL).content.decode()
    assert 'data-secondment="SB:W1"' in page and '<form method="post" action="/mov' not in page
    assert _send(signed_in, brigade="SB", home="W3", persons="2").status_code == 409
    assert Secondment.objects.count() == 1


def test_only_the_organiser_may(client, movement, units, brigade):
    reporter = factories.UserFactory(username="reporter")
    account_actions.grant_role(user=reporter, role="reporter", unit=units["KP"])
    stranger = factories.UserFactory(username="stranger")
    client.force_login(reporter)
    assert client.get(URL).status_code == 403
    assert _send(client, brigade="SB", home="W1", persons="3").status_code == 403
    client.force_login(stranger)
    assert client.get(URL).status_code == 404
    assert not Secondment.objects.exists()
    organiser = factories.UserFactory(username="organiser")
    account_actions.grant_role(user=organiser, role="organiser", unit=units["KP"])
    client.force_login(organiser)
    assert client.get(URL).status_code == 200
    assert _send(client, brigade="SB", home="W1", persons="3").status_code == 302
    assert client.get("/movements/nope/secondments/").status_code == 404
