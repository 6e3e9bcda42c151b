"""Plans from a file — the CSV or XLSX that `pacesetter import-plans` and the organise page's
upload read alike — and what setting them changes, before and after.

Setting plans is `actions.set_plans`, all rows or none; `apply_plans` runs it and tells which
plans it creates, which it changes (before → after) and which it leaves as they were, so a
preview can show the change and a rerun of the same file can say "nothing changed".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from pacesetter.core.tabular import TabularError, open_table

from .actions import PlanRow, set_plans
from .models import Movement, Plan
from .selectors import decimal_comma_codes

PLAN_REQUIRED = ("unit_code", "indicator")
PLAN_OPTIONAL = (
    "period",
    "planned",
    "rated_capacity",
    "daily_assignment",
    "base",
    "base_label",
    "note",
)
PLAN_ALIASES = {"unit": "unit_code"}
PLAN_QUANTITIES = ("planned", "rated_capacity", "daily_assignment", "base")
_VALUES = ("planned_minor", "rated_capacity_minor", "daily_assignment_minor", "base_minor")


def plan_rows(
    path: Path, movement: Movement, *, max_rows: int | None = None
) -> list[tuple[int, PlanRow]]:
    """(file row number, plan) for every row of a plans file of `movement`; TabularError if it
    cannot be read, or has more than `max_rows` rows. In a ';'-separated file the quantities of
    an indicator with decimal commas are read with them (1,5 is one and a half)."""
    rows: list[tuple[int, PlanRow]] = []
    with open_table(path) as table:
        commas = decimal_comma_codes(movement, table)
        columns = table.columns(
            required=PLAN_REQUIRED, optional=PLAN_OPTIONAL, aliases=PLAN_ALIASES
        )
        for number, cells in table.rows():
            values = {name: cells[index].strip() for name, index in columns.items()}
            comma = values["indicator"] in commas
            for name in PLAN_QUANTITIES:
                if name in values:
                    values[name] = table.quantity_text(values[name], decimal_comma=comma)
            rows.append((number, PlanRow(**values)))
            if max_rows is not None and len(rows) > max_rows:
                raise TabularError(f"more than {max_rows:,} rows; split the file.")
    if not rows:
        raise TabularError("the file has a header but no rows.")
    return rows


@dataclass
class PlanChange:
    unit: str
    indicator: str
    period: str
    places: int
    before: tuple | None  # the quantities in the indicator's unit and the base label; None: new
    after: tuple

    @property
    def columns(self) -> list[tuple[object, object, bool]]:
        """(before, after, changed) for planned, rated capacity, daily assignment and base."""
        before = self.before or (None,) * len(self.after)
        return [
            (old, new, self.before is not None and old != new)
            for old, new in zip(before[:4], self.after[:4], strict=True)
        ]


@dataclass
class PlanChanges:
    rows: int
    created: list[PlanChange] = field(default_factory=list)
    changed: list[PlanChange] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return self.rows - len(self.created) - len(self.changed)


class _DryRun(Exception):
    pass


def _snapshot(movement: Movement, codes: set[str]) -> dict[tuple[int, int, int], tuple]:
    return {
        (plan.unit_id, plan.indicator_id, plan.period_id): (
            plan,
            (*(getattr(plan, name) for name in _VALUES), plan.base_label, plan.note),
        )
        for plan in Plan.objects.filter(
            indicator__movement=movement, unit__code__in=codes
        ).select_related("unit", "indicator", "period")
    }


def _shown(plan: Plan, values: tuple) -> tuple:
    return (*(plan.indicator.from_minor(v) for v in values[:-2]), *values[-2:])


def apply_plans(
    *,
    movement: Movement,
    rows: Sequence[PlanRow],
    dry_run: bool = False,
    row_numbers: Sequence[int] | None = None,
) -> PlanChanges:
    """Set the plans (all or none, `set_plans`'s row errors raised as they are) and say what
    changed. With `dry_run` nothing is kept: the same checks, the same answer, then rolled back."""
    codes = {row.unit_code.strip() for row in rows}
    changes = PlanChanges(rows=len(rows))
    try:
        with transaction.atomic():
            before = _snapshot(movement, codes)
            set_plans(movement=movement, rows=rows, row_numbers=row_numbers)
            for key, (plan, values) in sorted(_snapshot(movement, codes).items()):
                old = before.get(key)
                if old is not None and old[1] == values:
                    continue
                change = PlanChange(
                    plan.unit.code,
                    plan.indicator.code,
                    plan.period.name,
                    plan.indicator.decimal_places,
                    _shown(plan, old[1]) if old else None,
                    _shown(plan, values),
                )
                (changes.changed if old else changes.created).append(change)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return changes
