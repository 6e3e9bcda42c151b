"""`pacesetter rebuild-aggregates [--movement SLUG] [--check | --fix]`: the aggregates against
the ledger, recomputed through the independent path of `ledger.aggregates.rebuild`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from pacesetter.core.quantities import format_quantity
from pacesetter.core.tabular import console_for
from pacesetter.ledger.aggregates import Difference, rebuild
from pacesetter.movements import plan_totals
from pacesetter.movements.models import Indicator, Movement, Period
from pacesetter.units.models import Unit

# A national ledger gone wrong can differ in millions of rows; the count says how many.
SHOWN_DIFFERENCES = 500


class Command(BaseCommand):
    help = (
        "Recompute every aggregate (daily, subtree daily, subtree period totals) from the "
        "ledger and list where the stored ones differ. --check (the default) changes nothing "
        "and exits 1 when there is a difference; --fix replaces the stored aggregates with the "
        "recomputed ones."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--movement", help="only this movement (its slug); default: all")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--check", action="store_true", help="list differences (default)")
        mode.add_argument("--fix", action="store_true", help="replace the differing aggregates")

    def handle(
        self, *args: Any, movement: str | None, check: bool, fix: bool, **options: Any
    ) -> None:
        console = console_for(self.stdout)
        movement_id = None
        if movement is not None:
            movement_id = (
                Movement.objects.filter(slug=movement).values_list("pk", flat=True).first()
            )
            if movement_id is None:
                raise CommandError(f"No movement {movement!r}.")
        with console_for(self.stderr).status("recomputing the aggregates from the ledger…"):
            differences = rebuild(movement_id=movement_id, fix=fix)
            plan_differences = plan_totals.rebuild(movement_id=movement_id, fix=fix)
        if not differences and not plan_differences:
            console.print("no differences")
            return
        if differences:
            console.print(_differences_table(differences))
        if plan_differences:
            console.print(_plan_differences_table(plan_differences))
        differences = [*differences, *plan_differences]
        count = f"{len(differences):,} difference{'' if len(differences) == 1 else 's'}"
        if fix:
            console.print(f"fixed {count}")
            return
        raise CommandError(
            f"{count} between the aggregates and the ledger or the plans; "
            "`pacesetter rebuild-aggregates --fix` replaces the stored aggregates.",
            returncode=1,
        )


def _differences_table(differences: list[Difference]) -> Table:
    """The differences with their keys named (unit code, movement/indicator code, day or
    period name) and values in the indicator's unit, in 3 queries."""
    shown = differences[:SHOWN_DIFFERENCES]
    unit_codes = dict(
        Unit.objects.filter(pk__in={d.key[0] for d in shown}).values_list("pk", "code")
    )
    indicators = {
        i.pk: i
        for i in Indicator.objects.filter(pk__in={d.key[1] for d in shown}).select_related(
            "movement"
        )
    }
    period_ids = {d.key[2] for d in shown if isinstance(d.key[2], int)}
    period_names = dict(Period.objects.filter(pk__in=period_ids).values_list("pk", "name"))

    title = "differences (quantity · verified quantity · entries · verified entries)"
    if len(differences) > len(shown):
        title += f"; the first {len(shown):,} of {len(differences):,}"
    table = Table(title=title, title_justify="left")
    for name in ("table", "unit", "movement / indicator", "day or period", "stored", "ledger"):
        table.add_column(name, justify="right" if name in ("stored", "ledger") else "left")
    for difference in shown:
        unit_id, indicator_id, key = difference.key
        indicator = indicators.get(indicator_id)
        table.add_row(
            difference.table,
            unit_codes.get(unit_id, f"#{unit_id}"),
            f"{indicator.movement.slug} / {indicator.code}" if indicator else f"#{indicator_id}",
            period_names.get(key, f"#{key}") if isinstance(key, int) else str(key),
            _totals(difference.stored, indicator),
            _totals(difference.ledger, indicator),
        )
    return table


def _totals(values: list[int], indicator: Indicator | None) -> str:
    quantity, verified, entries, verified_entries = values
    if indicator is None:
        return f"{quantity} · {verified} · {entries} · {verified_entries}"
    places = indicator.decimal_places
    return (
        f"{format_quantity(indicator.from_minor(quantity), places)} · "
        f"{format_quantity(indicator.from_minor(verified), places)} · "
        f"{entries:,} · {verified_entries:,}"
    )


def _plan_differences_table(differences: list) -> Table:
    """The plan roll-ups that differ from a fresh roll-up of the plans (minor units)."""
    shown = differences[:SHOWN_DIFFERENCES]
    unit_codes = dict(
        Unit.objects.filter(pk__in={key[0] for key, *_ in shown}).values_list("pk", "code")
    )
    table = Table(
        title="plan roll-ups (effective plan · the children's summed · children planned)",
        title_justify="left",
    )
    for name in ("unit", "indicator", "period", "stored", "plans"):
        table.add_column(name)
    for (unit_id, (indicator_id, period_id)), have, want in shown:
        table.add_row(
            unit_codes.get(unit_id, f"#{unit_id}"),
            f"#{indicator_id}",
            f"#{period_id}",
            *(
                "—" if t is None else f"{t.planned} · {t.below} · {t.children_planned}"
                for t in (have, want)
            ),
        )
    return table
