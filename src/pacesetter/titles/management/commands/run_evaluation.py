"""`pacesetter run-evaluation --pack SLUG --title CODE --scope UNIT [--year Y] [--movement SLUG]
[--period NAME] [--award [--awarded-on DATE]] [--format table|json]`: judge a title's candidates, as the run page and
`POST /api/v1/titles/runs` do."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rich.table import Table

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import console_for
from pacesetter.movements.models import Movement
from pacesetter.titles import actions, selectors
from pacesetter.titles.facts import period_text
from pacesetter.titles.models import Award, EvaluationRun, Title
from pacesetter.units.models import Unit


class Command(BaseCommand):
    help = (
        "Judge every candidate in a unit's subtree (its members, or its units of the title's "
        "kind) for a title of a loaded pack, by the rule version in force; the cap and the "
        "ranking within it are applied and every candidate keeps its explanation (the run's "
        "page). Titles that look at the ledger's figures need --movement; a title judged per "
        "period needs --period instead of --year. --award then awards the selected candidates "
        "of a title that needs no council vote (the run page's 'Award the selected')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pack", required=True, help="the slug of the loaded rule pack")
        parser.add_argument("--title", required=True, help="the title's code in the pack")
        parser.add_argument("--scope", required=True, help="the code of the unit judged under")
        parser.add_argument("--year", type=int, help="the year judged")
        parser.add_argument("--movement", help="the slug of the movement whose figures count")
        parser.add_argument("--period", help="the movement's period judged (per-period titles)")
        parser.add_argument(
            "--award",
            action="store_true",
            help="award the selected candidates (titles without a council vote)",
        )
        parser.add_argument(
            "--awarded-on",
            type=dt.date.fromisoformat,
            help="with --award: the day the awarding body chose them (YYYY-MM-DD; default today"
            " in the movement's time zone), for a year judged long after",
        )
        parser.add_argument(
            "--format", dest="output_format", choices=("table", "json"), default="table"
        )

    def handle(
        self,
        *args: Any,
        pack: str,
        title: str,
        scope: str,
        year: int | None,
        movement: str | None,
        period: str | None,
        award: bool,
        awarded_on: dt.date | None,
        output_format: str,
        **options: Any,
    ) -> None:
        found = Title.objects.select_related("pack__current").filter(pack__slug=pack, code=title)
        judged = found.first()
        if judged is None:
            raise CommandError(f"No title {title!r} in pack {pack!r}.")
        unit = Unit.objects.filter(code=scope).first()
        if unit is None:
            raise CommandError(f"No unit {scope!r}.")
        figures_of = None
        if movement is not None:
            figures_of = Movement.objects.filter(slug=movement).first()
            if figures_of is None:
                raise CommandError(f"No movement {movement!r}.")
        chosen_period = None
        if period is not None:
            if figures_of is None:
                raise CommandError("A period is a movement's: name the movement too.")
            chosen_period = figures_of.periods.filter(name=period.strip(), is_whole=False).first()
            if chosen_period is None:
                raise CommandError(f"No period {period!r} in movement {movement!r}.")
        if awarded_on is not None and not award:
            raise CommandError("--awarded-on dates the awards of --award: give both.")
        try:
            # All or nothing: an award refused (its day out of range, a place taken) leaves no
            # run behind it, to be judged again.
            with transaction.atomic():
                run = actions.run_evaluation(
                    title=judged, year=year, scope=unit, movement=figures_of, period=chosen_period
                )
                awards = []
                if award:
                    _, version = selectors.rule_of(run)
                    if version.vote is not None:
                        raise CommandError(
                            f"{judged.name} is decided by a council vote: nominate on the run's"
                            " page."
                        )
                    awards = [
                        actions.award_without_vote(candidate=c, on=awarded_on)
                        for c in run.results.filter(selected=True, award__isnull=True)
                    ]
        except ActionError as exc:
            raise CommandError(exc.detail) from None
        if output_format == "json":
            self.stdout.write(json.dumps(_record(run, awards), indent=2, ensure_ascii=False))
            return
        console = console_for(self.stdout)
        console.print(_table(run))
        console.print(
            f"{judged.name} {period_text(chosen_period) if chosen_period else run.year}: "
            f"{run.candidates} judged, {run.eligible} eligible, {run.selected} selected"
            + (f", {len(awards)} awarded" if award else "")
            + f" (run {run.pk})."
        )


def _candidates(run: EvaluationRun) -> list:
    return list(run.results.select_related("member", "unit").defer("explanation").order_by("id"))


def _record(run: EvaluationRun, awards: list[Award]) -> dict[str, Any]:
    return {
        "run": run.pk,
        "title": run.title.code,
        "year": run.year,
        "candidates": run.candidates,
        "eligible": run.eligible,
        "selected": run.selected,
        "results": [
            {
                "name": str(c),
                "unit": c.unit.code,
                "eligible": c.eligible,
                "selected": c.selected,
                "conditions": c.conditions,
                "conditions_missed": c.conditions_missed,
                "why_not": c.why_not.splitlines(),
            }
            for c in _candidates(run)
        ],
        "awards": [
            {"code": a.code, "unit": a.unit.code, "name": a.title_name, "times": a.times}
            for a in awards
        ],
    }


def _table(run: EvaluationRun) -> Table:
    table = Table(title=f"{run.title.name} {run.year} · {run.scope.name}", title_justify="left")
    for column in ("candidate", "outcome", "met", "why not"):
        table.add_column(column)
    for c in _candidates(run):
        outcome = "selected" if c.selected else "eligible" if c.eligible else "not eligible"
        table.add_row(str(c), outcome, f"{c.conditions_met} of {c.conditions}", c.why_not or "—")
    return table
