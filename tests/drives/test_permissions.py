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


def test_anonymous_cannot_see_a_private_drive(private_drive, client):
    assert client.get(reverse("drives-donations", args=["private-rice"])).status_code == 404


def test_a_reporter_records_only_in_their_subtree(private_drive, units, client):
    reporter = factories.UserFactory(username="reporter")
    grant_role(user=reporter, role="reporter", unit=units["C1"])
    row = actions.DonationRow(item="rice", stage="received", unit="W1", quantity=3)
    outside = actions.DonationRow(item="rice", stage="received", unit="W4", quantity=3)
    with acting_as(actor_for(reporter)):
        actions.record_donations(drive=private_drive, rows=[row])
        with pytest.raises(Exception) as refused:
            actions.record_donations(drive=private_drive, rows=[outside])
    assert refused.value.errors[0].code == "not_permitted"
    assert DonationEntry.objects.count() == 1
    client.force_login(reporter)
    page = client.get(reverse("drives-donations", args=["private-rice"]) + "?unit=C1")
    assert page.status_code == 200 and b"Record the gift" in page.content
    assert (
        client.get(reverse("drives-donations", args=["private-rice"]) + "?unit=P2").status_code
        == 404
    )
