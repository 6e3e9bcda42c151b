"""Plausibility flags raised by the ingest (ledger.flags): each kind on hand-made reports, at
its threshold (no flag) and just past it (a flag); the rules as data; the reads they cost."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from pacesetter.core.errors import ValidationFailed
from pacesetter.ledger import flags
from pacesetter.ledger.actions import ReportRow, correct_report, record_reports
from pacesetter.ledger.models import Report, ReportFlag
from pacesetter.movements import actions as movement_actions
from pacesetter.units import actions as unit_actions
from tests import factories

MARCH = dt.date(2025, 3, 1)
ALL_OFF = {kind: {"enabled": False} for kind in flags.rules_domain.KINDS}


def record(movement, *rows, **kwargs):
    return record_reports(
        movement=movement,
        rows=[
            ReportRow(unit=unit, indicator=indicator, day=day, quantity=str(quantity))
            for unit, indicator, day, quantity in rows
        ],
        source="api",
        **kwargs,
    )


def flagged(kind, movement=None):
    found = ReportFlag.objects.filter(kind=kind)
    if movement is not None:
        found = found.filter(movement=movement)
    return {(f.unit.code, f.day, f.report_id) for f in found.select_related("unit")}


def only(movement, kind, **settings):
    """Every kind off but `kind` (so the hand-made cases trip nothing else)."""
    flags.set_flag_rules(movement=movement, rules={**ALL_OFF, kind: {"enabled": True, **settings}})


def test_over_capacity_at_and_past_the_factor(movement):
    only(movement, "over_capacity")
    # 3,100 t in March (31 days) is 100 t a day: 1.5 times that is 150 t.
    movement_actions.set_plans(
        movement=movement,
        rows=[movement_actions.PlanRow("W1", "steel", period="March 2025", rated_capacity="3100")],
    )
    record(movement, ("W1", "steel", MARCH, "100"), ("W1", "steel", MARCH, "50"))
    assert flagged("over_capacity") == set()
    # Filed from a German browser, the stored reason is still in the site's language and
    # number format (it is read by every verifier, whatever their language).
    with translation.override("de"):
        result = record(movement, ("W1", "steel", MARCH, "0.1"))
    flag = ReportFlag.objects.get(kind="over_capacity")
    assert flag.report_id == result.report_ids[0]
    assert flag.numbers["value"] == "150.1" and flag.numbers["capacity_per_day"] == "100"
    assert "1.501 times the rated capacity per day (100 t a day, 3,100 t over the 31" in flag.reason
    # Another unit without a capacity is never over it.
    record(movement, ("W2", "steel", MARCH, "100000"))
    assert ReportFlag.objects.filter(kind="over_capacity").count() == 1


def test_jump_at_and_past_three_times_the_trailing_median(movement):
    only(movement, "jump")
    record(movement, *[("W1", "steel", MARCH + dt.timedelta(days=n), "10") for n in range(4)])
    record(movement, ("W1", "steel", MARCH + dt.timedelta(days=4), "100"))  # 4 days: too few
    assert flagged("jump") == set()
    # 5 days of history now (10, 10, 10, 10, 100): median 10.
    record(movement, ("W1", "steel", MARCH + dt.timedelta(days=5), "30"))
    assert flagged("jump") == set()
    result = record(movement, ("W1", "steel", MARCH + dt.timedelta(days=6), "30.1"))
    assert flagged("jump") == {("W1", MARCH + dt.timedelta(days=6), result.report_ids[0])}
    flag = ReportFlag.objects.get(kind="jump")
    assert flag.numbers["median"] == "10" and flag.numbers["days"] == 6


def test_a_jump_on_a_less_is_better_indicator_is_a_fall(movement):
    only(movement, "jump", minimum=2)
    record(movement, *[("W1", "losses", MARCH + dt.timedelta(days=n), "30") for n in range(2)])
    record(movement, ("W1", "losses", MARCH + dt.timedelta(days=2), "10"))
    assert flagged("jump") == set()
    record(movement, ("W1", "losses", MARCH + dt.timedelta(days=3), "9"))
    assert len(flagged("jump")) == 1


def test_block_outlier_at_and_past_the_robust_z(movement, units):
    # Median 10 and MAD 2 among 8, 10, 10, 12 and the outlier: z of 30 is 6.745.
    only(movement, "block_outlier", threshold="6.745")
    unit_actions.create_block(
        code="teams", name="Teams", units=[units[c] for c in ("W1", "W2", "W3", "W4", "C2")]
    )
    second = MARCH + dt.timedelta(days=1)
    for day in (MARCH, second):
        peers = zip(("W2", "W3", "W4", "C2"), (8, 10, 10, 12), strict=True)
        record(movement, *[(code, "steel", day, quantity) for code, quantity in peers])
    record(movement, ("W1", "steel", MARCH, "30"))
    assert flagged("block_outlier") == set()
    result = record(movement, ("W1", "steel", second, "30.1"))
    assert flagged("block_outlier") == {("W1", second, result.report_ids[0])}
    flag = ReportFlag.objects.get(kind="block_outlier")
    assert flag.numbers["block"] == "teams" and flag.numbers["units"] == 5
    assert flag.numbers["z"] == "6.7787" and flag.numbers["median"] == "10"


def test_late_past_seven_days_in_the_movements_time_zone(units):
    today = timezone.localdate(timezone.now())
    movement = factories.movement(
        units["KP"], slug="late", starts_on=today - dt.timedelta(days=30), ends_on=today
    )
    only(movement, "late")
    record(movement, ("W1", "steel", today - dt.timedelta(days=7), "1"))
    assert flagged("late") == set()
    result = record(movement, ("W1", "steel", today - dt.timedelta(days=8), "1"))
    flag = ReportFlag.objects.get(kind="late")
    assert flag.report_id == result.report_ids[0] and flag.numbers["days"] == 8
    assert f"8 days after its day {today - dt.timedelta(days=8)}" in flag.reason
    # A correction is late by nature: never flagged so.
    correct_report(
        report=Report.objects.get(pk=flag.report_id), quantity="2", reason="x", source="api"
    )
    assert ReportFlag.objects.filter(kind="late").count() == 1


def test_many_corrections_past_three_in_the_window(movement):
    only(movement, "corrections")
    ids = record(
        movement, *[("W1", "steel", MARCH + dt.timedelta(days=n), "5") for n in range(4)]
    ).report_ids
    for pk in ids[:3]:
        correct_report(
            report=Report.objects.get(pk=pk), quantity="4", reason="recount", source="api"
        )
    assert flagged("corrections") == set()
    correct_report(
        report=Report.objects.get(pk=ids[3]), quantity="4", reason="recount", source="api"
    )
    flag = ReportFlag.objects.get(kind="corrections")
    assert flag.report_id == ids[3] and flag.numbers["count"] == 4  # the original, corrected


def test_heaping_past_half_the_days(movement):
    only(movement, "heaping")
    values = (10, 20, 30, 40, 11, 12, 13, 14, 15)
    record(
        movement, *[("W1", "steel", MARCH + dt.timedelta(days=n), v) for n, v in enumerate(values)]
    )
    record(movement, ("W1", "steel", MARCH + dt.timedelta(days=9), "60"))  # 5 of 10
    assert flagged("heaping") == set()
    result = record(movement, ("W1", "steel", MARCH + dt.timedelta(days=10), "70"))  # 6 of 11
    assert flagged("heaping") == {("W1", MARCH + dt.timedelta(days=10), result.report_ids[0])}


def test_flags_name_their_report_even_when_the_insert_gives_no_ids(movement):
    only(movement, "jump", minimum=1)
    record(movement, ("W1", "steel", MARCH, "1"), return_ids=False)
    record(movement, ("W1", "steel", MARCH + dt.timedelta(days=1), "9"), return_ids=False)
    flag = ReportFlag.objects.get(kind="jump")
    assert Report.objects.get(pk=flag.report_id).day == MARCH + dt.timedelta(days=1)


def test_a_movement_without_rules_uses_the_defaults(movement):
    """The fixture's days are in 2025, entered now: every report is late by the default."""
    result = record(movement, ("W1", "steel", MARCH, "1"))
    assert flagged("late") == {("W1", MARCH, result.report_ids[0])}
    assert flags.rules_of(movement).by_kind["jump"].threshold == Decimal(3)


