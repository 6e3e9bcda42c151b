"""`pacesetter bench --experience`: the effect of practices, and the reserve figures of a root.

On a fresh database: a tree of 10,000 units through the real import, a movement over last year
with one block (all its workteams, the widest comparison a practice can have), a year of
reports through the real ingest; then 100 practices published and 10,000 adoptions spread over
the year, and 20,000 reserves proposed across the tree (a tenth carried through to verified, a
twentieth declined), every one of them through `experience.actions` and `reserves.actions`.

Measured, each a median of repeated reads:
- the effect of all the practices, as the movement's practice pages compute it
  (`experience.selectors.effects_of`), target under 2 s; against the floor: the same
  before/after sums straight from the aggregate tables with the raw driver (the block's kept
  totals per day once per indicator, then per practice the adopters' window sums and the excluded units'
  days, in SQL), combined with integer arithmetic;
- the reserve figures of the root, as the reserves page reads them
  (`reserves.selectors.figures`), target under 50 ms; against the floor: the same two reads
  (the root's totals, its subtree's members) with the raw driver.

A miss is reported, never a failure. The floor's difference-in-differences is compared with
the selector's, so a fast wrong answer would show.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import override_settings
from rich.console import Console
from rich.table import Table

from pacesetter.experience import actions as experience
from pacesetter.experience import domain as experience_domain
from pacesetter.experience import selectors as practices
from pacesetter.experience.models import Adoption, Practice
from pacesetter.ledger.actions import record_reports
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Movement
from pacesetter.reserves import actions as reserves
from pacesetter.reserves import selectors as reserve_selectors
from pacesetter.reserves.models import Kind
from pacesetter.units.actions import MemberRow, create_block, import_members
from pacesetter.units.models import Block, Member, Unit

from . import generate
from . import run as suite

UNITS = 10_000
REPORTS = 1_000_000
PRACTICES = 100
ADOPTIONS = 10_000
RESERVES = 20_000
READS = 5
RESERVE_READS = 21
TARGET_EFFECT_SECONDS = 2.0
TARGET_RESERVES_MS = 50.0
BLOCK_CODE = "bench-experience"
# Reserves of the kinds a member names with a measure of their own.
RESERVE_KINDS = (
    (Kind.MATERIAL, "t of cement"),
    (Kind.TIME, "hours"),
    (Kind.ENERGY, "kWh"),
    (Kind.MONEY, "KPW"),
)


@dataclass(frozen=True)
class ExperienceOptions:
    units: int = UNITS
    reports: int = REPORTS
    practices: int = PRACTICES
    adoptions: int = ADOPTIONS
    reserves: int = RESERVES
    batch: int = 10_000
    seed: int = 1
    reads: int = READS
    database: str = "sqlite"
    keep: bool = False
    output: Path | None = None


def _progress_loop(console: Console, label: str, total: int, step: Callable[[int], None]) -> float:
    """`step(i)` for i in range(total) under a progress bar; the seconds it took."""
    started = time.perf_counter()
    with suite._progress(console) as progress:
        task = progress.add_task(label, total=total)
        for index in range(total):
            step(index)
            if index % 100 == 99 or index == total - 1:
                progress.update(task, completed=index + 1)
    return time.perf_counter() - started


# --- the data ---------------------------------------------------------------------------------


def build(options: ExperienceOptions, console: Console) -> dict:
    """Tree, movement, block, reports, practices, adoptions, members and reserves; returns
    what was built and how long each step took."""
    with console.status(f"experience: a tree of {options.units:,} units…"):
        setup = suite.build(suite.Options(units=options.units, reports=options.reports))
    leaves = list(Unit.objects.filter(code__in=setup.tree.leaf_codes).order_by("pk"))
    create_block(code=BLOCK_CODE, name="Bench experience block", units=leaves)
    rows = generate.reports(
        leaf_codes=setup.tree.leaf_codes,
        indicators=generate.INDICATORS,
        count=options.reports,
        days=setup.days,
        seed=options.seed,
    )
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    with suite._progress(console) as progress:
        task = progress.add_task("experience: reports", total=len(rows))
        for chunk in suite.batches(rows, options.batch):
            record_reports(
                movement=setup.movement, rows=chunk, source=Report.Source.IMPORT, return_ids=False
            )
            progress.advance(task, len(chunk))
    ingest_seconds = time.perf_counter() - started
    gc.unfreeze()
    del rows
    movement = Movement.objects.get(pk=setup.movement.pk)
    rng = random.Random(options.seed)
    indicators = list(movement.indicators.order_by("pk"))
    periods = list(movement.periods.order_by("starts_on"))
    publishers = [leaves[(index * 97) % len(leaves)] for index in range(options.practices)]
    published: list[Practice] = []

    def publish(index: int) -> None:
        published.append(
            experience.publish_practice(
                movement=movement,
                unit=publishers[index],
                title=f"Practice {index + 1}",
                text=f"How workteam {publishers[index].code} raised its figures.",
                indicator=indicators[index % len(indicators)],
                period=periods[index % len(periods)],
            )
        )

    publish_seconds = _progress_loop(console, "experience: practices", options.practices, publish)
    # Each adoption: a practice in turn, a workteam drawn at random among those that have not
    # adopted it (never its publisher), a day drawn from its period's start to the year's end.
    taken = [{practice.unit_id} for practice in published]
    last_day = setup.days[-1]

    def adopt(index: int) -> None:
        number = index % len(published)
        practice = published[number]
        if len(taken[number]) >= len(leaves):
            return
        unit = leaves[rng.randrange(len(leaves))]
        while unit.pk in taken[number]:
            unit = leaves[rng.randrange(len(leaves))]
        taken[number].add(unit.pk)
        first = practice.period.starts_on
        day = first + dt.timedelta(days=rng.randrange((last_day - first).days + 1))
        experience.adopt_practice(practice=practice, unit=unit, adopted_on=day)

    adopt_seconds = _progress_loop(console, "experience: adoptions", options.adoptions, adopt)

    import_members(
        rows=[
            MemberRow(unit=unit.code, external_id=f"bench-member-{unit.pk}", full_name=unit.name)
            for unit in leaves
        ]
    )
    member_of = dict(Member.objects.values_list("unit_id", "pk"))
    members = {pk: Member(pk=pk) for pk in member_of.values()}
    counts = {"proposed": 0, "verified": 0, "declined": 0}

    def reserve(index: int) -> None:
        unit = leaves[rng.randrange(len(leaves))]
        kind, measure = RESERVE_KINDS[index % len(RESERVE_KINDS)]
        member = members[member_of[unit.pk]]
        member.unit = unit
        proposed = reserves.propose_reserve(
            unit=unit,
            kind=kind,
            description=f"Reserve {index + 1} of {unit.code}",
            estimated=str(rng.randint(1, 500)),
            measure=measure,
            member=member,
            movement=movement,
        )
        counts["proposed"] += 1
        if index % 10 == 0:
            reserves.review_reserve(proposed)
            reserves.accept_reserve(proposed)
            reserves.implement_reserve(proposed)
            reserves.verify_reserve(proposed, verified=str(rng.randint(1, 500)), measure=measure)
            counts["verified"] += 1
        elif index % 20 == 1:
            reserves.review_reserve(proposed)
            reserves.decline_reserve(proposed, reason="Not a saving after all")
            counts["declined"] += 1

    reserve_seconds = _progress_loop(console, "experience: reserves", options.reserves, reserve)
    return {
        "setup": setup,
        "movement": movement,
        "results": {
            "experience.units": options.units,
            "experience.workteams": len(leaves),
            "experience.reports": options.reports,
            "experience.ingest_seconds": round(ingest_seconds, 1),
            "experience.practices": len(published),
            "experience.adoptions": Adoption.objects.count(),
            "experience.block_units": len(leaves),
            "experience.publish_seconds": round(publish_seconds, 2),
            "experience.adopt_seconds": round(adopt_seconds, 1),
            "experience.adoptions_per_s": round(options.adoptions / adopt_seconds, 1)
            if adopt_seconds
            else None,
            "reserves.members": len(members),
            "reserves.proposed": counts["proposed"],
            "reserves.verified": counts["verified"],
            "reserves.declined": counts["declined"],
            "reserves.seconds": round(reserve_seconds, 1),
            "reserves.actions_per_s": round(
                (counts["proposed"] + 4 * counts["verified"] + 2 * counts["declined"])
                / reserve_seconds,
                1,
            )
            if reserve_seconds
            else None,
        },
    }


# --- the floors -------------------------------------------------------------------------------


def _raw_cursor():
    """The driver's own cursor under Django's connection: no wrapper, no converters."""
    connection.ensure_connection()
    return connection.connection.cursor()


def _param(vendor: str) -> str:
    return "?" if vendor == "sqlite" else "%s"


def effect_floor(movement: Movement, days: int, today: dt.date) -> dict[int, float | None]:
    """Each practice's difference-in-differences from the aggregate tables with the raw driver:
    the block's totals per day once per indicator (its `BlockDailyTotal` rows), then per practice its adopters' before and
    after sums (one join over the adoptions) and the days of the units it excludes from the
    comparison; sums in integers, one division at the end."""
    vendor = connection.vendor
    p = _param(vendor)
    daily = "ledger_subtreedailytotal"
    membership = Block.units.through._meta.db_table
    blocks = "ledger_blockdailytotal"
    if vendor == "sqlite":
        start, end = f"date(a.adopted_on, '-{days} days')", f"date(a.adopted_on, '+{days} days')"
    else:
        start, end = f"a.adopted_on - {days}", f"a.adopted_on + {days}"
    cursor = _raw_cursor()
    today_value = today.isoformat() if vendor == "sqlite" else today
    cursor.execute(
        f"SELECT id, unit_id, indicator_id FROM experience_practice WHERE movement_id = {p}",
        (movement.pk,),
    )
    found = cursor.fetchall()
    cursor.execute(
        f"SELECT id, decimal_places FROM movements_indicator WHERE movement_id = {p}",
        (movement.pk,),
    )
    scale = {pk: 10**places for pk, places in cursor.fetchall()}
    cursor.execute(
        f"SELECT DISTINCT m.unit_id FROM {membership} m JOIN units_unit u ON u.id = m.unit_id "
        "WHERE NOT u.archived"
    )
    members = {row[0] for row in cursor.fetchall()}
    # The block's total per day, kept at ingest (the bench's one block, no member archived).
    block_days: dict[int, dict] = {}
    for indicator_id in {row[2] for row in found}:
        cursor.execute(
            f"SELECT day, quantity_minor FROM {blocks} WHERE indicator_id = {p} AND day <= {p}",
            (indicator_id, today_value),
        )
        block_days[indicator_id] = {_day(day): int(total) for day, total in cursor.fetchall()}
    differences: dict[int, float | None] = {}
    for practice_id, publisher_id, indicator_id in found:
        cursor.execute(
            f"SELECT a.unit_id, a.adopted_on, "
            f"COALESCE(SUM(CASE WHEN s.day < a.adopted_on THEN s.quantity_minor END), 0), "
            f"COALESCE(SUM(CASE WHEN s.day >= a.adopted_on THEN s.quantity_minor END), 0) "
            f"FROM experience_adoption a LEFT JOIN {daily} s ON s.unit_id = a.unit_id "
            f"AND s.indicator_id = {p} AND s.day >= {start} AND s.day < {end} AND s.day <= {p} "
            f"WHERE a.practice_id = {p} AND NOT a.withdrawn GROUP BY a.id, a.unit_id, a.adopted_on",
            (indicator_id, today_value, practice_id),
        )
        # PostgreSQL's SUM of bigints is numeric (a Decimal): ints, as SQLite gives
        adopters = [
            (unit_id, _day(day), int(before), int(after)) for unit_id, day, before, after in cursor
        ]
        cursor.execute(
            f"SELECT unit_id FROM experience_adoption WHERE practice_id = {p}", (practice_id,)
        )
        excluded = ({row[0] for row in cursor.fetchall()} | {publisher_id}) & members
        comparison = len(members - excluded)
        if (
            len(adopters) < experience_domain.MINIMUM_UNITS
            or comparison < experience_domain.MINIMUM_UNITS
        ):
            differences[practice_id] = None
            continue
        marks = ", ".join([p] * len(excluded))
        cursor.execute(
            f"SELECT day, SUM(quantity_minor) FROM {daily} WHERE indicator_id = {p} "
            f"AND unit_id IN ({marks}) AND day <= {p} GROUP BY day",
            (indicator_id, *excluded, today_value),
        )
        left_out = {_day(day): int(total) for day, total in cursor.fetchall()}
        totals = block_days[indicator_id]
        changes = 0.0
        for _unit, adopted_on, before, after in adopters:
            before_days, after_days = experience_domain.windows(adopted_on, days, today)
            compared_before = sum(totals.get(d, 0) - left_out.get(d, 0) for d in before_days)
            compared_after = sum(totals.get(d, 0) - left_out.get(d, 0) for d in after_days)
            changes += (after / len(after_days) - before / len(before_days)) - (
                compared_after / len(after_days) - compared_before / len(before_days)
            ) / comparison
        differences[practice_id] = changes / len(adopters) / scale[indicator_id]
    cursor.close()
    return differences


def _day(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def reserves_floor(root: Unit) -> tuple:
    """The root's reserve totals and its subtree's members, with the raw driver."""
    p = _param(connection.vendor)
    cursor = _raw_cursor()
    cursor.execute(
        "SELECT measure, proposed, implemented, verified, estimated_saving, verified_saving, "
        f"members_verified, members_repeat FROM reserves_reservetotal WHERE unit_id = {p} "
        "ORDER BY measure",
        (root.pk,),
    )
    totals = cursor.fetchall()
    cursor.execute(
        "SELECT COUNT(*) FROM units_member m JOIN units_unit u ON u.id = m.unit_id "
        f"WHERE u.path LIKE {p}",
        (root.path + "%",),
    )
    members = cursor.fetchone()[0]
    cursor.close()
    return totals, members


# --- the reads --------------------------------------------------------------------------------


def _median_ms(read: Callable[[], object], reads: int) -> tuple[float, object, float]:
    """Median wall milliseconds of `reads` reads, the last result, and the median CPU
    milliseconds of this process (SQLite runs in it: on a shared machine the wall time
    shows the contention, the CPU time the work)."""
    timings, cpu, result = [], [], None
    for _ in range(reads):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = read()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return statistics.median(timings), result, statistics.median(cpu)


def measure(options: ExperienceOptions, console: Console) -> dict:
    """On the current (fresh, migrated) database: build, then read."""
    built = build(options, console)
    results = built["results"]
    movement = built["movement"]
    root = Unit.objects.get(pk=built["setup"].root.pk)
    today = practices.movement_today(movement)
    days = experience_domain.DEFAULT_DAYS

    def effects():
        return practices.effects_of(list(practices.practices_of(movement)), days=days, today=today)

    with console.status(f"experience: the effect of {results['experience.practices']} practices…"):
        effect_ms, measured, effect_cpu = _median_ms(effects, options.reads)
        floor_ms, floor, floor_cpu = _median_ms(
            lambda: effect_floor(movement, days, today), options.reads
        )
    # The floor's differences (floats) against the selector's (Decimals): the same numbers.
    mismatched = 0
    for practice_id, effect in measured.items():
        expected = floor.get(practice_id)
        if (effect.difference is None) != (expected is None) or (
            expected is not None and abs(float(effect.difference) - expected) > 1e-6
        ):
            mismatched += 1
    enough = sum(1 for effect in measured.values() if effect.enough)
    with console.status("reserves: the root's figures…"):
        reserve_ms, figures, _cpu = _median_ms(
            lambda: reserve_selectors.figures(root), max(options.reads, RESERVE_READS)
        )
        reserve_floor_ms, _, _cpu = _median_ms(
            lambda: reserves_floor(root), max(options.reads, RESERVE_READS)
        )
    results.update(
        {
            "experience.effect.reads": options.reads,
            "experience.effect.days": days,
            "experience.effect.seconds": round(effect_ms / 1000, 3),
            "experience.effect.floor_seconds": round(floor_ms / 1000, 3),
            "experience.effect.ratio_to_floor": round(effect_ms / floor_ms, 2),
            "experience.effect.cpu_seconds": round(effect_cpu / 1000, 3),
            "experience.effect.floor_cpu_seconds": round(floor_cpu / 1000, 3),
            "experience.load_average": [round(load, 1) for load in os.getloadavg()],
            "experience.effect.measured": enough,
            "experience.effect.floor_mismatches": mismatched,
            "experience.effect.target_met": effect_ms / 1000 < TARGET_EFFECT_SECONDS,
            "reserves.root.reads": max(options.reads, RESERVE_READS),
            "reserves.root.ms": round(reserve_ms, 3),
            "reserves.root.floor_ms": round(reserve_floor_ms, 3),
            "reserves.root.ratio_to_floor": round(reserve_ms / reserve_floor_ms, 2),
            "reserves.root.proposed": figures.proposed,
            "reserves.root.verified": figures.verified,
            "reserves.root.members": figures.members,
            "reserves.root.target_met": reserve_ms < TARGET_RESERVES_MS,
            "targets.experience_effect_seconds": TARGET_EFFECT_SECONDS,
            "targets.reserves_root_ms": TARGET_RESERVES_MS,
        }
    )
    return results


def render(results: dict) -> Table:
    table = Table(
        title=f"experience and reserves · {results['experience.units']:,} units, "
        f"{results['experience.reports']:,} reports, {results['experience.practices']} "
        f"practices, {results['experience.adoptions']:,} adoptions, "
        f"{results['reserves.proposed']:,} reserves",
    )
    for column, justify in (
        ("measure", "left"),
        ("real", "right"),
        ("floor", "right"),
        ("× floor", "right"),
        ("target", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    effect = results["experience.effect.seconds"]
    table.add_row(
        f"effect of {results['experience.practices']} practices "
        f"(median of {results['experience.effect.reads']}; {results['experience.effect.measured']} "
        f"measured, {results['experience.effect.floor_mismatches']} differ from the floor)",
        f"{effect:.3f} s (CPU {results['experience.effect.cpu_seconds']:.3f})",
        f"{results['experience.effect.floor_seconds']:.3f} s "
        f"(CPU {results['experience.effect.floor_cpu_seconds']:.3f})",
        f"{results['experience.effect.ratio_to_floor']:.1f}",
        suite._verdict(effect < TARGET_EFFECT_SECONDS, f"< {TARGET_EFFECT_SECONDS:.0f} s"),
    )
    root_ms = results["reserves.root.ms"]
    table.add_row(
        f"the root's reserve figures (median of {results['reserves.root.reads']}; "
        f"{results['reserves.root.proposed']:,} proposed, {results['reserves.root.members']:,} "
        "members)",
        f"{root_ms:.2f} ms",
        f"{results['reserves.root.floor_ms']:.2f} ms",
        f"{results['reserves.root.ratio_to_floor']:.1f}",
        suite._verdict(root_ms < TARGET_RESERVES_MS, f"< {TARGET_RESERVES_MS:.0f} ms"),
    )
    table.add_row(
        "building: ingest · adoptions · reserves (actions)",
        f"{results['experience.ingest_seconds']:.0f} s · {results['experience.adopt_seconds']:.0f}"
        f" s · {results['reserves.seconds']:.0f} s",
        "",
        "",
        "",
    )
    return table


def part(options: ExperienceOptions, console: Console) -> dict:
    """The part on a fresh database of its own (the suite's and `--experience`'s)."""
    with override_settings(DEBUG=False), suite.fresh_database(options.database) as name:
        call_command("migrate", interactive=False, verbosity=0)
        started = time.perf_counter()
        results = measure(options, console)
        results["run.experience_seconds"] = round(time.perf_counter() - started, 1)
        if not options.keep:
            connections.close_all()
            suite.drop_database(options.database, name)
    console.print(render(results))
    return results


def run_alone(options: ExperienceOptions, console: Console | None = None) -> dict:
    """`pacesetter bench --experience`: this part alone; writes var/bench/experience.json."""
    from .machine import describe

    console = console or Console()
    if options.units < generate.MIN_UNITS:
        raise suite.BenchError(f"--units must be at least {generate.MIN_UNITS}")
    results: dict = {**describe(), "database.vendor": options.database}
    results.update(part(options, console))
    output = options.output or suite.bench_dir() / "experience.json"
    output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"results written to {output}")
    return results
