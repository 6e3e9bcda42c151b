"""Property: after any sequence of reports (born verified or not), corrections and
verification decisions, the verified totals equal the sum of the verified reports' effective
values, and `rebuild-aggregates --check` finds no difference."""

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
from pacesetter.ledger.models import Report, SubtreePeriodTotal
from pacesetter.ledger.verification import decide
from pacesetter.ledger.verification_state import is_verified_state, latest_decisions
from pacesetter.units.models import Unit
from tests import factories

UNITS = ["W1", "W2", "W3", "W4", "C1"]
INDICATORS = ["steel", "stock"]
START = dt.date(2025, 1, 1)

report_op = st.tuples(
    st.just("report"),
    st.sampled_from(UNITS),
    st.sampled_from(INDICATORS),
    st.integers(0, 60),
    st.integers(0, 300),
    st.booleans(),  # born verified
)
correct_op = st.tuples(st.just("correct"), st.integers(0, 30), st.integers(0, 300))
decide_op = st.tuples(
    st.just("decide"),
    st.integers(0, 30),
    st.sampled_from(["confirm", "correct", "reject"]),
    st.integers(0, 300),
)
step = st.one_of(report_op, correct_op, decide_op, decide_op)


def _apply(movement, steps, user):
    for operation in steps:
        roots = list(
            Report.objects.filter(corrects__isnull=True).order_by("pk").values_list("pk", flat=True)
        )
        with contextlib.suppress(ActionError):
            if operation[0] == "report":
                _, unit, indicator, offset, quantity, verified = operation
                record_reports(
                    movement=movement,
                    rows=[
                        ReportRow(
                            unit=unit,
                            indicator=indicator,
                            day=START + dt.timedelta(days=offset),
                            quantity=quantity,
                        )
                    ],
                    source="api",
                    verified=verified,
                )
            elif not roots:
                continue
            elif operation[0] == "correct":
                _, which, quantity = operation
                record_reports(
                    movement=movement,
                    rows=[
                        ReportRow(
                            corrects=roots[which % len(roots)], quantity=quantity, reason="recount"
                        )
                    ],
                    source="api",
                )
            else:
                _, which, decision, quantity = operation
                root = Report.objects.select_related("movement", "unit").get(
                    pk=roots[which % len(roots)]
                )
                decide(
                    report=root,
                    decision=decision,
                    quantity=quantity,
                    reason="checked on site",
                    decided_by=user,
                )


def _expected_verified(movement):
    """Per indicator: the sum over verified roots of their effective value (sum indicators)."""
    roots = dict(Report.objects.filter(corrects__isnull=True).values_list("pk", "verification"))
    decided = latest_decisions(roots)
    effective = defaultdict(int)
    indicator_of = {}
    for pk, corrects_id, indicator_id, quantity in Report.objects.values_list(
        "pk", "corrects_id", "indicator_id", "quantity_minor"
    ):
        effective[corrects_id or pk] += quantity
        if corrects_id is None:
            indicator_of[pk] = indicator_id
    expected = defaultdict(int)
    for pk, stored in roots.items():
        if is_verified_state(decided.get(pk, stored)):
            expected[indicator_of[pk]] += effective[pk]
    return expected


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_verified_totals_equal_the_verified_reports(movement, steps):
    user = factories.UserFactory(username="verifier-of-all", is_superuser=True)
    with transaction.atomic():
        _apply(movement, steps, user)
        assert aggregates.rebuild() == []
        expected = _expected_verified(movement)
        whole = movement.periods.get(is_whole=True)
        root = Unit.objects.get(code="KP")
        steel = movement.indicators.get(code="steel")
        stored = SubtreePeriodTotal.objects.filter(unit=root, indicator=steel, period=whole).first()
        assert (stored.verified_minor if stored else 0) == expected.get(steel.pk, 0)
        transaction.set_rollback(True)
