"""BlockDailyTotal: a block's members' subtree totals per indicator per day, kept at ingest,
at moves and when the block's members change, and checked by the rebuild."""

import pytest

from pacesetter.ledger import aggregates
from pacesetter.ledger.actions import ReportRow, correct_report, record_reports
from pacesetter.ledger.models import BlockDailyTotal, Report, SubtreeDailyTotal
from pacesetter.units import actions as unit_actions
from pacesetter.units.models import Block

pytestmark = pytest.mark.django_db

DAY = "2025-03-10"
LATER = "2025-03-12"


def ingest(movement, *rows):
    return record_reports(movement=movement, rows=list(rows), source="api")


def kept(block: Block) -> dict:
    return {
        (indicator, str(day)): (quantity, entries)
        for indicator, day, quantity, entries in BlockDailyTotal.objects.filter(
            block=block
        ).values_list("indicator__code", "day", "quantity_minor", "entries")
    }


def summed(block: Block) -> dict:
    """The definition: the members' subtree totals, summed."""
    found: dict = {}
    for indicator, day, quantity, entries in SubtreeDailyTotal.objects.filter(
        unit__in=block.units.all()
    ).values_list("indicator__code", "day", "quantity_minor", "entries"):
        before = found.get((indicator, str(day)), (0, 0))
        found[(indicator, str(day))] = (before[0] + quantity, before[1] + entries)
    return found


def test_ingest_corrections_moves_and_members_keep_the_blocks_totals(movement, units):
    # A block of a county and two workteams, one of them inside that county: it counts twice,
    # as the members' subtree totals do. Another block of one workteam.
    wide = unit_actions.create_block(
        code="wide", name="Wide", units=[units["C1"], units["W1"], units["W4"]]
    )
    narrow = unit_actions.create_block(code="narrow", name="Narrow", units=[units["W3"]])
    ingest(
        movement,
        ReportRow(unit="W1", indicator="steel", day=DAY, quantity="12.5"),
        ReportRow(unit="W2", indicator="steel", day=DAY, quantity="2"),
        ReportRow(unit="W3", indicator="steel", day=DAY, quantity="7"),
        ReportRow(unit="W4", indicator="losses", day=LATER, quantity="3"),
        ReportRow(unit="W4", indicator="stock", day=DAY, quantity="40"),
        ReportRow(unit="W4", indicator="stock", day=LATER, quantity="30"),
    )
    assert kept(wide) == summed(wide)
    assert kept(wide)[("steel", DAY)] == (125 * 2 + 20, 3)
    assert kept(narrow) == {("steel", DAY): (70, 1)}
    original = Report.objects.get(unit=units["W2"], indicator__code="steel")
    correct_report(report=original, quantity="5", reason="miscounted", source="api")
    assert kept(wide)[("steel", DAY)] == (125 * 2 + 50, 3)
    # W3 moves under C1: the county (a member of wide) gains it.
    unit_actions.move_unit(unit=units["W3"], new_parent=units["C1"])
    assert kept(wide) == summed(wide) and kept(wide)[("steel", DAY)] == (125 * 2 + 50 + 70, 4)
    assert kept(narrow) == summed(narrow)
    # The members change: the block's rows are rebuilt in the same action.
    unit_actions.set_block_units(block=wide, units=[units["W4"], units["W3"]])
    assert kept(wide) == summed(wide) and kept(wide)[("steel", DAY)] == (70, 1)
    units["W1"].blocks.add(narrow)  # the other side of the membership, too
    assert kept(narrow) == summed(narrow) == {("steel", DAY): (195, 2)}
    units["W1"].blocks.clear()
    assert kept(narrow) == summed(narrow) == {("steel", DAY): (70, 1)}
    assert aggregates.rebuild() == []


def test_the_rebuild_finds_and_fixes_a_wrong_block_total(movement, units):
    block = unit_actions.create_block(code="pair", name="Pair", units=[units["W1"], units["W2"]])
    ingest(
        movement,
        ReportRow(unit="W1", indicator="steel", day=DAY, quantity="1"),
        ReportRow(unit="W2", indicator="steel", day=DAY, quantity="2"),
    )
    BlockDailyTotal.objects.filter(block=block).update(quantity_minor=1)
    (difference,) = aggregates.rebuild()
    assert difference.table == BlockDailyTotal._meta.db_table
    assert difference.stored[0] == 1 and difference.ledger[0] == 30
    aggregates.rebuild(fix=True)
    assert aggregates.rebuild() == [] and kept(block) == {("steel", DAY): (30, 2)}


def test_a_block_made_after_the_reports_starts_with_their_totals(movement, units):
    ingest(movement, ReportRow(unit="W4", indicator="steel", day=DAY, quantity="4"))
    block = unit_actions.create_block(code="late", name="Late", units=[units["P2"]])
    assert kept(block) == {("steel", DAY): (40, 1)}
