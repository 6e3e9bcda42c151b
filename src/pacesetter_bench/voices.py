"""`pacesetter bench --voices`: the figures of a root with a million voices below it, and one
background run escalating the overdue ones.

On a fresh database: a tree of 10,000 units through the real import, three topics set by the
root (answered at the unit itself, at the nearest enterprise, and an urgent one due in a day,
also at the unit itself), then 1,000,000 voices on the workteams through the real bulk path
(`voices.actions.import_voices`, the action behind `pacesetter import-voices`), in files of
`batch` rows; 10,000 of them are of the urgent topic.

Measured:
- the root's open/overdue figures as the unit's voices page reads them
  (`voices.selectors.figures`), median of repeated reads, target under 50 ms; against the
  floor: the same two reads (the root's totals per topic, its timing buckets) with the raw
  driver;
- one background run (`voices.tasks.escalate_due_voices`, what `pacesetter escalate-voices`
  runs) two days later on a controlled clock (its `now`): the 10,000 urgent voices are past
  their deadline and go one level up, target under 10 s. The root's figures afterwards must
  count exactly those 10,000 as overdue and escalated.

A miss is reported, never a failure.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import override_settings
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from pacesetter.units.actions import import_units
from pacesetter.units.models import Unit
from pacesetter.voices import actions as voices
from pacesetter.voices import selectors as voice_selectors
from pacesetter.voices import tasks as voice_tasks
from pacesetter.voices.models import Voice, VoiceTotal

from . import generate
from . import run as suite

UNITS = 10_000
VOICES = 1_000_000
OVERDUE = 10_000
BATCH = 10_000
READS = 21
TARGET_ROOT_MS = 50.0
TARGET_ESCALATE_SECONDS = 10.0
URGENT = "bench-urgent"
# (code, name, deadline days, route, route kind): the urgent topic last.
TOPICS = (
    ("bench-water", "Water supply", 30, "unit", ""),
    ("bench-housing", "Housing repairs", 60, "ancestor", "enterprise"),
    (URGENT, "Urgent safety", 1, "unit", ""),
)


@dataclass(frozen=True)
class VoicesOptions:
    units: int = UNITS
    voices: int = VOICES
    overdue: int = OVERDUE
    batch: int = BATCH
    seed: int = 1
    reads: int = READS
    database: str = "sqlite"
    keep: bool = False
    output: Path | None = None


def _rows(start: int, stop: int, leaves: list[str], options: VoicesOptions) -> list[dict]:
    """Voices `start`..`stop` as import rows: every `voices // overdue`-th is urgent, the
    others alternate between the two ordinary topics; a tenth are anonymous."""
    every = max(1, options.voices // options.overdue) if options.overdue else 0
    rows = []
    for number in range(start, stop):
        urgent = every and number % every == 0 and number // every < options.overdue
        topic = URGENT if urgent else TOPICS[number % 2][0]
        leaf = leaves[(number * 7919 + options.seed) % len(leaves)]
        anonymous = number % 10 == 3
        rows.append(
            {
                "key": f"bench-voice-{number}",
                "topic": topic,
                "unit": leaf,
                "subject": f"Request {number} of {leaf}",
                "text": "Heard at a meeting of the workteam.",
                "person": "" if anonymous else f"Member {number % 997}",
                "anonymous": "yes" if anonymous else "",
            }
        )
    return rows


def build(options: VoicesOptions, console: Console) -> dict:
    tree = generate.tree(options.units)
    with console.status(f"voices: a tree of {options.units:,} units…"):
        import_units(rows=tree.rows)
    root = Unit.objects.get(code=tree.root_code)
    for code, name, days, route, kind in TOPICS:
        voices.set_topic(
            code=code, name=name, organiser=root, deadline_days=days, route=route, route_kind=kind
        )
    leaves = tree.leaf_codes
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    with suite._progress(console) as progress:
        task = progress.add_task("voices: import", total=options.voices)
        for start in range(0, options.voices, options.batch):
            stop = min(options.voices, start + options.batch)
            voices.import_voices(rows=_rows(start, stop, leaves, options))
            progress.advance(task, stop - start)
    seconds = time.perf_counter() - started
    gc.unfreeze()
    return {
        "root": root,
        "results": {
            "voices.units": options.units,
            "voices.workteams": len(leaves),
            "voices.voices": Voice.objects.count(),
            "voices.batch": options.batch,
            "voices.import_seconds": round(seconds, 1),
            "voices.import_per_s": round(options.voices / seconds, 1) if seconds else None,
        },
    }


def _raw_cursor():
    connection.ensure_connection()
    return connection.connection.cursor()


def root_floor(root: Unit) -> tuple[int, int]:
    """The root's open and overdue with the raw driver: its totals per topic (as the selector
    reads them) and its timing buckets, summed in Python."""
    p = "?" if connection.vendor == "sqlite" else "%s"
    cursor = _raw_cursor()
    cursor.execute(
        f'SELECT topic_id, received, "open", overdue, escalated, answered, resolved, declined '
        f"FROM voices_voicetotal WHERE unit_id = {p}",
        (root.pk,),
    )
    rows = cursor.fetchall()
    cursor.execute(
        f"SELECT measure, bucket, SUM(count) FROM voices_voicetiming WHERE unit_id = {p} "
        "GROUP BY measure, bucket",
        (root.pk,),
    )
    cursor.fetchall()
    cursor.close()
    return sum(r[2] for r in rows), sum(r[3] for r in rows)


def _median_ms(read: Callable[[], object], reads: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(reads):
        started = time.perf_counter()
        result = read()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), result


def measure(options: VoicesOptions, console: Console) -> dict:
    built = build(options, console)
    results = built["results"]
    root = Unit.objects.get(pk=built["root"].pk)
    with console.status("voices: the root's figures…"):
        root_ms, figures = _median_ms(lambda: voice_selectors.figures(root), options.reads)
        floor_ms, floor = _median_ms(lambda: root_floor(root), options.reads)
    later = timezone.now() + dt.timedelta(days=2)
    with console.status(f"voices: escalating {options.overdue:,} overdue voices…"):
        started, cpu_started = time.perf_counter(), time.process_time()
        escalated = voice_tasks.escalate_due_voices(now=later)
        escalate_seconds = time.perf_counter() - started
        # SQLite runs in this process: its CPU time beside the wall time on a shared machine.
        escalate_cpu = time.process_time() - cpu_started
    after = voice_selectors.figures(root)
    results.update(
        {
            "voices.root.reads": options.reads,
            "voices.root.ms": round(root_ms, 3),
            "voices.root.floor_ms": round(floor_ms, 3),
            "voices.root.ratio_to_floor": round(root_ms / floor_ms, 2),
            "voices.root.received": figures.received,
            "voices.root.open": figures.open,
            "voices.root.overdue": figures.overdue,
            "voices.root.floor_agrees": (figures.open, figures.overdue) == floor,
            "voices.root.target_met": root_ms < TARGET_ROOT_MS,
            "voices.escalate.due": options.overdue,
            "voices.escalate.escalated": escalated.escalated,
            "voices.escalate.overdue_at_top": escalated.overdue_at_top,
            "voices.escalate.seconds": round(escalate_seconds, 3),
            "voices.escalate.cpu_seconds": round(escalate_cpu, 3),
            "voices.escalate.per_s": round(escalated.escalated / escalate_seconds, 1)
            if escalate_seconds
            else None,
            "voices.escalate.root_overdue": after.overdue,
            "voices.escalate.root_escalated": after.escalated,
            "voices.escalate.overdue_in_table": Voice.objects.filter(overdue=True).count(),
            "voices.escalate.target_met": escalate_seconds < TARGET_ESCALATE_SECONDS,
            "voices.totals_rows": VoiceTotal.objects.count(),
            "targets.voices_root_ms": TARGET_ROOT_MS,
            "targets.voices_escalate_seconds": TARGET_ESCALATE_SECONDS,
        }
    )
    return results


def render(results: dict) -> Table:
    table = Table(
        title=f"voices · {results['voices.units']:,} units, {results['voices.voices']:,} voices "
        f"(imported at {results['voices.import_per_s']:,.0f}/s)",
    )
    for column, justify in (
        ("measure", "left"),
        ("real", "right"),
        ("floor", "right"),
        ("× floor", "right"),
        ("target", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    root_ms = results["voices.root.ms"]
    table.add_row(
        f"the root's voice figures (median of {results['voices.root.reads']}; "
        f"{results['voices.root.open']:,} open, {results['voices.root.overdue']:,} overdue)",
        f"{root_ms:.2f} ms",
        f"{results['voices.root.floor_ms']:.2f} ms",
        f"{results['voices.root.ratio_to_floor']:.1f}",
        suite._verdict(root_ms < TARGET_ROOT_MS, f"< {TARGET_ROOT_MS:.0f} ms"),
    )
    seconds = results["voices.escalate.seconds"]
    table.add_row(
        f"one escalation run ({results['voices.escalate.escalated']:,} escalated; the root "
        f"counts {results['voices.escalate.root_overdue']:,} overdue)",
        f"{seconds:.2f} s ({results['voices.escalate.cpu_seconds']:.2f} s CPU)",
        "",
        "",
        suite._verdict(seconds < TARGET_ESCALATE_SECONDS, f"< {TARGET_ESCALATE_SECONDS:.0f} s"),
    )
    table.add_row(
        "building: import-voices (the real bulk action)",
        f"{results['voices.import_seconds']:.0f} s",
        "",
        "",
        "",
    )
    return table


def part(options: VoicesOptions, console: Console) -> dict:
    """The part on a fresh database of its own (the suite's and `--voices`'s)."""
    if options.units < generate.MIN_UNITS:
        raise suite.BenchError(f"--units must be at least {generate.MIN_UNITS}")
    if options.voices < 1 or options.batch < 1 or not 0 <= options.overdue <= options.voices:
        raise suite.BenchError("--voices-count and --batch positive, overdue at most the count")
    with override_settings(DEBUG=False), suite.fresh_database(options.database) as name:
        call_command("migrate", interactive=False, verbosity=0)
        started = time.perf_counter()
        results = measure(options, console)
        results["run.voices_seconds"] = round(time.perf_counter() - started, 1)
        if not options.keep:
            connections.close_all()
            suite.drop_database(options.database, name)
    console.print(render(results))
    return results


def run_alone(options: VoicesOptions, console: Console | None = None) -> dict:
    """`pacesetter bench --voices`: this part alone; writes var/bench/voices.json."""
    from .machine import describe

    console = console or Console()
    results: dict = {**describe(), "database.vendor": options.database}
    results.update(part(options, console))
    output = options.output or suite.bench_dir() / "voices.json"
    output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"results written to {output}")
    return results
