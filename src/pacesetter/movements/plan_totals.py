"""The plan roll-ups (`PlanTotal`) kept current in the transaction of each change.

A plan change touches the changed unit's row and its ancestors' rows up to the first ancestor
with a plan of its own (which its effective plan does not follow); a unit move takes the moved
unit's effective plans out of its old ancestors and into its new ones. Either way: one read of
the rows and own plans involved, one upsert, whatever the batch (see movements.domain).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Q

from pacesetter.units.models import Unit

from . import domain
from .models import Plan, PlanTotal

Row = tuple[int, tuple[int, int]]  # (unit id, (indicator id, period id))


def _load(unit_ids: Iterable[int], keys: set[tuple[int, int]]) -> domain.RollUp:
    unit_ids = set(unit_ids)
    indicators = {indicator for indicator, _ in keys}
    periods = {period for _, period in keys}
    own = {
        (unit, (indicator, period)): planned
        for unit, indicator, period, planned in Plan.objects.filter(
            unit_id__in=unit_ids, indicator_id__in=indicators, period_id__in=periods
        ).values_list("unit_id", "indicator_id", "period_id", "planned_minor")
        if (indicator, period) in keys
    }
    totals = {
        (unit, (indicator, period)): domain.Totals(planned, below, children)
        for unit, indicator, period, planned, below, children in PlanTotal.objects.filter(
            unit_id__in=unit_ids, indicator_id__in=indicators, period_id__in=periods
        ).values_list(
            "unit_id",
            "indicator_id",
            "period_id",
            "planned_minor",
            "below_minor",
            "children_planned",
        )
        if (indicator, period) in keys
    }
    return domain.RollUp(own=own, totals=totals)


def _save(rollup: domain.RollUp) -> None:
    # Sorted by key, so concurrent writers lock rows in one order.
    rows = [
        PlanTotal(
            unit_id=unit,
            indicator_id=key[0],
            period_id=key[1],
            planned_minor=totals.planned,
            below_minor=totals.below,
            children_planned=totals.children_planned,
        )
        for (unit, key), totals in sorted(
            ((k, rollup.totals[k]) for k in rollup.dirty), key=lambda item: item[0]
        )
    ]
    PlanTotal.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["unit", "indicator", "period"],
        update_fields=["planned_minor", "below_minor", "children_planned"],
        batch_size=1000,
    )


def plans_changed(changes: Sequence[tuple[list[int], int, tuple[int, int], int | None]]) -> None:
    """Call *before* the plans are written: each change is (the unit's lineage ids from the root
    down to the unit, unit id, (indicator id, period id), the new planned quantity)."""
    if not changes:
        return
    keys = {key for _, _, key, _ in changes}
    rollup = _load({unit for lineage, *_ in changes for unit in lineage}, keys)
    for lineage, unit, key, planned in changes:
        rollup.set_own(unit=unit, key=key, planned=planned, ancestors=reversed(lineage[:-1]))
    _save(rollup)


def shift_subtree(*, unit, old_ancestor_ids: list[int], new_ancestor_ids: list[int]) -> None:
    """Receiver of `units.signals.unit_moved`, in the move's transaction."""
    keys = {
        (indicator, period)
        for indicator, period in PlanTotal.objects.filter(
            unit_id=unit.pk, planned_minor__isnull=False
        ).values_list("indicator_id", "period_id")
    }
    if not keys:
        return
    rollup = _load([unit.pk, *old_ancestor_ids, *new_ancestor_ids], keys)
    rollup.move(
        unit=unit.pk,
        keys=sorted(keys),
        old=list(reversed(old_ancestor_ids)),
        new=list(reversed(new_ancestor_ids)),
    )
    _save(rollup)


def recomputed(movement_ids: Iterable[int] | None = None) -> dict[Row, domain.Totals]:
    """Every roll-up computed afresh from the plans and the tree (the independent path)."""
    plans = Plan.objects.all()
    if movement_ids is not None:
        plans = plans.filter(indicator__movement_id__in=list(movement_ids))
    own = {
        (unit, (indicator, period)): planned
        for unit, indicator, period, planned in plans.values_list(
            "unit_id", "indicator_id", "period_id", "planned_minor"
        )
    }
    parents = dict(Unit.objects.values_list("pk", "parent_id"))
    return domain.roll_up(parents=parents, own=own)


def stored(movement_ids: Iterable[int] | None = None) -> dict[Row, domain.Totals]:
    rows = PlanTotal.objects.filter(Q(planned_minor__isnull=False) | Q(children_planned__gt=0))
    if movement_ids is not None:
        rows = rows.filter(indicator__movement_id__in=list(movement_ids))
    return {
        (unit, (indicator, period)): domain.Totals(planned, below, children)
        for unit, indicator, period, planned, below, children in rows.values_list(
            "unit_id",
            "indicator_id",
            "period_id",
            "planned_minor",
            "below_minor",
            "children_planned",
        )
    }


def rebuild(
    *, movement_id: int | None = None, fix: bool = False
) -> list[tuple[Row, domain.Totals | None, domain.Totals | None]]:
    """The stored roll-ups against fresh ones: (key, stored, recomputed) where they differ.
    With `fix`, the movement's stored roll-ups are replaced by the recomputed ones."""
    movements = None if movement_id is None else [movement_id]
    have, want = stored(movements), recomputed(movements)
    differences = [
        (key, have.get(key), want.get(key))
        for key in sorted(have.keys() | want.keys())
        if have.get(key) != want.get(key)
    ]
    if fix and differences:
        rows = PlanTotal.objects.all()
        if movement_id is not None:
            rows = rows.filter(indicator__movement_id=movement_id)
        rows.delete()
        rollup = domain.RollUp(own={}, totals=want)
        rollup.dirty = set(want)
        _save(rollup)
    return differences
