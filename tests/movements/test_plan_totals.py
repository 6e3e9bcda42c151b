"""Plans roll up through the tree: kept current by each change, equal to a fresh computation."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacesetter.figures import selectors
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions, domain, plan_totals
from pacesetter.movements.actions import PlanRow
from pacesetter.units import actions as unit_actions
from tests import factories

# ─── pure: the incremental roll-up equals the fresh one after any sequence of changes ───

PARENTS = {1: None, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 4, 8: 7, 9: 8}  # five levels deep


def _lineage(parents, unit):
    chain = []
    while unit is not None:
        chain.append(unit)
        unit = parents[unit]
    return list(reversed(chain))


def _live(rows):
    return {
        k: (t.planned, t.below, t.children_planned)
        for k, t in rows.items()
        if t.planned is not None or t.children_planned
    }


changes = st.lists(
    st.one_of(
        st.tuples(
            st.just("plan"),
            st.sampled_from(sorted(PARENTS)),
            st.sampled_from(["a", "b"]),
            st.none() | st.integers(0, 1000),
        ),
        st.tuples(
            st.just("move"), st.sampled_from(sorted(PARENTS)), st.sampled_from(sorted(PARENTS))
        ),
    ),
    max_size=25,
)


@given(changes)
@settings(max_examples=300, deadline=None)
def test_incremental_roll_up_equals_the_fresh_one(steps):
    parents = dict(PARENTS)
    own: dict = {}
    stored: dict = {}
    for step in steps:
        if step[0] == "plan":
            _, unit, key, planned = step
            rollup = domain.RollUp(own=own, totals=stored)
            rollup.set_own(
                unit=unit,
                key=key,
                planned=planned,
                ancestors=reversed(_lineage(parents, unit)[:-1]),
            )
            own[(unit, key)] = planned
        else:
            _, unit, new_parent = step
            if unit in _lineage(parents, new_parent) or parents[unit] == new_parent:
                continue  # a cycle, or no move: refused by the tree
            old = _lineage(parents, unit)[:-1]
            parents[unit] = new_parent
            rollup = domain.RollUp(own=own, totals=stored)
            rollup.move(
                unit=unit, keys=["a", "b"], old=old[::-1], new=_lineage(parents, unit)[:-1][::-1]
            )
        stored = rollup.totals
        assert _live(stored) == _live(domain.roll_up(parents=parents, own=own))


def test_a_plan_above_covers_the_plans_below_it():
    own = {(4, "a"): 30, (5, "a"): 20, (2, "a"): 100, (6, "a"): 7}
    totals = domain.roll_up(parents=PARENTS, own=own)
    assert totals[(2, "a")].planned == 100  # its own, not 100 + 50
    assert totals[(2, "a")].below == 50
    assert totals[(1, "a")].planned == 107 and totals[(1, "a")].children_planned == 2
    assert (7, "a") not in totals


# ─── with the database: plans only on the leaves of a five-level tree ───


@pytest.fixture
def five_levels(db):
    return factories.tree(
        {
            "N": {
                "P1": {"C1": {"E1": {"T1": {}, "T2": {}}, "E2": {"T3": {}}}},
                "P2": {"C2": {"E3": {"T4": {}}}},
            }
        }
    )


def test_root_fulfilment_from_leaf_plans_equals_the_hand_computation(five_levels):
    movement = factories.movement(five_levels["N"])
    actions.set_plans(
        movement=movement,
        rows=[
            PlanRow(code, "steel", planned)
            for code, planned in [("T1", "10"), ("T2", "30.5"), ("T3", "40"), ("T4", "19.5")]
        ],
    )
    record_reports(
        movement=movement,
        rows=[
            ReportRow(unit=code, indicator="steel", day="2025-03-10", quantity=q)
            for code, q in [("T1", "20"), ("T3", "40"), ("T4", "25.7")]
        ],
        source="api",
    )
    (root,) = selectors.unit_figures(unit=five_levels["N"], movement=movement)
    # By hand: plans 10 + 30.5 + 40 + 19.5 = 100; output 20 + 40 + 25.7 = 85.7 → 85.7%.
    assert root.plan is None and root.planned == Decimal("100.0") and root.planned_below
    assert root.children_planned == Decimal("100.0")
    assert root.fulfilment == Decimal("85.7")
    assert root.pace is not None and root.pace.period_days == 365
    (province,) = selectors.unit_figures(unit=five_levels["P1"], movement=movement)
    assert (
        province.planned == Decimal("80.5")
        and province.fulfilment == Decimal("60") / Decimal("80.5") * 100
    )
    children = selectors.children_figures(
        unit=five_levels["N"],
        indicators=list(movement.indicators.all()),
        period=root.period,
        as_of=root.as_of,
    )
    assert {c.unit.code: c.planned for c in children[root.indicator.pk]} == {
        "P1": Decimal("80.5"),
        "P2": Decimal("19.5"),
    }
    # A plan set at a level stands for its subtree: shown beside the sum of the plans below.
    actions.set_plans(movement=movement, rows=[PlanRow("N", "steel", "120")])
    (root,) = selectors.unit_figures(unit=five_levels["N"], movement=movement)
    assert root.planned == Decimal("120.0") and not root.planned_below
    assert root.children_planned == Decimal("100.0")
    assert plan_totals.stored() == plan_totals.recomputed()


def test_a_plan_change_and_a_move_keep_the_roll_ups_equal_to_a_fresh_computation(five_levels):
    movement = factories.movement(five_levels["N"], monthly=True)
    actions.set_plans(
        movement=movement,
        rows=[
            PlanRow("T1", "steel", "10"),
            PlanRow("T4", "steel", "5"),
            PlanRow("E2", "steel", "7"),
        ],
    )
    actions.set_plans(
        movement=movement, rows=[PlanRow("T1", "steel", "12"), PlanRow("T3", "steel", "1")]
    )
    unit_actions.move_unit(unit=five_levels["E1"], new_parent=five_levels["C2"])
    assert plan_totals.stored() == plan_totals.recomputed()
    (p2,) = selectors.unit_figures(unit=five_levels["P2"], movement=movement)
    assert p2.planned == Decimal("17.0")  # T1's 12 moved in with E1, beside T4's 5
    (p1,) = selectors.unit_figures(unit=five_levels["P1"], movement=movement)
    assert p1.planned == Decimal("7.0")  # E2's own plan, not E2's plus T3's
