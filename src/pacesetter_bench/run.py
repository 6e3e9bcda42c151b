"""One bench run: fresh database, tree, movement, ingest, floor, national figures, results.

The run repoints Django's default connection at a database of its own before it runs a
single query — a file under `var/bench/` on SQLite, `<name>_bench` on the PostgreSQL server of
DATABASE_URL — so the developer's data is never touched, and the application runs with every
other setting exactly as configured (PRAGMAs, transaction mode).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pacesetter.core.quantities import parse_quantity, to_minor
from pacesetter.figures.selectors import unit_figures
from pacesetter.ledger import aggregates
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import DailyTotal, Report, SubtreeDailyTotal, SubtreePeriodTotal
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement
from pacesetter.units.actions import import_units
from pacesetter.units.models import Unit

from . import drives as drives_bench
from . import flagged, generate, machine, pages
from . import floor as raw
from . import titles as titles_bench

DATABASES = ("sqlite", "postgresql")
TARGET_RATIO = 0.5
TARGET_NATIONAL_MS = 50.0
COUNTY_UNITS = 1_000
COUNTY_REPORTS = 100_000


class BenchError(Exception):
    """The bench cannot run as asked (e.g. PostgreSQL asked for without DATABASE_URL)."""


@dataclass(frozen=True)
class Options:
    # The province: the size `make bench` measures (the nation is --units 100000
    # --reports 10000000 on PostgreSQL, on demand).
    units: int = 10_000
    reports: int = 1_000_000
    batch: int = 10_000
    seed: int = 1
    database: str = "sqlite"
    reads: int = 21
    check: bool = False
    keep: bool = False
    output: Path | None = None
    # `--emulation`: a block's ranking kept current during the ingest (emulation.py)
    emulation: bool = False
    block: int | None = None
    # ... ranked in each ingest's transaction instead of by the ranking follower
    inline_ranking: bool = False
    # Parts of the suite after the province: the county, and the emulation bench.
    county: bool = True
    ranking: bool = True
    # ... and the experience and reserves bench (experience.py).
    experience: bool = True
    # ... and the voices bench (voices.py).
    voices: bool = True


def bench_dir() -> Path:
    path = Path(settings.VAR_DIR) / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the database ----------------------------------------------------------------------------


@contextmanager
def fresh_database(database: str) -> Iterator[str]:
    """Point the default connection at a new, empty database for the duration; yield its
    name. The configured database must be of the asked vendor: on SQLite the bench keeps its
    PRAGMAs, on PostgreSQL its server and credentials."""
    default = connections["default"]
    if database not in DATABASES:
        raise BenchError(f"--database must be one of {', '.join(DATABASES)}")
    if default.vendor != database:
        hint = (
            "unset DATABASE_URL to bench the embedded SQLite"
            if database == "sqlite"
            else "set DATABASE_URL=postgresql://user@host:port/name"
        )
        raise BenchError(
            f"--database {database} but the configured database is {default.vendor}: {hint}"
        )
    original = default.settings_dict["NAME"]
    connections.close_all()
    if database == "sqlite":
        name = str(bench_dir() / "bench.sqlite3")
        raw.remove_sqlite(Path(name))
    else:
        name = f"{original}_bench"
        with default._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    # The settings dict is shared with connections.settings, so any new connection (and the
    # one re-opened after close_all) goes to the bench database.
    default.settings_dict["NAME"] = name
    try:
        yield name
    finally:
        connections.close_all()
        default.settings_dict["NAME"] = original


def drop_database(database: str, name: str) -> None:
    if database == "sqlite":
        raw.remove_sqlite(Path(name))
    else:
        with connections["default"]._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


# --- the movement ----------------------------------------------------------------------------


@dataclass
class Setup:
    tree: generate.Tree
    root: Unit
    movement: Movement
    days: list[dt.date]
    tree_seconds: float


def build(options: Options) -> Setup:
    """The tree through the real import, and a launched movement over last year (report days
    in the future are refused) with monthly periods and a national plan."""
    tree = generate.tree(options.units)
    started = time.perf_counter()
    import_units(rows=tree.rows)
    tree_seconds = time.perf_counter() - started
    root = Unit.objects.get(code=tree.root_code)
    year = timezone.now().year - 1
    movement = movements.create_movement(
        title="Bench movement",
        slug="bench",
        organiser=root,
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
    )
    for spec in generate.INDICATORS:
        movements.add_indicator(movement=movement, **spec)
    movements.add_monthly_periods(movement=movement)
    movements.set_plans(
        movement=movement,
        rows=[
            movements.PlanRow(
                unit_code=root.code, indicator=spec["code"], planned=options.reports * 20
            )
            for spec in generate.INDICATORS
        ],
    )
    movement = movements.launch_movement(movement=movement)
    days = generate.days_of(movement.starts_on, movement.ends_on)
    return Setup(tree, root, movement, days, tree_seconds)


# --- ingest and floor ------------------------------------------------------------------------


def batches(rows: Sequence, size: int) -> list[Sequence]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def floor_input(
    setup: Setup, chunks: Sequence[Sequence[ReportRow]]
) -> tuple[raw.Grouping, list[list[tuple]]]:
    """The generated rows resolved to stored values, outside the clock: the floor starts
    from what the real path has only after validation."""
    movement = setup.movement
    unit_ids = dict(Unit.objects.values_list("code", "pk"))
    lineage = aggregates.lineages(dict(Unit.objects.values_list("pk", "path")))
    indicators = {i.code: i for i in movement.indicators.all()}
    periods = list(movement.periods.all())
    sqlite = connection.vendor == "sqlite"
    day_values = {day.isoformat(): day.isoformat() if sqlite else day for day in setup.days}
    grouping = raw.Grouping(
        parent={pk: ids[-2] for pk, ids in lineage.items() if len(ids) > 1},
        depth={pk: len(ids) - 1 for pk, ids in lineage.items()},
        periods={
            day_values[day.isoformat()]: [p.pk for p in periods if p.starts_on <= day <= p.ends_on]
            for day in setup.days
        },
    )
    now = timezone.now()
    entered_at = connection.ops.adapt_datetimefield_value(now) if sqlite else now
    resolved = []
    for chunk in chunks:
        rows = []
        for row in chunk:
            indicator = indicators[row.indicator]
            minor = to_minor(
                parse_quantity(row.quantity, indicator.decimal_places), indicator.decimal_places
            )
            stored = {
                "movement_id": movement.pk,
                "unit_id": unit_ids[row.unit],
                "member_id": None,
                "indicator_id": indicator.pk,
                "day": day_values[str(row.day)],
                "quantity_minor": minor,
                "source": Report.Source.IMPORT.value,
                "entered_by_id": None,
                "entered_at": entered_at,
                "idempotency_key": row.idempotency_key,
                "verification": Report.Verification.UNVERIFIED.value,
                "corrects_id": None,
                "reason": "",
            }
            rows.append(tuple(stored[column] for column in raw.REPORT_COLUMNS))
        resolved.append(rows)
    return grouping, resolved


FLOOR_SCHEMA = "bench_floor"


def open_floor(grouping: raw.Grouping) -> raw.SqliteFloor | raw.PostgresqlFloor:
    """The floor's own database beside the bench's: a second SQLite file with the same
    PRAGMAs, or a schema of the bench database on PostgreSQL."""
    if connection.vendor == "sqlite":
        return raw.SqliteFloor(
            path=bench_dir() / "floor.sqlite3",
            init_command=connection.settings_dict.get("OPTIONS", {}).get("init_command", ""),
            grouping=grouping,
        )
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return raw.PostgresqlFloor(
        connect=lambda: psycopg.connect(**params), schema=FLOOR_SCHEMA, grouping=grouping
    )


@dataclass
class Timings:
    created: int = 0
    seconds: float = 0.0
    floor_reports: int = 0
    floor_seconds: float = 0.0
    unflagged_seconds: float = 0.0  # the same batches to a twin with every flag off
    # Per batch: (reports, real seconds, floor seconds), to show how rates change as the
    # database grows.
    batches: list[tuple[int, float, float]] = field(default_factory=list)

    def tenths(self) -> dict[str, float]:
        """Rates over the first and the last tenth of the batches (at least one each)."""
        count = max(1, len(self.batches) // 10)
        rates = {}
        for name, part in (("first", self.batches[:count]), ("last", self.batches[-count:])):
            reports = sum(row[0] for row in part)
            rates[f"{name}_tenth_per_s"] = round(reports / sum(row[1] for row in part), 1)
            rates[f"floor_{name}_tenth_per_s"] = round(reports / sum(row[2] for row in part), 1)
        return rates


def ingest_and_floor(
    movement: Movement,
    chunks: Sequence[Sequence[ReportRow]],
    floor_batches: Sequence[Sequence[tuple]],
    floor: raw.SqliteFloor | raw.PostgresqlFloor,
    advance: Callable[[int], None],
    twin: Movement | None = None,
) -> Timings:
    """Every batch through the real action (as a file import sends it) and, right beside it,
    the same batch through the floor (and, with `twin`, to the twin movement whose flags are
    off: flagged.py). Interleaving keeps the measurements under the same conditions —
    database sizes, caches, whatever else the machine is doing — and which goes first
    rotates, so none always finds the CPU caches warm."""
    timings = Timings()

    def real(chunk: Sequence[ReportRow], to: Movement = movement) -> float:
        started = time.perf_counter()
        result = record_reports(
            movement=to, rows=chunk, source=Report.Source.IMPORT, return_ids=False
        )
        seconds = time.perf_counter() - started
        if to is movement:
            timings.seconds += seconds
            timings.created += result.created
        else:
            timings.unflagged_seconds += seconds
        return seconds

    def bare(rows: Sequence[tuple]) -> float:
        started = time.perf_counter()
        floor.load(rows)
        seconds = time.perf_counter() - started
        timings.floor_seconds += seconds
        timings.floor_reports += len(rows)
        return seconds

    for number, (chunk, rows) in enumerate(zip(chunks, floor_batches, strict=True)):
        steps = [("real", real, chunk, movement), ("floor", bare, rows, None)]
        if twin is not None:
            steps.append(("twin", real, chunk, twin))
        shift = number % len(steps)
        measured = {
            name: step(batch, to) if to else step(batch)
            for name, step, batch, to in steps[shift:] + steps[:shift]
        }
        timings.batches.append((len(chunk), measured["real"], measured["floor"]))
        advance(len(chunk))
    return timings


# --- reads and checks ------------------------------------------------------------------------


def national_figures(root: Unit, movement: Movement, reads: int) -> tuple[float, int]:
    """Median milliseconds of `reads` reads of the root's figures, and the queries one takes."""
    timings = []
    for _ in range(reads):
        started = time.perf_counter()
        unit_figures(unit=root, movement=movement)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        unit_figures(unit=root, movement=movement)
    return statistics.median(timings), len(queries.captured_queries)


