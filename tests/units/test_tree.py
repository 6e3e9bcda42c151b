import pytest
from django.db import DatabaseError, IntegrityError, transaction

from pacesetter.core.errors import StateError, ValidationFailed
from pacesetter.ledger import aggregates
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import SubtreePeriodTotal
from pacesetter.movements import plan_totals
from pacesetter.movements.actions import PlanRow, set_plans
from pacesetter.units import actions, selectors
from pacesetter.units.actions import UnitRow
from pacesetter.units.models import Unit
from tests import factories


def codes(queryset):
    return sorted(u.code for u in queryset)


def test_subtree_and_ancestors_take_one_query_whatever_the_depth(units, django_assert_num_queries):
    deep = units["W1"]
    for level in range(12):
        deep = factories.unit(f"D{level}", deep)
    with django_assert_num_queries(1):
        assert len(list(selectors.subtree(units["KP"]))) == 10 + 12
    with django_assert_num_queries(1):
        chain = [u.code for u in selectors.ancestors(deep)]
    assert chain == ["KP", "P1", "C1", "W1", *[f"D{n}" for n in range(11)]]
    assert codes(selectors.subtree(units["C1"], include_self=False)) == sorted(
        ["W1", "W2", *[f"D{n}" for n in range(12)]]
    )


def test_move_rewrites_paths_and_shifts_subtree_totals(movement, units):
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit="W1", indicator="steel", day="2025-03-10", quantity="5"),
            ReportRow(unit="C1", indicator="steel", day="2025-03-11", quantity="2"),
        ],
        source="api",
    )
    moved = actions.move_unit(unit=units["C1"], new_parent=units["P2"])
    assert moved.parent.code == "P2" and moved.depth == 2
    w1 = Unit.objects.get(code="W1")
    assert (
        w1.path == f"{units['KP'].path}{units['P2'].pk}/{units['C1'].pk}/{w1.pk}/" and w1.depth == 3
    )
    totals = dict(
        SubtreePeriodTotal.objects.filter(
            period__is_whole=True, indicator__code="steel"
        ).values_list("unit__code", "quantity_minor")
    )
    assert totals == {"KP": 70, "P1": 0, "P2": 70, "C1": 70, "W1": 50}
    assert aggregates.rebuild() == []


def test_a_root_with_reports_and_plans_moves_under_another_root(movement, units):
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit="W1", indicator="steel", day="2025-03-10", quantity="5"),
            ReportRow(unit="W4", indicator="steel", day="2025-03-11", quantity="2"),
        ],
        source="api",
    )
    set_plans(movement=movement, rows=[PlanRow("W1", "steel", "40"), PlanRow("C3", "steel", "9")])
    other_root = factories.unit("R2", kind="country")

    moved = actions.move_unit(unit=units["KP"], new_parent=other_root)

    assert moved.parent == other_root and moved.depth == 1
    w4 = Unit.objects.get(code="W4")
    assert w4.depth == 4 and w4.path.startswith(f"{other_root.path}{units['KP'].pk}/")
    whole = SubtreePeriodTotal.objects.filter(period__is_whole=True, indicator__code="steel")
    assert dict(whole.values_list("unit__code", "quantity_minor"))["R2"] == 70
    assert aggregates.rebuild() == []
    assert plan_totals.rebuild() == []


@pytest.mark.parametrize("target", ["C1", "W1"])
def test_moving_into_own_subtree_is_refused(units, target):
    with pytest.raises(StateError, match="Cannot move C1 under"):
        actions.move_unit(unit=units["C1"], new_parent=units[target])
    assert Unit.objects.get(code="C1").parent.code == "P1"


