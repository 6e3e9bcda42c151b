"""The organiser's page of the flag rules: every kind shown with its defaults, set through
ledger.flags.set_flag_rules, bad settings put back beside their field."""

import pytest

from pacesetter.ledger.flags import rules_of

URL = "/movements/drive/flag-rules/"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def _form(**changes):
    data = {f"{kind}-enabled": "on" for kind in ("over_capacity", "jump", "block_outlier")}
    data.update(changes)
    return data


def test_the_page_shows_every_kind_with_its_default(signed_in, movement, django_assert_num_queries):
    # session, user, movement, scope, rules
    with django_assert_num_queries(5):
        page = signed_in.get(URL).content.decode()
    assert page.count("<fieldset") == 6
    assert 'name="jump-window_days"' in page and 'placeholder="28"' in page
    assert 'name="late-minimum"' not in page  # late reads no minimum
    assert "Plausibility flags" in signed_in.get("/organise/drive/").content.decode()


def test_saving_sets_the_rules(signed_in, movement):
    response = signed_in.post(URL, _form(**{"jump-threshold": "4", "jump-window_days": "14"}))
    assert response.status_code == 302
    rules = rules_of(movement).by_kind
    assert rules["jump"].threshold == 4 and rules["jump"].window_days == 14
    assert not rules["late"].enabled and rules["over_capacity"].enabled
    page = signed_in.get(URL).content.decode()
    assert 'name="jump-threshold" value="4"' in page


def test_a_bad_setting_is_shown_beside_its_field(signed_in, movement):
    response = signed_in.post(URL, _form(**{"heaping-threshold": "2"}))
    assert response.status_code == 422
    page = response.content.decode()
    assert "a share between 0 and 1" in page and 'id="id_heaping-threshold_error"' in page
    assert not movement.flag_rules.exists()
