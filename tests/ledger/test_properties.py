"""Property: for any sequence of reports, corrections, retried submissions and unit moves, the
aggregates equal a recomputation from the ledger, and every subtree total equals the unit's
own total plus the subtree totals of its children."""

import contextlib
import datetime as dt
from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacesetter.core.errors import ActionError
from pacesetter.ledger import aggregates
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import DailyTotal, Report, SubtreeDailyTotal, SubtreePeriodTotal
from pacesetter.units import actions as unit_actions
from pacesetter.units.models import Unit

UNITS = ["KP", "P1", "P2", "C1", "C2", "C3", "W1", "W2", "W3", "W4"]
INDICATORS = ["steel", "stock", "losses", "balance"]
START = dt.date(2025, 1, 1)

report_op = st.tuples(
    st.just("report"),
    st.sampled_from(UNITS),
    st.sampled_from(INDICATORS),
    st.integers(0, 120),  # day offset: spans several monthly periods
    st.integers(0, 500),
    st.integers(0, 6),  # key: small range so keys repeat (retries and conflicts)
)
correct_op = st.tuples(st.just("correct"), st.integers(0, 50), st.integers(0, 500))
move_op = st.tuples(st.just("move"), st.sampled_from(UNITS[1:]), st.sampled_from(UNITS))
batch = st.lists(st.one_of(report_op, report_op, correct_op), min_size=1, max_size=4)
step = st.one_of(batch, st.tuples(move_op))


def report_rows(operations, originals, *, start, key_space, reason="recount"):
    """A batch drawn by hypothesis as ledger rows: ("report", unit, indicator, day offset,
    quantity, key) tuples, and ("correct", which, quantity) tuples correcting one of
    `originals` (left out while there are none)."""
    rows = []
    for operation in operations:
        if operation[0] == "report":
            _, unit, indicator, offset, quantity, key = operation
            rows.append(
                ReportRow(
                    unit=unit,
                    indicator=indicator,
                    day=start + dt.timedelta(days=offset),
                    quantity=quantity,
                    idempotency_key=f"{key_space}-{key}",
                )
            )
        elif originals:
            _, which, quantity = operation
            rows.append(
                ReportRow(
                    corrects=originals[which % len(originals)], quantity=quantity, reason=reason
                )
            )
    return rows


def _apply(movement, steps, key_space):
    for operations in steps:
        if operations[0][0] == "move":
            _, code, parent = operations[0]
            with contextlib.suppress(ActionError):
                unit_actions.move_unit(
                    unit=Unit.objects.get(code=code), new_parent=Unit.objects.get(code=parent)
                )
            continue
        report_ids = list(Report.objects.filter(corrects__isnull=True).values_list("pk", flat=True))
        rows = report_rows(operations, report_ids, start=START, key_space=key_space)
        # Conflicts and no-op corrections are refused whole; the property must still hold.
        with contextlib.suppress(ActionError):
            record_reports(movement=movement, rows=rows, source="api", verified=len(rows) % 2 == 0)


def _check_subtree_sums():
    own = defaultdict(int)
    for unit_id, indicator_id, day, quantity in DailyTotal.objects.values_list(
        "unit_id", "indicator_id", "day", "quantity_minor"
    ):
        own[(unit_id, indicator_id, day)] += quantity
    subtree = {
        (u, i, d): q
        for u, i, d, q in SubtreeDailyTotal.objects.values_list(
            "unit_id", "indicator_id", "day", "quantity_minor"
        )
    }
    parent_of = dict(Unit.objects.values_list("pk", "parent_id"))
    sum_indicators = set(
        Report.objects.none()
        .model._meta.get_field("indicator")
        .related_model.objects.filter(aggregation="sum")
        .values_list("pk", flat=True)
    )
    expected = defaultdict(int)
    for (unit_id, indicator_id, day), quantity in subtree.items():
        if indicator_id in sum_indicators and parent_of[unit_id] is not None:
            expected[(parent_of[unit_id], indicator_id, day)] += quantity
    for (unit_id, indicator_id, day), quantity in own.items():
        if indicator_id in sum_indicators:
            expected[(unit_id, indicator_id, day)] += quantity
    for key, quantity in subtree.items():
        if key[1] in sum_indicators:
            assert quantity == expected.get(key, 0), key
    for key, quantity in expected.items():
        assert subtree.get(key, 0) == quantity, key


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_aggregates_always_equal_the_ledger(movement, steps):
    with transaction.atomic():
        _apply(movement, steps, key_space="k")
        assert aggregates.rebuild() == []
        _check_subtree_sums()
        whole = movement.periods.get(is_whole=True)
        root = Unit.objects.get(code="KP")
        for indicator in movement.indicators.filter(aggregation="sum"):
            ledger_total = sum(
                Report.objects.filter(indicator=indicator).values_list("quantity_minor", flat=True)
            )
            stored = SubtreePeriodTotal.objects.filter(
                unit=root, indicator=indicator, period=whole
            ).first()
            assert (stored.quantity_minor if stored else 0) == ledger_total
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.lists(report_op, min_size=1, max_size=4), min_size=1, max_size=6))
def test_retrying_every_batch_changes_nothing(movement, steps):
    with transaction.atomic():
        _apply(movement, steps, key_space="r")
        before = sorted(
            SubtreePeriodTotal.objects.values_list(
                "unit_id", "indicator_id", "period_id", "quantity_minor", "entries"
            )
        )
        count = Report.objects.count()
        _apply(movement, steps, key_space="r")
        assert Report.objects.count() == count
        after = sorted(
            SubtreePeriodTotal.objects.values_list(
                "unit_id", "indicator_id", "period_id", "quantity_minor", "entries"
            )
        )
        assert after == before
        transaction.set_rollback(True)