def test_database_refuses_a_cycle_too(units):
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Unit.objects.filter(pk=units["P1"].pk).update(parent=units["W1"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.filter(pk=units["P1"].pk).update(parent=units["P1"])


def test_unit_with_history_is_archived_never_deleted(movement, units):
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W2", indicator="steel", day="2025-03-10", quantity="1")],
        source="api",
    )
    with pytest.raises(StateError, match="has history"):
        actions.delete_unit(unit=units["W2"])
    with pytest.raises(StateError, match="has units under it"):
        actions.delete_unit(unit=units["C1"])
    actions.archive_unit(unit=units["C1"])
    assert set(Unit.objects.filter(archived=True).values_list("code", flat=True)) == {
        "C1",
        "W1",
        "W2",
    }
    actions.delete_unit(unit=units["W4"])
    assert not Unit.objects.filter(code="W4").exists()


def test_import_units_in_any_order_all_or_nothing(db):
    result = actions.import_units(
        rows=[
            UnitRow("T1", "Team one", "workteam", "E1", 12),
            UnitRow("E1", "Steel works", "enterprise", "R", 800),
            UnitRow("R", "Root", "country"),
        ]
    )
    assert (result.created, sorted(result.kinds_created)) == (
        3,
        ["country", "enterprise", "workteam"],
    )
    assert [u.code for u in selectors.ancestors(Unit.objects.get(code="T1"))] == ["R", "E1"]
    with pytest.raises(ValidationFailed) as caught:
        actions.import_units(
            rows=[
                UnitRow("T2", "Team two", "workteam", "E1", "many"),
                UnitRow("T3", "", "workteam", "NOPE"),
                UnitRow("T2", "again", "workteam", "E1"),
                UnitRow("A", "a", "x", "B"),
                UnitRow("B", "b", "x", "A"),
            ]
        )
    assert [(e.row, e.field, e.code) for e in caught.value.errors] == [
        (1, "headcount", "invalid"),
        (2, "name", "required"),
        (3, "code", "duplicate"),
        (2, "parent_code", "not_found"),
    ]
    assert not Unit.objects.filter(code__in=["T2", "T3"]).exists()
    rerun = actions.import_units(
        rows=[
            UnitRow("R", "Root", "country"),
            UnitRow("E1", "Steel works No. 1", "enterprise", "R", 800),
        ]
    )
    assert (rerun.created, rerun.updated, rerun.unchanged) == (0, 1, 1)


def test_import_refuses_a_cycle_within_the_file(db):
    with pytest.raises(ValidationFailed) as caught:
        actions.import_units(rows=[UnitRow("A", "a", "x", "B"), UnitRow("B", "b", "x", "A")])
    assert {e.code for e in caught.value.errors} == {"cycle"}
    assert not Unit.objects.exists()


def test_blocks_hold_units_across_the_tree(units):
    block = actions.create_block(
        code="steel-works", name="Steel works", units=[units["W1"], units["W4"]]
    )
    other = actions.create_block(code="big", name="Big", units=[units["W1"]])
    assert set(units["W1"].blocks.values_list("code", flat=True)) == {block.code, other.code}
    with pytest.raises(ValidationFailed):
        actions.create_block(code="big", name="Again")


def test_create_unit_refuses_an_existing_code(units):
    with pytest.raises(ValidationFailed, match="already in use"):
        actions.create_unit(code="W1", name="Renamed", kind="workteam", parent=units["C1"])
    assert Unit.objects.get(code="W1").name == "Unit W1"


def test_member_ids_are_unique_with_a_clear_error(units):
    actions.create_member(unit=units["W1"], full_name="Kim", external_id="M-9")
    with pytest.raises(ValidationFailed) as caught:
        actions.create_member(unit=units["W2"], full_name="Pak", external_id="M-9")
    assert caught.value.errors[0].field == "external_id"


def test_import_checks_lengths_kinds_headcounts_and_archived_parents(units):
    actions.archive_unit(unit=units["C3"])
    with pytest.raises(ValidationFailed) as caught:
        actions.import_units(
            rows=[
                UnitRow("N1", "x" * 201, "workteam", "C1"),
                UnitRow("N2", "Team", "Work team!", "C1"),
                UnitRow("N3", "Team", "workteam", "C1", 3_000_000_000),
                UnitRow("N4", "Team", "workteam", "C3"),
            ]
        )
    assert [(e.row, e.field, e.code) for e in caught.value.errors] == [
        (1, "name", "too_long"),
        (2, "kind", "invalid"),
        (3, "headcount", "invalid"),
        (4, "parent_code", "archived"),
    ]
