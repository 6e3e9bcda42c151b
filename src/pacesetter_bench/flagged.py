"""The plausibility flags' cost in the province's ingest (run.py): every batch also goes to
a twin movement — the same tree, indicators, periods and plans — whose every kind of flag
is off, in the same run and in turn with the flagged one and the floor. The flagged
ingest's rate over the twin's is the flags' cost (target ≥ 0.90); its rate over the floor's
is printed as before.

The bench replays last year in minutes, so every report would be "late" by months: the
flagged movement's `late` threshold is set to the days since the movement began (the check
still runs for every report; a real import of history would set it so too). Every other
kind has its default.
"""

from __future__ import annotations

from django.utils import timezone
from rich.table import Table

from pacesetter.ledger import flag_domain, flags
from pacesetter.ledger.models import DailyTotal, ReportFlag, SubtreeDailyTotal, SubtreePeriodTotal
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement, Plan

TARGET_FLAGS_RATIO = 0.9


def prepare(movement: Movement) -> Movement:
    """Set the flagged movement's rules; make and launch its twin with every flag off."""
    since_start = (timezone.localdate() - movement.starts_on).days
    flags.set_flag_rules(movement=movement, rules={"late": {"threshold": str(since_start)}})
    twin = movements.create_movement(
        title="Bench movement, unflagged",
        slug=f"{movement.slug}-unflagged",
        organiser=movement.organiser,
        starts_on=movement.starts_on,
        ends_on=movement.ends_on,
    )
    for indicator in movement.indicators.all():
        movements.add_indicator(
            movement=twin,
            code=indicator.code,
            name=indicator.name,
            unit_of_measure=indicator.unit_of_measure,
            aggregation=indicator.aggregation,
            decimal_places=indicator.decimal_places,
        )
    movements.add_monthly_periods(movement=twin)
    plans = Plan.objects.filter(indicator__movement=movement).select_related(
        "unit", "indicator", "period"
    )
    movements.set_plans(
        movement=twin,
        rows=[
            movements.PlanRow(
                unit_code=plan.unit.code,
                indicator=plan.indicator.code,
                period="" if plan.period.is_whole else plan.period.name,
                planned=plan.indicator.from_minor(plan.planned_minor),
            )
            for plan in plans
        ],
    )
    flags.set_flag_rules(
        movement=twin, rules={kind: {"enabled": False} for kind in flag_domain.KINDS}
    )
    return movements.launch_movement(movement=twin)


def aggregate_rows(movement: Movement) -> dict[str, int]:
    """The flagged movement's aggregate rows (the twin has as many of its own)."""
    return {
        f"aggregates.{name}_rows": model.objects.filter(indicator__movement=movement).count()
        for name, model in (
            ("daily", DailyTotal),
            ("subtree_daily", SubtreeDailyTotal),
            ("subtree_period", SubtreePeriodTotal),
        )
    }


def results(prefix: str, created: int, seconds: float, twin_seconds: float, movement) -> dict:
    rate, twin_rate = created / seconds, created / twin_seconds
    return {
        f"{prefix}.unflagged_seconds": round(twin_seconds, 3),
        f"{prefix}.unflagged_per_s": round(twin_rate, 1),
        f"{prefix}.flags_ratio": round(rate / twin_rate, 3),
        f"{prefix}.flags_raised": ReportFlag.objects.filter(movement=movement).count(),
        "targets.flags_ratio": TARGET_FLAGS_RATIO,
    }


def add_rows(table: Table, results: dict, prefix: str, verdict) -> None:
    if f"{prefix}.flags_ratio" not in results:
        return
    table.add_row(
        "ingest, flags off (twin movement, same rows)",
        f"{results[f'{prefix}.reports']:,}",
        f"{results[f'{prefix}.unflagged_seconds']:.1f}",
        f"{results[f'{prefix}.unflagged_per_s']:,.0f}",
        "",
    )
    ratio = float(results[f"{prefix}.flags_ratio"])
    table.add_row(
        f"ratio flags on / off ({results[f'{prefix}.flags_raised']:,} flags raised)",
        "",
        "",
        f"{ratio:.2f}",
        verdict(ratio >= TARGET_FLAGS_RATIO, f"≥ {TARGET_FLAGS_RATIO}"),
    )
