import pytest
from django.urls import reverse

from pacesetter.accounts.actions import grant_role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.drives import actions
from pacesetter.drives.models import DonationEntry
from tests import factories
from tests.drives.conftest import draft


@pytest.fixture
def private_drive(units):
    from pacesetter.movements import actions as movement_actions

    movement = draft(units, "private-rice", public=False)
    drive = actions.create_donation_drive(
        movement=movement, items=[actions.ItemSpec(code="rice", name="Rice", unit_of_measure="t")]
    )
    movement_actions.launch_movement(movement=movement)
    return drive


def test_anonymous_is_sent_to_sign_in_for_a_private_drive_and_sees_nothing_of_it(
    private_drive, client
):
    path = reverse("drives-donations", args=["private-rice"])
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
    # the same answer as for a drive that does not exist: nothing leaks
    missing = client.get(reverse("drives-donations", args=["no-such-drive"]))
    assert missing.status_code == 302 and "Rice" not in response.content.decode()


def test_a_reporter_records_only_in_their_subtree(private_drive, units, client):
    reporter = factories.UserFactory(username="reporter")
    grant_role(user=reporter, role="reporter", unit=units["C1"])
    row = actions.DonationRow(item="rice", stage="received", unit="W1", quantity=3)
    outside = actions.DonationRow(item="rice", stage="received", unit="W4", quantity=3)
    with acting_as(actor_for(reporter)):
        actions.record_donations(drive=private_drive, rows=[row])
        with pytest.raises(Exception) as refused:
            actions.record_donations(drive=private_drive, rows=[outside])
    assert refused.value.errors[0].code == "not_found"  # W4 is hidden from them: unknown
    assert DonationEntry.objects.count() == 1
    client.force_login(reporter)
    page = client.get(reverse("drives-donations", args=["private-rice"]) + "?unit=C1")
    assert page.status_code == 200 and b"Record the gift" in page.content
    assert (
        client.get(reverse("drives-donations", args=["private-rice"]) + "?unit=P2").status_code
        == 404
    )
