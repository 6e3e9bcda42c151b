"""Whatever the order of receipts and distributions, in one batch or many, no unit ever
holds less than nothing of an item, and the balances equal the entries."""

from collections import defaultdict

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacesetter.core.errors import ValidationFailed
from pacesetter.drives import domain
from pacesetter.drives.actions import DonationRow, record_donations
from pacesetter.drives.models import DonationBalance, DonationEntry

operations = st.lists(
    st.tuples(
        st.sampled_from(["W1", "W2", "C1"]),
        st.sampled_from(["rice", "money"]),
        st.sampled_from(["received", "distributed"]),
        st.integers(min_value=1, max_value=20),
    ),
    max_size=25,
)


@given(entries=operations)
def test_domain_never_goes_negative(entries):
    balances, errors = domain.apply_batch({}, [((u, i), s, q) for u, i, s, q in entries])
    assert all(b.held >= 0 for b in balances.values())
    refused = {number for number, _exc in errors}
    expected: dict = defaultdict(int)
    for number, (unit, item, stage, quantity) in enumerate(entries, start=1):
        if number in refused:
            continue
        expected[(unit, item)] += quantity if stage == "received" else -quantity
    assert {k: b.held for k, b in balances.items()} == {
        k: v for k, v in expected.items() if (k in balances)
    }


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=st.lists(operations, min_size=1, max_size=4))
def test_balances_never_negative_whatever_the_order(donation_drive, batches):
    with transaction.atomic():
        for batch in batches:
            rows = [
                DonationRow(
                    item=item,
                    stage=stage,
                    unit=unit,
                    quantity=quantity,
                    recipient_name="" if stage == "received" else "Hospital",
                )
                for unit, item, stage, quantity in batch
            ]
            try:
                record_donations(drive=donation_drive, rows=rows)
            except ValidationFailed as exc:
                assert {e.code for e in exc.errors} == {"insufficient_balance"}
        for balance in DonationBalance.objects.all():
            assert balance.received_minor - balance.distributed_minor >= 0
        sums: dict = defaultdict(lambda: [0, 0])
        for entry in DonationEntry.objects.all():
            column = 0 if entry.stage == "received" else 1
            sums[(entry.unit_id, entry.item_id)][column] += entry.quantity_minor
        assert {
            (b.unit_id, b.item_id): [b.received_minor, b.distributed_minor]
            for b in DonationBalance.objects.all()
        } == dict(sums)
        transaction.set_rollback(True)