# The real aggregate tables beside their bare twins of the floor, in the floor's order.
_AGGREGATE_PAIRS = [
    (model, table, key)
    for model, (table, (key, _type)) in zip(
        (DailyTotal, SubtreeDailyTotal, SubtreePeriodTotal),
        raw.AGGREGATE_TABLES.items(),
        strict=True,
    )
]


def floor_differences(database_name: str, movement_id: int) -> int:
    """Rows that differ between the real aggregates of the movement and the floor's (both
    ways): zero when the floor did the same aggregate work."""
    columns = (
        "unit_id, indicator_id, {key}, quantity_minor, verified_minor, entries, verified_entries"
    )
    queries = []
    for model, table, key in _AGGREGATE_PAIRS:
        real = (
            f"SELECT {columns.format(key=key)} FROM {model._meta.db_table} WHERE indicator_id IN"
            f" (SELECT id FROM movements_indicator WHERE movement_id = {int(movement_id)})"
        )
        floor_table = (
            f"floor.{table}" if connection.vendor == "sqlite" else f"{FLOOR_SCHEMA}.{table}"
        )
        bare = f"SELECT {columns.format(key=key)} FROM {floor_table}"
        queries += [
            f"SELECT count(*) FROM ({real} EXCEPT {bare}) AS d",
            f"SELECT count(*) FROM ({bare} EXCEPT {real}) AS d",
        ]
    if connection.vendor == "sqlite":
        plain = sqlite3.connect(database_name)
        try:
            plain.execute("ATTACH DATABASE ? AS floor", (str(bench_dir() / "floor.sqlite3"),))
            return sum(plain.execute(sql).fetchone()[0] for sql in queries)
        finally:
            plain.close()
    with connection.cursor() as cursor:
        total = 0
        for sql in queries:
            cursor.execute(sql)
            total += cursor.fetchone()[0]
        return total