def test_rules_are_checked_and_every_bad_setting_named(movement):
    with pytest.raises(ValidationFailed) as caught:
        flags.set_flag_rules(
            movement=movement,
            rules={"heaping": {"threshold": "2"}, "jump": {"window_days": "0.5"}, "x": {}},
        )
    fields = [e.field for e in caught.value.errors]
    assert fields == ["heaping.threshold", "jump", "kind"]
    assert not movement.flag_rules.exists()


def test_flag_reads_are_few_and_none_when_every_kind_is_off(movement, units):
    unit_actions.create_block(code="teams", name="Teams", units=[units["W1"], units["W2"]])
    rows = [("W1", "steel", MARCH, "1"), ("W2", "losses", MARCH, "1")]
    correction = Report.objects.get(pk=record(movement, ("W3", "steel", MARCH, "1")).report_ids[0])

    def statements(*batch):
        with CaptureQueriesContext(connection) as context:
            record(movement, *batch)
        return [q["sql"] for q in context.captured_queries]

    on = statements(*rows)
    flags.set_flag_rules(movement=movement, rules=ALL_OFF)
    off = statements(*[(u, i, d + dt.timedelta(days=1), q) for u, i, d, q in rows])
    # Capacities, the day totals (own and blocks) in one, and the late flags' insert (the
    # ids came back from the insert, or were looked up by key after PostgreSQL's COPY): at
    # most 3 more.
    assert 2 <= len(on) - len(off) <= 3
    # (The ingest itself reads the changed units' blocks, for the blocks' day totals.)
    flagged_tables = (
        "ledger_reportflag",
        "movements_plan",
        "quantity_minor FROM ledger_dailytotal",
    )
    assert not [sql for sql in off if any(t in sql for t in flagged_tables)]
    # A correction reads the corrections within the window: one more.
    flags.set_flag_rules(movement=movement, rules={"corrections": {"enabled": True}})
    with CaptureQueriesContext(connection) as context:
        correct_report(report=correction, quantity="2", reason="recount", source="api")
    assert sum("corrects_id IS NOT NULL" in q["sql"] for q in context.captured_queries) == 1
