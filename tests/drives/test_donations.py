import pytest
from django.db import IntegrityError, connection, transaction

from pacesetter.core.errors import Conflict, ValidationFailed
from pacesetter.drives import selectors
from pacesetter.drives.actions import DonationRow, record_donations
from pacesetter.drives.models import DonationBalance, DonationEntry
from pacesetter.ledger.models import SubtreePeriodTotal


def gift(quantity, unit="W1", stage="received", **kwargs):
    return DonationRow(item="rice", stage=stage, unit=unit, quantity=quantity, **kwargs)


def test_received_then_distributed_keeps_a_balance(donation_drive, member):
    record_donations(
        drive=donation_drive,
        rows=[
            gift(30, donor_member="M-1", estimate="1500.00", idempotency_key="first"),
            gift(10, stage="distributed", recipient_name="Front-line hospital"),
        ],
    )
    balance = DonationBalance.objects.get(unit__code="W1", item__code="rice")
    assert (balance.received_minor, balance.distributed_minor, balance.balance_minor) == (
        30,
        10,
        20,
    )
    assert balance.estimate_minor == 150000


def test_distributing_more_than_received_is_refused_and_nothing_written(donation_drive):
    record_donations(drive=donation_drive, rows=[gift(5)])
    with pytest.raises(ValidationFailed) as refused:
        record_donations(
            drive=donation_drive,
            rows=[
                gift(3, stage="distributed", recipient_unit="C3"),
                gift(4, stage="distributed", recipient_unit="C3"),
            ],
        )
    (error,) = refused.value.errors
    assert (error.row, error.field, error.code) == (2, "quantity", "insufficient_balance")
    assert "W1 holds 2 sacks of Rice" in error.message
    assert DonationEntry.objects.filter(stage="distributed").count() == 0


def test_the_database_refuses_a_negative_balance_too(donation_drive):
    record_donations(drive=donation_drive, rows=[gift(5)])
    with pytest.raises(IntegrityError), transaction.atomic():
        DonationBalance.objects.filter(unit__code="W1").update(distributed_minor=6)


def test_entries_are_append_only(donation_drive):
    record_donations(drive=donation_drive, rows=[gift(5)])
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE drives_donationentry SET quantity_minor = 50")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        DonationEntry.objects.all().delete()


def test_replay_and_conflict(donation_drive):
    first = record_donations(drive=donation_drive, rows=[gift(5, idempotency_key="k1")])
    again = record_donations(drive=donation_drive, rows=[gift(5, idempotency_key="k1")])
    assert again.created == 0 and again.replayed == 1
    assert again.entry_ids == first.entry_ids
    with pytest.raises(Conflict):
        record_donations(drive=donation_drive, rows=[gift(6, idempotency_key="k1")])
    assert DonationBalance.objects.get(unit__code="W1").received_minor == 5


def test_totals_reach_the_ledger_by_subtree(donation_drive, units):
    record_donations(
        drive=donation_drive,
        rows=[gift(30, unit="W1"), gift(12, unit="W3"), gift(7, unit="W4", donor_unit="C3")],
    )
    received = donation_drive.items.get(code="rice").received_indicator
    totals = dict(
        SubtreePeriodTotal.objects.filter(indicator=received, period__is_whole=True).values_list(
            "unit__code", "quantity_minor"
        )
    )
    assert totals["KP"] == 49 and totals["P1"] == 42 and totals["C1"] == 30 and totals["P2"] == 7


def test_row_errors_name_what_to_fix(donation_drive):
    with pytest.raises(ValidationFailed) as refused:
        record_donations(
            drive=donation_drive,
            rows=[
                DonationRow(item="oil", stage="received", unit="W1", quantity=1),
                DonationRow(item="rice", stage="received", unit="NOPE", quantity=1),
                DonationRow(item="rice", stage="received", unit="W1", quantity="1.5"),
                DonationRow(item="rice", stage="distributed", unit="W1", quantity=1),
                DonationRow(item="money", stage="received", unit="W1", quantity=5, estimate=5),
            ],
        )
    fields = [(e.row, e.field) for e in refused.value.errors]
    assert fields == [(1, "item"), (2, "unit"), (3, "quantity"), (4, "recipient"), (5, "estimate")]


def test_donor_kind_totals_and_overview(donation_drive, member):
    record_donations(
        drive=donation_drive,
        rows=[
            gift(30, donor_member="M-1"),
            gift(10, donor_unit="C1"),
            gift(2),
            gift(20, stage="pledged", donor_member="M-1"),
            DonationRow(item="money", stage="received", unit="W2", quantity="100.50"),
        ],
    )
    overview = selectors.donation_overview(
        drive=donation_drive, unit=donation_drive.movement.organiser
    )
    rice = overview.items[0]
    assert (rice.pledged, rice.received, rice.distributed) == (20, 42, 0)
    assert {k.donor_kind: k.received for k in rice.by_donor_kind} == {
        "member": 30,
        "unit": 10,
        "anonymous": 2,
    }
    assert str(overview.items[1].received) == "100.50"
