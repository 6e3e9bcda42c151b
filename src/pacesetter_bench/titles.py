"""The titles bench: evaluate 100,000 persons for one title (advanced worker, Vietnam pack,
regime R2024) for a year through the real action, `titles.actions.run_evaluation`: facts
loaded in bulk, every candidate judged with its explanation stored, the cap applied.

The people sit in 1,000 workteams of an enterprise of their own; each has a yearly evaluation
(rating and months worked), most a recorded judgement, a few a disciplinary measure — seeded,
so two runs judge the same facts. Run alone with `pacesetter bench --titles`; `make bench`
runs it after the ledger bench, in the same fresh database.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from decimal import Decimal
from pathlib import Path

from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from rich.console import Console
from rich.table import Table

import pacesetter.titles
from pacesetter.titles import actions as titles
from pacesetter.titles.models import DisciplinaryMeasure, Judgement, Title, YearlyEvaluation
from pacesetter.units.actions import UnitRow, import_units
from pacesetter.units.models import Member, Unit

PERSONS = 100_000
TEAM_SIZE = 100
YEAR = 2024
TARGET_SECONDS = 60.0
# The pack ships inside the titles app, wherever the product is installed.
PACK = Path(pacesetter.titles.__file__).resolve().parent / "packs" / "vn-emulation.yaml"


def _people(persons: int, seed: int) -> Unit:
    """An enterprise with persons/TEAM_SIZE workteams and their members and facts."""
    rng = random.Random(seed)
    teams = max(1, persons // TEAM_SIZE)
    prefix = f"TBENCH{seed}"
    rows = [UnitRow(code=prefix, name="Titles bench enterprise", kind="enterprise", parent_code="")]
    rows += [
        UnitRow(code=f"{prefix}-{i}", name=f"Workteam {i}", kind="workteam", parent_code=prefix)
        for i in range(teams)
    ]
    import_units(rows=rows)
    root = Unit.objects.get(code=prefix)
    team_ids = list(Unit.objects.filter(parent=root).order_by("id").values_list("id", flat=True))
    with transaction.atomic():
        Member.objects.bulk_create(
            (
                Member(
                    unit_id=team_ids[i % len(team_ids)],
                    full_name=f"Person {i:06}",
                    external_id=f"{prefix}-p{i}",
                )
                for i in range(persons)
            ),
            batch_size=5000,
        )
        member_ids = list(
            Member.objects.filter(unit__parent=root).order_by("id").values_list("id", flat=True)
        )
        ratings = ("excellent", "good", "good", "good", "completed", "not_completed")
        evaluations, judgements, measures = [], [], []
        for member_id in member_ids:
            months = Decimal(12) if rng.random() < 0.95 else Decimal(rng.randint(1, 11))
            evaluations.append(
                YearlyEvaluation(
                    member_id=member_id,
                    year=YEAR,
                    rating=rng.choice(ratings),
                    months_worked=months,
                    source="bench",
                )
            )
            if rng.random() < 0.9:
                judgements.append(
                    Judgement(
                        member_id=member_id,
                        year=YEAR,
                        name="self_reliance_and_solidarity",
                        value=True,
                        source="bench",
                    )
                )
            if rng.random() < 0.01:
                measures.append(
                    DisciplinaryMeasure(
                        member_id=member_id,
                        level="reprimand",
                        decided_on=dt.date(YEAR, 3, 1),
                        ends_on=dt.date(YEAR, 9, 1),
                        source="bench",
                    )
                )
        YearlyEvaluation.objects.bulk_create(evaluations, batch_size=5000)
        Judgement.objects.bulk_create(judgements, batch_size=5000)
        DisciplinaryMeasure.objects.bulk_create(measures, batch_size=5000)
    return root


def measure(*, persons: int = PERSONS, seed: int = 1, console: Console | None = None) -> dict:
    """Build the people, then time one evaluation run over all of them; print the result."""
    console = console or Console()
    with console.status(f"titles: {persons:,} persons with their facts…"):
        root = _people(persons, seed)
        revision = titles.load_pack(text=PACK.read_text())
        title = Title.objects.get(pack=revision.pack, code="advanced_worker")
    # Importing the URL configuration is a once-per-process cost (1–3 s), not the run's.
    reverse("titles:packs")
    with override_settings(DEBUG=False), console.status(f"titles: judging {persons:,} persons…"):
        started, cpu = time.perf_counter(), time.process_time()
        run = titles.run_evaluation(title=title, year=YEAR, scope=root)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    results = {
        "titles.persons": run.candidates,
        "titles.eligible": run.eligible,
        "titles.rule_version": run.rule_version,
        "titles.seconds": round(seconds, 3),
        # CPU time of this process: on a shared machine the wall time shows the contention.
        "titles.cpu_seconds": round(cpu, 3),
        "titles.per_candidate_ms": round(seconds * 1000 / max(run.candidates, 1), 4),
        "titles.candidates_per_s": round(run.candidates / seconds, 1),
        "targets.titles_seconds": TARGET_SECONDS,
    }
    console.print(render(results))
    return results


def render(results: dict) -> Table:
    table = Table(title="titles bench · one title for a year")
    for column in ("measure", "candidates", "seconds (CPU)", "per candidate", "target"):
        table.add_column(column)
    met = results["titles.seconds"] < TARGET_SECONDS
    table.add_row(
        f"evaluate advanced worker {YEAR} ({results['titles.rule_version']}), explanations stored",
        f"{results['titles.persons']:,} ({results['titles.eligible']:,} eligible)",
        f"{results['titles.seconds']:.1f} ({results['titles.cpu_seconds']:.1f})",
        f"{results['titles.per_candidate_ms']:.3f} ms ({results['titles.candidates_per_s']:,.0f}/s)",
        f"[green]met[/] (< {TARGET_SECONDS:.0f} s)"
        if met
        else f"[red]missed[/] (< {TARGET_SECONDS:.0f} s)",
    )
    return table


def run_alone(
    *,
    database: str,
    persons: int,
    seed: int,
    keep: bool,
    output: Path | None,
    console: Console | None = None,
) -> dict:
    """`pacesetter bench --titles`: the titles bench alone, on a fresh database."""
    from django.db import connections

    from .machine import describe
    from .run import bench_dir, drop_database, fresh_database

    console = console or Console()
    results: dict = {**describe(), "database.vendor": database}
    with fresh_database(database) as name:
        call_command("migrate", interactive=False, verbosity=0)
        results.update(measure(persons=persons, seed=seed, console=console))
        if not keep:
            connections.close_all()
            drop_database(database, name)
    output = output or bench_dir() / "titles.json"
    output.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"results written to {output}")
    return results
