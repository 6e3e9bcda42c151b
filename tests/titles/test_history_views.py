"""The upload of past awards on the titles pages (checked, previewed, confirmed: the plans
upload's flow) and the awards it makes, shown as imported where awards are listed."""

from __future__ import annotations

import io

import pytest

from pacesetter.accounts.actions import grant_role
from pacesetter.accounts.models import Role
from pacesetter.titles.models import Award
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "member;title;year;awarding_body;decision_number;decision_date;note\r\n"


@pytest.fixture
def operator(client):
    client.force_login(factories.UserFactory(username="operator", is_superuser=True))
    return client


def upload(client, text: str, name: str = "history.csv"):
    file = io.BytesIO(("\ufeff" + text).encode())  # a byte-order mark, ; separated
    file.name = name
    return client.post("/titles/awards/import/", {"pack": "vn-emulation", "file": file})


def test_upload_preview_then_confirm(operator, vn_pack, people, django_assert_num_queries):
    text = (
        HEADER
        + "w1-1;advanced_worker;2015;Director;15/QD;2015-12-28;register of 2015\r\n"
        + "w1-1;advanced_worker;2016;Director;16/QD;2016-12-28;\r\n"
    )
    response = upload(operator, text)
    assert response.status_code == 302
    preview_url = response["Location"]
    # session, user, pack; titles, members, awards held; one insert of the awards and one of
    # their decisions, the audit row; four savepoint statements (the preview rolls back)
    with django_assert_num_queries(14):
        page = operator.get(preview_url)
    content = page.content.decode()
    assert page.status_code == 200 and "All 2 rows are valid." in content
    assert "Confirming imports 2 awards" in content and 'data-row="3"' in content
    assert not Award.objects.exists()
    done = operator.post(preview_url, follow=True)
    assert "history.csv: 2 awards imported, 0 already recorded." in done.content.decode()
    assert Award.objects.filter(origin="imported").count() == 2
    assert operator.get(preview_url).status_code == 404  # applied: the upload is gone
    # listed as imported, with who imported them, on the title's page and the award's
    page = operator.get("/titles/packs/vn-emulation/advanced_worker/").content.decode()
    assert page.count("imported by operator") == 2
    award = Award.objects.get(year=2015)
    page = operator.get(f"/titles/awards/{award.pk}/").content.decode()
    assert "imported from the body's records by operator" in page
    assert "register of 2015" in page and "15/QD" in page
    # the same file again: nothing new
    again = operator.get(upload(operator, text)["Location"]).content.decode()
    assert "Confirming imports 0 awards and leaves 2 already imported" in again


def test_a_bad_file_shows_its_rows_and_imports_nothing(operator, vn_pack, people):
    text = (
        HEADER
        + "w1-1;advanced_worker;2015;Director;15/QD;2015-12-28;\r\n"
        + "w1-1;no_such_title;2015;Director;15/QD;2015-12-28;\r\n"
        + "w1-1;advanced_worker;2015;Director;15/QD;2015-12-28;\r\n"
    )
    page = operator.get(upload(operator, text)["Location"])
    content = page.content.decode()
    assert page.status_code == 422 and "2 of 3 rows are not valid." in content
    assert 'data-row="3"' in content and "no title &#x27;no_such_title&#x27;" in content
    assert 'data-row="4"' in content and "the same award as row 2" in content
    assert "Confirm" not in content
    assert not Award.objects.exists()


def test_only_organisers_upload_past_awards(client, vn_pack, people, units):
    viewer = factories.UserFactory(username="viewer")
    grant_role(user=viewer, role=Role.VIEWER, unit=units["KP"])
    client.force_login(viewer)
    assert client.get("/titles/awards/import/").status_code == 200
    assert upload(client, HEADER).status_code == 403