def _git_commit() -> str | None:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


# --- the run ---------------------------------------------------------------------------------


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def run(options: Options, console: Console | None = None) -> dict[str, object]:
    """The bench suite; returns the results (flat dotted keys) and writes them as JSON.

    At the default sizes: a province (10,000 units, 1,000,000 reports) ingested against the
    floor, with the national figures, the pages, the titles and the drives on it; then a
    county (1,000 units, 100,000 reports) ingested against the floor on a database of its
    own; then the emulation bench (a block of 10,000 ranked while 1,000,000 reports arrive);
    then the experience and reserves bench (100 practices, 10,000 adoptions and 20,000
    reserves on a tree of 10,000). A smaller run (the smoke test) scales the county, the block
    and the experience part down with it."""
    console = console or Console()
    if options.emulation:
        from . import emulation

        return emulation.run(options, console)
    if options.batch < 1 or options.reports < 1:
        raise BenchError("--reports and --batch must be positive")
    if options.units < generate.MIN_UNITS:
        raise BenchError(f"--units must be at least {generate.MIN_UNITS} for a 5-level tree")
    started = time.perf_counter()
    results: dict[str, object] = {
        "run.started_at": timezone.now().isoformat(timespec="seconds"),
        "run.git_commit": _git_commit(),
        **machine.describe(),
        "bench.units": options.units,
        "bench.reports": options.reports,
        "bench.batch": options.batch,
        "bench.seed": options.seed,
        "bench.indicators": len(generate.INDICATORS),
        "targets.ratio_to_floor": TARGET_RATIO,
        "targets.national_ms": TARGET_NATIONAL_MS,
    }
    results.update(_part(options, console, whole=True))
    console.print(render(results))
    county_started = time.perf_counter()
    if options.county:
        county = replace(
            options,
            units=max(generate.MIN_UNITS, min(COUNTY_UNITS, options.units // 10)),
            reports=max(options.batch, min(COUNTY_REPORTS, options.reports // 10)),
            check=False,
        )
        measured = _part(county, console, whole=False)
        measured.update({"bench.units": county.units, "bench.reports": county.reports})
        results.update({f"county.{key}": value for key, value in measured.items()})
        console.print(render(results, prefix="county."))
    results["run.county_seconds"] = round(time.perf_counter() - county_started, 1)
    ranking_started = time.perf_counter()
    if options.ranking:
        from . import emulation

        # The full block at the province size and above; a quarter of a smaller tree.
        block = (
            emulation.FULL_BLOCK
            if options.units >= Options.units
            else min(emulation.FULL_BLOCK, max(50, options.units // 4))
        )
        ranked = emulation.measure(replace(options, block=block), console)
        results.update(ranked)
        console.print(emulation.render({**results, **ranked}))
    results["run.ranking_seconds"] = round(time.perf_counter() - ranking_started, 1)
    experience_started = time.perf_counter()
    if options.experience:
        from . import experience

        # The full part at the province size; scaled down with a smaller tree (the smoke test).
        results.update(
            experience.part(
                experience.ExperienceOptions(
                    units=options.units,
                    reports=options.reports,
                    practices=min(experience.PRACTICES, max(5, options.units // 100)),
                    adoptions=min(experience.ADOPTIONS, options.units),
                    reserves=min(experience.RESERVES, options.units * 2),
                    batch=options.batch,
                    seed=options.seed,
                    reads=min(options.reads, experience.READS),
                    database=options.database,
                    keep=options.keep,
                ),
                console,
            )
        )
    results["run.experience_seconds"] = round(time.perf_counter() - experience_started, 1)
    voices_started = time.perf_counter()
    if options.voices:
        from . import voices

        # The full part at the province size; a voice per ten reports with a smaller tree
        # (the smoke test).
        count = voices.VOICES if options.units >= Options.units else max(100, options.reports // 10)
        results.update(
            voices.part(
                voices.VoicesOptions(
                    units=options.units,
                    voices=count,
                    overdue=min(voices.OVERDUE, count // 10),
                    batch=options.batch,
                    seed=options.seed,
                    reads=options.reads,
                    database=options.database,
                    keep=options.keep,
                ),
                console,
            )
        )
    results["run.voices_seconds"] = round(time.perf_counter() - voices_started, 1)
    results["run.seconds"] = round(time.perf_counter() - started, 1)
    output = options.output or bench_dir() / "results.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    write_merged(output, results, options.database)
    console.print(
        f"the whole bench took {results['run.seconds'] / 60:.1f} min (province: ingest, floor, "
        f"figures and pages {results['run.province_seconds'] / 60:.1f}, titles and drives "
        f"{results['run.titles_drives_seconds'] / 60:.1f}; county "
        f"{results['run.county_seconds'] / 60:.1f}; emulation "
        f"{results['run.ranking_seconds'] / 60:.1f}; experience and reserves "
        f"{results['run.experience_seconds'] / 60:.1f}; voices "
        f"{results['run.voices_seconds'] / 60:.1f}); results written to {output}"
    )
    return results


# Keys that name their database already (ingest.sqlite.*, load.postgresql.*) or are the
# machine's: kept as they are whichever database a run measured.
_SHARED_KEYS = ("ingest.", "load.", "machine.")


def write_merged(
    output: Path,
    results: dict[str, object],
    database: str,
    *,
    defaults: dict[str, object] | None = None,
) -> None:
    """Merge a run into `output` (results.json), so that `make bench`, `make load` and a
    PostgreSQL run of the suite sit side by side: a PostgreSQL run's keys are written under
    `postgresql.` (`postgresql.figures.national.ms`) unless they name their database already
    (`ingest.postgresql.ratio_to_floor`); a SQLite run's keys as they are. `defaults` are
    written only where the file has no such key yet."""
    if database != "sqlite":
        results = {
            key if key.startswith(_SHARED_KEYS) else f"{database}.{key}": value
            for key, value in results.items()
        }
    merged = json.loads(output.read_text()) if output.exists() else {}
    merged.update({key: value for key, value in (defaults or {}).items() if key not in merged})
    merged.update(results)
    output.write_text(json.dumps(merged, indent=2, default=str) + "\n")


def _part(options: Options, console: Console, *, whole: bool) -> dict[str, object]:
    """On a fresh database: the tree, the ingest against the floor, the national figures;
    with `whole`, also the pages, the titles and the drives on the same data."""
    results: dict[str, object] = {}
    started = time.perf_counter()
    # Query logging under DEBUG would be measured too; a bench always runs without it.
    with override_settings(DEBUG=False), fresh_database(options.database) as name:
        vendor = options.database
        console.print(
            f"[bold]pacesetter bench[/] · {options.units:,} units, {options.reports:,} reports "
            f"on a fresh database: {name}"
        )
        call_command("migrate", interactive=False, verbosity=0)
        results["database.vendor"] = vendor
        results["database.version"] = database_version()

        with console.status(f"building a tree of {options.units:,} units…"):
            setup = build(options)
            twin = flagged.prepare(setup.movement)
        results["bench.leaf_units"] = len(setup.tree.leaf_codes)
        results["bench.units_per_level"] = list(setup.tree.counts)
        results["bench.days"] = len(setup.days)
        results["tree.seconds"] = round(setup.tree_seconds, 3)
        with console.status(f"generating {options.reports:,} reports…"):
            rows = generate.reports(
                leaf_codes=setup.tree.leaf_codes,
                indicators=generate.INDICATORS,
                count=options.reports,
                days=setup.days,
                seed=options.seed,
            )
            chunks = batches(rows, options.batch)
            grouping, floor_batches = floor_input(setup, chunks)
        # The generated rows are the client's, not the server's: keep the collector from
        # walking millions of them over and over during both measurements.
        gc.collect()
        gc.freeze()

        with _progress(console) as progress, open_floor(grouping) as floor:
            task = progress.add_task("ingest and floor", total=options.reports)
            timings = ingest_and_floor(
                setup.movement,
                chunks,
                floor_batches,
                floor,
                lambda n: progress.advance(task, n),
                twin,
            )
        gc.unfreeze()
        del rows, chunks, floor_batches
        rate = timings.created / timings.seconds
        floor_rate = timings.floor_reports / timings.floor_seconds

        prefix = f"ingest.{vendor}"
        results.update(
            {
                f"{prefix}.reports": timings.created,
                f"{prefix}.seconds": round(timings.seconds, 3),
                f"{prefix}.reports_per_s": round(rate, 1),
                f"{prefix}.floor_seconds": round(timings.floor_seconds, 3),
                f"{prefix}.floor_per_s": round(floor_rate, 1),
                f"{prefix}.ratio_to_floor": round(rate / floor_rate, 3),
                **{f"{prefix}.{name}": value for name, value in timings.tenths().items()},
                **flagged.aggregate_rows(setup.movement),
                **flagged.results(
                    prefix,
                    timings.created,
                    timings.seconds,
                    timings.unflagged_seconds,
                    setup.movement,
                ),
            }
        )
        root = Unit.objects.get(pk=setup.root.pk)
        movement = Movement.objects.get(pk=setup.movement.pk)
        national_ms, national_queries = national_figures(root, movement, options.reads)
        results["figures.national.ms"] = round(national_ms, 2)
        results["figures.national.queries"] = national_queries
        results["figures.national.reads"] = options.reads

        if options.check:
            with console.status("checking: ledger count, rebuild, floor…"):
                results["check.reports_in_ledger"] = Report.objects.filter(
                    movement=movement
                ).count()
                results["check.rebuild_differences"] = len(
                    aggregates.rebuild(movement_id=movement.pk)
                )
                results["check.floor_differences"] = floor_differences(name, movement.pk)
        if whole:
            with console.status(f"pages: adding a unit with {pages.WIDE_CHILDREN:,} children…"):
                wide = pages.add_wide_unit(root, movement, options.seed)
            results.update(pages.page_timings(movement, wide, options.reads))
            results["run.province_seconds"] = round(time.perf_counter() - started, 1)
            extras_started = time.perf_counter()
            # 100,000 persons at the province size, a couple of thousand in the smoke test.
            persons = min(titles_bench.PERSONS, options.units * 10)
            results.update(
                titles_bench.measure(persons=persons, seed=options.seed, console=console)
            )
            # The drives bench at full size is a day of enlistment in every unit and a 500/s
            # burst for 60 s; a smaller tree (the smoke test) gets a proportionally smaller
            # one, never under 20/s for 3 s.
            share = min(1.0, options.units / Options.units)
            results.update(
                drives_bench.measure(
                    seed=options.seed,
                    console=console,
                    units=min(drives_bench.UNITS, options.units),
                    rate=max(20, round(drives_bench.RATE * share)),
                    seconds=max(3, round(drives_bench.SECONDS * share)),
                )
            )
            results["run.titles_drives_seconds"] = round(time.perf_counter() - extras_started, 1)
        if not options.keep:
            connections.close_all()
            drop_database(vendor, name)
            if vendor == "sqlite":
                raw.remove_sqlite(bench_dir() / "floor.sqlite3")
    return results


def render(all_results: dict[str, object], prefix: str = "") -> Table:
    """The figures as a table, the machine and the database in the caption; `prefix` picks
    a part of the suite (`county.`)."""
    results = all_results
    if prefix:
        results = {
            **{k: v for k, v in all_results.items() if k.startswith(("machine.", "bench.batch"))},
            **{k.removeprefix(prefix): v for k, v in all_results.items() if k.startswith(prefix)},
        }
    vendor = results["database.vendor"]
    prefix = f"ingest.{vendor}"
    table = Table(
        title=f"pacesetter bench · {results['bench.reports']:,} reports, "
        f"{results['bench.units']:,} units, batches of {results['bench.batch']:,}",
        caption=(
            f"{results['machine.cpu']} · {results['machine.cores']} cores · "
            f"{results['machine.ram_gb']} GB RAM · {results['database.version']} · "
            f"Python {results['machine.python']}"
        ),
    )
    for column, justify in (
        ("measure", "left"),
        ("reports", "right"),
        ("seconds", "right"),
        ("reports/s", "right"),
        ("target", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    ratio = float(results[f"{prefix}.ratio_to_floor"])  # type: ignore[arg-type]
    national = float(results["figures.national.ms"])  # type: ignore[arg-type]
    table.add_row(
        "ingest, real path (aggregates included)",
        f"{results[f'{prefix}.reports']:,}",
        f"{results[f'{prefix}.seconds']:.1f}",
        f"{results[f'{prefix}.reports_per_s']:,.0f}",
        "",
    )
    table.add_row(
        "floor, raw driver (same upserts)",
        f"{results[f'{prefix}.reports']:,}",
        f"{results[f'{prefix}.floor_seconds']:.1f}",
        f"{results[f'{prefix}.floor_per_s']:,.0f}",
        "",
    )
    for label, name in (("real", ""), ("floor", "floor_")):
        table.add_row(
            f"  {label}: first → last tenth of the batches",
            "",
            "",
            f"{results[f'{prefix}.{name}first_tenth_per_s']:,.0f} → "
            f"{results[f'{prefix}.{name}last_tenth_per_s']:,.0f}",
            "",
        )
    table.add_row(
        "ratio real / floor",
        "",
        "",
        f"{ratio:.2f}",
        _verdict(ratio >= TARGET_RATIO, f"≥ {TARGET_RATIO}"),
    )
    flagged.add_rows(table, results, prefix, _verdict)
    table.add_row(
        f"national figures (median of {results['figures.national.reads']} reads, "
        f"{results['figures.national.queries']} queries)",
        "",
        f"{national:.1f} ms",
        "",
        _verdict(national < TARGET_NATIONAL_MS, f"< {TARGET_NATIONAL_MS:.0f} ms"),
    )
    for name, label in pages.PAGES:
        if f"pages.{name}.ms" in results:
            page_ms = float(results[f"pages.{name}.ms"])  # type: ignore[arg-type]
            table.add_row(
                f"{label} render (median of {results['pages.reads']} requests, "
                f"{results[f'pages.{name}.queries']} queries)",
                "",
                f"{page_ms:.1f} ms",
                "",
                _verdict(page_ms < pages.TARGET_PAGE_MS, f"< {pages.TARGET_PAGE_MS:.0f} ms"),
            )
    for key in ("check.reports_in_ledger", "check.rebuild_differences", "check.floor_differences"):
        if key in results:
            table.add_row(
                key.removeprefix("check.").replace("_", " "), f"{results[key]:,}", "", "", ""
            )
    return table


def _verdict(met: bool, target: str) -> str:
    return f"[green]met[/] ({target})" if met else f"[red]missed[/] ({target})"
