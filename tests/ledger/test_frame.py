"""The ingest's per-process frame of a launched movement (ledger.frame): read once, and never
the cause of a wrong answer when the tree moves under it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import Report
from pacesetter.units.actions import move_unit
from pacesetter.units.models import Unit
from tests import factories


def test_a_scope_unit_that_moves_still_takes_reports_under_its_new_path(units):
    # A movement scoped to C1 (organised by C1: its scope is the organiser).
    movement = factories.movement(units["C1"], slug="c1-only")
    day = "2025-03-10"
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W1", indicator="steel", day=day, quantity="1")],
        source="api",
    )  # the frame is read and kept for this process here
    move_unit(unit=units["C1"], new_parent=units["P2"])
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W1", indicator="steel", day=day, quantity="2")],
        source="api",
    )
    assert Report.objects.filter(movement=movement).count() == 2
    assert Unit.objects.get(code="W1").path.startswith(Unit.objects.get(code="P2").path)


def test_indicators_and_periods_are_read_once_per_process(units):
    movement = factories.movement(units["KP"], slug="frame", monthly=True)
    rows = [ReportRow(unit="W1", indicator="steel", day="2025-03-10", quantity="1")]
    record_reports(movement=movement, rows=rows, source="api")
    with CaptureQueriesContext(connection) as later:
        for _ in range(3):
            record_reports(movement=movement, rows=rows, source="api")
    tables = " ".join(q["sql"] for q in later.captured_queries)
    assert "movements_indicator" not in tables and "movements_period" not in tables
    assert Report.objects.filter(movement=movement).count() == 4
