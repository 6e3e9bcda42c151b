"""Property: flags never block an ingest and never change a total. The same sequence of
reports and corrections sent to a movement whose every flag is on (with capacities and a
block to trip them) and to one whose every flag is off gives the same results and the same
aggregates."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacesetter.core.errors import ActionError
from pacesetter.ledger import flags
from pacesetter.ledger.actions import record_reports
from pacesetter.ledger.models import (
    DailyTotal,
    Report,
    ReportFlag,
    SubtreeDailyTotal,
    SubtreePeriodTotal,
)
from pacesetter.movements import actions as movement_actions
from pacesetter.units import actions as unit_actions
from tests import factories
from tests.ledger.test_properties import report_rows

UNITS = ["W1", "W2", "W3", "W4", "C2"]
INDICATORS = ["steel", "stock", "losses"]
START = dt.date(2025, 3, 1)
INDICATOR_SPECS = (
    {"code": "steel", "name": "Steel", "unit_of_measure": "t", "decimal_places": 1},
    {"code": "stock", "name": "Stock", "unit_of_measure": "t", "aggregation": "latest"},
    {"code": "losses", "name": "Losses", "unit_of_measure": "t", "direction": "less"},
)

report_op = st.tuples(
    st.just("report"),
    st.sampled_from(UNITS),
    st.sampled_from(INDICATORS),
    st.integers(0, 40),
    # Round numbers, repeats and the odd huge one: the flags have something to find.
    st.one_of(st.integers(0, 60), st.sampled_from([100, 1000, 50_000])),
    st.integers(0, 8),
)
correct_op = st.tuples(st.just("correct"), st.integers(0, 50), st.integers(0, 500))
batch = st.lists(st.one_of(report_op, report_op, correct_op), min_size=1, max_size=5)


def _movements(units):
    made = []
    for slug in ("flags-on", "flags-off"):
        movement = factories.movement(
            units["KP"], slug=slug, indicators=INDICATOR_SPECS, monthly=True, launch=False
        )
        movement_actions.set_plans(
            movement=movement,
            rows=[
                movement_actions.PlanRow(code, "steel", period="March 2025", rated_capacity="310")
                for code in UNITS
            ],
        )
        made.append(movement_actions.launch_movement(movement=movement))
    on, off = made
    flags.set_flag_rules(
        movement=on,
        rules={
            "jump": {"minimum": 1},
            "block_outlier": {"minimum": 3, "threshold": "1"},
            "heaping": {"minimum": 2},
            "corrections": {"threshold": "1"},
        },
    )
    flags.set_flag_rules(
        movement=off, rules={kind: {"enabled": False} for kind in flags.rules_domain.KINDS}
    )
    unit_actions.create_block(code="peers", name="Peers", units=[units[c] for c in UNITS])
    return on, off


def _send(movement, operations, originals):
    rows = report_rows(operations, originals, start=START, key_space="k", reason="again")
    try:
        result = record_reports(movement=movement, rows=rows, source="api")
    except ActionError as refused:
        return ("refused", type(refused).__name__, [(e.row, e.field) for e in refused.errors])
    return ("recorded", result.created, result.replayed, result.statuses)


def _aggregates(movement):
    code = dict(movement.indicators.values_list("pk", "code"))
    period = dict(movement.periods.values_list("pk", "name"))
    found = {}
    for model, key in ((DailyTotal, "day"), (SubtreeDailyTotal, "day")):
        found[model.__name__] = sorted(
            (unit, code[indicator], day, *values)
            for unit, indicator, day, *values in model.objects.filter(
                indicator_id__in=code
            ).values_list(
                "unit_id", "indicator_id", key, "quantity_minor", "verified_minor", "entries"
            )
        )
    found["period"] = sorted(
        (unit, code[indicator], period[p], *values)
        for unit, indicator, p, *values in SubtreePeriodTotal.objects.filter(
            indicator_id__in=code
        ).values_list("unit_id", "indicator_id", "period_id", "quantity_minor", "entries")
    )
    return found


@pytest.mark.django_db
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(batch, min_size=1, max_size=6))
def test_flags_never_block_an_ingest_nor_change_a_total(units, steps):
    with transaction.atomic():
        on, off = _movements(units)
        for operations in steps:
            outcomes = []
            for movement in (on, off):
                originals = list(
                    Report.objects.filter(movement=movement, corrects__isnull=True)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                outcomes.append(_send(movement, operations, originals))
            assert outcomes[0] == outcomes[1]
        assert _aggregates(on) == _aggregates(off)
        assert not ReportFlag.objects.filter(movement=off).exists()
        transaction.set_rollback(True)
