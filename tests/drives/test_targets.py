"""Named targets of a donation drive: the domain's walk through the prices, the action (all
or none, appended, never on a closed drive), the API, the pages and the setup file."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from pacesetter.core.errors import StateError, ValidationFailed
from pacesetter.drives import actions, domain, selectors
from pacesetter.movements import actions as movement_actions
from pacesetter.movements.selectors import movement_today

D1, D2, D3 = dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)


@pytest.fixture
def organiser_client(client, user):
    client.force_login(user)
    return client


def test_targets_are_reached_in_turn_as_the_total_passes_their_prices():
    progress = domain.targets_progress([100, 50, 200], [(D2, 90), (D1, 20), (D3, 100)])
    assert [(p.reached_at, p.reached_on, p.gathered) for p in progress] == [
        (100, D2, 100),
        (150, D3, 50),
        (350, None, 60),
    ]
    assert str(progress[2].percent) == "30"
    assert domain.targets_progress([10], [])[0].reached_on is None
    with pytest.raises(ValueError):
        domain.targets_progress([0], [])


def test_exactly_the_price_reaches_it():
    (first,) = domain.targets_progress([100], [(D1, 100)])
    assert first.reached and first.percent == 100


def _receive(drive, quantity, unit="W1"):
    actions.record_donations(
        drive=drive,
        rows=[actions.DonationRow(item="rice", stage="received", unit=unit, quantity=quantity)],
    )


def test_targets_are_appended_and_reached_from_the_ledger(donation_drive):
    actions.add_donation_targets(
        drive=donation_drive,
        targets=[
            actions.TargetSpec("rice", "A truck", "40"),
            actions.TargetSpec("rice", "A boat", 30),
        ],
    )
    actions.add_donation_targets(
        drive=donation_drive, targets=[actions.TargetSpec("rice", "A tractor", "100")]
    )
    _receive(donation_drive, 50)
    overview = selectors.donation_targets(drive=donation_drive)
    today = movement_today(donation_drive.movement)
    assert [(t.target.position, t.progress.reached_on, t.gathered) for t in overview.targets] == [
        (1, today, 40),
        (2, None, 10),
        (3, None, 0),
    ]
    assert overview.next.target.name == "A boat" and len(overview.reached) == 1


def test_bad_targets_are_all_refused_and_nothing_is_added(donation_drive):
    actions.add_donation_targets(
        drive=donation_drive, targets=[actions.TargetSpec("rice", "A truck", "40")]
    )
    with pytest.raises(ValidationFailed) as refused:
        actions.add_donation_targets(
            drive=donation_drive,
            targets=[
                actions.TargetSpec("gold", "A ring", "1"),
                actions.TargetSpec("rice", "a truck", "5"),
                actions.TargetSpec("rice", "A cart", "0"),
                actions.TargetSpec("rice", "A sled", "1.5"),
            ],
        )
    assert [(e.row, e.field) for e in refused.value.errors] == [
        (1, "item"),
        (2, "name"),
        (3, "price"),
        (4, "price"),
    ]
    assert donation_drive.targets.count() == 1


def test_a_closed_drive_keeps_its_targets(donation_drive):
    movement_actions.close_movement(movement=donation_drive.movement)
    donation_drive.movement.refresh_from_db()
    with pytest.raises(StateError):
        actions.add_donation_targets(
            drive=donation_drive, targets=[actions.TargetSpec("rice", "A truck", "40")]
        )


def test_the_api_names_and_shows_targets(donation_drive, organiser_client):
    slug = donation_drive.movement.slug
    url = f"/api/v1/movements/{slug}/donations/targets"
    answer = organiser_client.post(
        url,
        {"targets": [{"item": "rice", "name": "A truck", "price": "40"}]},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    bad = organiser_client.post(
        url, {"targets": [{"item": "rice", "name": "A boat"}]}, content_type="application/json"
    )
    assert bad.status_code == 422
    _receive(donation_drive, 45)
    shown = organiser_client.get(url).json()
    assert shown["next"] is None
    (target,) = shown["targets"]
    assert (target["name"], target["price"], target["gathered"], target["percent"]) == (
        "A truck",
        "40",
        "40",
        "100.0",
    )
    assert target["reached_on"] == movement_today(donation_drive.movement).isoformat()
    table = StringIO()
    call_command("drives", "--movement", slug, stdout=table)
    assert "A truck" in table.getvalue() and "reached on" in table.getvalue()


def test_the_page_shows_targets_and_names_the_next(donation_drive, organiser_client):
    slug = donation_drive.movement.slug
    url = reverse("drives-donation-targets", args=[slug])
    answer = organiser_client.post(url, {"item": "rice", "name": "A truck", "price": "40"})
    assert answer.status_code == 302
    refused = organiser_client.post(url, {"item": "rice", "name": "A truck", "price": "40"})
    assert refused.status_code == 422 and b"already" in refused.content
    _receive(donation_drive, 10)
    page = organiser_client.get(url)
    assert b"A truck" in page.content and b"25.0%" in page.content
    donations = organiser_client.get(reverse("drives-donations", args=[slug]))
    assert b"A truck" in donations.content


SETUP = """
movements:
- slug: gifts-file
  title: Gifts
  organiser: KP
  starts_on: 2025-01-01
  ends_on: 2025-12-31
  donation_drive:
    items:
    - {code: cash, name: Cash, kind: money, currency: EUR, decimal_places: 2}
    targets:
    - {item: cash, name: A well, price: "120.50"}
"""


def test_a_setup_file_names_targets_and_export_gives_them_back(units, tmp_path):
    path = tmp_path / "setup.yaml"
    path.write_text(SETUP)
    call_command("apply", str(path), stdout=StringIO())
    # Adding one later: the stored one stays, the new one follows it.
    path.write_text(SETUP + '    - {item: cash, name: A pump, price: "80"}\n')
    call_command("apply", str(path), stdout=StringIO())
    out = tmp_path / "export.yaml"
    call_command("export", "gifts-file", "--output", str(out))
    assert "name: A well" in out.read_text() and "price: '80.00'" in out.read_text()
    # Changing a stored one is refused.
    path.write_text(SETUP.replace("120.50", "99"))
    problems = StringIO()
    with pytest.raises(CommandError):
        call_command("apply", str(path), stdout=problems, stderr=problems)
    shown = " ".join(problems.getvalue().split())
    assert "donation_drive.targets[1]" in shown and "cannot change once named" in shown, shown


def test_the_targets_page_and_endpoint_read_in_a_fixed_number_of_queries(
    donation_drive, organiser_client, django_assert_num_queries
):
    actions.add_donation_targets(
        drive=donation_drive,
        targets=[actions.TargetSpec("rice", f"Target {n}", "10") for n in range(5)]
        + [actions.TargetSpec("money", "A well", "100")],
    )
    _receive(donation_drive, 25)
    slug = donation_drive.movement.slug
    with django_assert_num_queries(9):
        organiser_client.get(reverse("drives-donation-targets", args=[slug]))
    with django_assert_num_queries(6):
        organiser_client.get(f"/api/v1/movements/{slug}/donations/targets")
