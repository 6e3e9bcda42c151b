"""Load on loopback: `pacesetter bench --load`.

The server as `make run` starts it (`pacesetter serve`: gunicorn, WEB_CONCURRENCY workers) on a
fresh bench database holding a generated county (1,000 units, 100,000 reports ingested through
the real action first), driven over 127.0.0.1 by an open-loop client:

- single-report POSTs to /api/v1/movements/bench/reports at a stepped rate (RATES, STEP_SECONDS
  each), every report with its own idempotency key, as a field app sends them;
- alongside, a bulk uploader (BULK_ROWS reports in one call every BULK_EVERY seconds) and
  dashboard readers (READS_PER_S requests a second, alternating the movement's dashboard page
  for a signed-in organiser and the figures API for the root unit).

Open loop: request i of a step is due at i / rate seconds whatever happened to the others, and
its latency counts from that due time, so a server that falls behind shows it (no coordinated
omission). The steps stop at the first whose single-report p95 passes TARGET_P95_MS or that
saw an error; the highest rate held is the last step before it. Bounded: each step sends for
STEP_SECONDS and waits at most DRAIN seconds for its last answers.

Afterwards the server is stopped and the database checked: every accepted report is in the
ledger once and the aggregates equal the ledger (`ledger.aggregates.rebuild`).

Results go to var/bench/results.json (merged, under `load.sqlite.*` or `load.postgresql.*`).
The per-address and per-token write limits are switched off for the server (one client
address and one token send everything).
"""

from __future__ import annotations

import http.client
import json
import random
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection, connections
from rich.console import Console
from rich.table import Table

from pacesetter.accounts.actions import create_token
from pacesetter.ledger import aggregates
from pacesetter.ledger.actions import MAX_BATCH, record_reports
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Movement

from . import generate
from .server import serve, stop

UNITS = 1_000
REPORTS = 100_000
RATES = (50, 100, 200, 300, 400, 500, 600)  # until one is not held
STEP_SECONDS = 15
TARGET_P95_MS = 250.0
DRAIN = 20
THREADS = 128
BULK_ROWS = 250
BULK_EVERY = 5.0
READS_PER_S = 4
HTTP_TIMEOUT = 30
WARM_UP_ROUNDS = 24


@dataclass(frozen=True)
class LoadOptions:
    database: str = "sqlite"
    units: int = UNITS
    reports: int = REPORTS
    rates: tuple[int, ...] = RATES
    step_seconds: int = STEP_SECONDS
    seed: int = 1
    keep: bool = False
    output: Path | None = None


@dataclass
class Step:
    rate: int
    sent: int = 0
    accepted: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    service: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    bulk_calls: int = 0
    bulk_latencies: list[float] = field(default_factory=list)
    reads: int = 0
    read_latencies: list[float] = field(default_factory=list)

    def percentile(self, p: float, values: Sequence[float] | None = None) -> float | None:
        ordered = sorted(self.latencies if values is None else values)
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def held(self) -> bool:
        p95 = self.percentile(0.95)
        return self.error_count == 0 and p95 is not None and p95 <= TARGET_P95_MS

    def summary(self) -> dict[str, object]:
        return {
            "rate": self.rate,
            "sent": self.sent,
            "accepted": self.accepted,
            "achieved_per_s": round(self.accepted / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": self.percentile(0.50),
            "p95_ms": self.percentile(0.95),
            "p99_ms": self.percentile(0.99),
            "max_ms": self.percentile(1.0),
            "service_p50_ms": self.percentile(0.50, self.service),
            "errors": dict(self.errors),
            "bulk_calls": self.bulk_calls,
            "bulk_p95_ms": self.percentile(0.95, self.bulk_latencies),
            "reads": self.reads,
            "read_p50_ms": self.percentile(0.50, self.read_latencies),
            "read_p95_ms": self.percentile(0.95, self.read_latencies),
            "held": self.held,
        }


# --- the data set and the people ---------------------------------------------------------------


@dataclass
class World:
    movement: Movement
    root_code: str
    leaf_codes: list[str]
    token: str
    session: str


def build_world(options: LoadOptions, console: Console) -> World:
    """The county through the real import and ingest; an organiser with a token (the writers')
    and a session (the dashboard readers')."""
    from .run import Options, batches, build

    with console.status(f"load: a county of {options.units:,} units…"):
        setup = build(Options(units=options.units, reports=options.reports, seed=options.seed))
    rows = generate.reports(
        leaf_codes=setup.tree.leaf_codes,
        indicators=generate.INDICATORS,
        count=options.reports,
        days=setup.days,
        seed=options.seed,
    )
    started = time.perf_counter()
    with console.status(f"load: ingesting {options.reports:,} reports…"):
        for chunk in batches(rows, MAX_BATCH):
            record_reports(
                movement=setup.movement, rows=chunk, source=Report.Source.IMPORT, return_ids=False
            )
    console.print(
        f"load: county ready ({options.units:,} units, {options.reports:,} reports ingested "
        f"in {time.perf_counter() - started:.1f} s)"
    )
    organiser, _ = get_user_model().objects.get_or_create(
        username="load-organiser", defaults={"is_superuser": True, "is_staff": True}
    )
    _, token = create_token(user=organiser, name="load", scope="full")
    session = SessionStore()
    session[SESSION_KEY] = str(organiser.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = organiser.get_session_auth_hash()
    session.create()
    return World(
        setup.movement, setup.root.code, list(setup.tree.leaf_codes), token, session.session_key
    )


# --- the client ----------------------------------------------------------------------------------


class Driver:
    """Open-loop requests from a pool of threads; each request on a fresh connection (gunicorn's
    sync workers close every connection after one response)."""

    def __init__(self, port: int, world: World, seed: int):
        self.port = port
        self.world = world
        self.rng = random.Random(f"load-{seed}")
        self.days = [
            day.isoformat()
            for day in generate.days_of(world.movement.starts_on, world.movement.ends_on)
        ]
        self.reports_path = f"/api/v1/movements/{world.movement.slug}/reports"
        self.write_headers = {
            "Authorization": f"Bearer {world.token}",
            "Content-Type": "application/json",
        }
        self.accepted_keys: list[str] = []
        self.lock = threading.Lock()
        self.serial = 0

    def _report(self) -> dict:
        self.serial += 1
        spec = generate.INDICATORS[self.serial % len(generate.INDICATORS)]
        quantity = (
            f"{self.rng.randint(1, 500)}.{self.rng.randint(0, 9)}"
            if spec.get("decimal_places")
            else str(self.rng.randint(1, 50))
        )
        return {
            "unit": self.rng.choice(self.world.leaf_codes),
            "indicator": spec["code"],
            "day": self.rng.choice(self.days),
            "quantity": quantity,
            "idempotency_key": f"load:{self.rng.getrandbits(128):032x}",
        }

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            return 0, str(exc).encode()
        finally:
            conn.close()

    def warm_up(self, rounds: int = WARM_UP_ROUNDS) -> None:
        """A few requests of each kind one after another, not measured: each gunicorn worker
        imports the URLconf, compiles templates and opens its connection on its first
        requests, which would otherwise land in the first step's percentiles."""
        reads = self._reads()
        for _ in range(rounds):
            body = self._report()
            status, _ = self.request(
                "POST", self.reports_path, json.dumps(body).encode(), self.write_headers
            )
            if status == 201:
                self.accepted_keys.append(body["idempotency_key"])
            for path, headers in reads:
                self.request("GET", path, None, headers)

    def _reads(self) -> list[tuple[str, dict[str, str]]]:
        """The dashboard page of the movement as its signed-in organiser sees it, and the
        figures API for the root unit."""
        slug = self.world.movement.slug
        return [
            (f"/movements/{slug}/", {"Cookie": f"sessionid={self.world.session}"}),
            (
                f"/api/v1/movements/{slug}/figures?unit={self.world.root_code}",
                {"Authorization": f"Bearer {self.world.token}"},
            ),
        ]

    def step(self, rate: int, seconds: int) -> Step:
        result = Step(rate)
        total = rate * seconds
        bodies = [json.dumps(self._report()).encode() for _ in range(total)]
        keys = [json.loads(body)["idempotency_key"] for body in bodies]
        cursor = {"next": 0}
        start = time.perf_counter() + 0.5
        stop_at = start + seconds + DRAIN

        def note_error(kind: str) -> None:
            result.errors[kind] = result.errors.get(kind, 0) + 1

        def single_worker() -> None:
            while True:
                with self.lock:
                    index = cursor["next"]
                    if index >= total:
                        return
                    cursor["next"] += 1
                due = start + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                if time.perf_counter() > stop_at:
                    with self.lock:
                        note_error("not sent (drain time over)")
                    continue
                sent = time.perf_counter()
                status, _ = self.request(
                    "POST", self.reports_path, bodies[index], self.write_headers
                )
                done = time.perf_counter()
                with self.lock:
                    result.sent += 1
                    result.latencies.append(done - due)
                    result.service.append(done - sent)
                    if status == 201:
                        result.accepted += 1
                        self.accepted_keys.append(keys[index])
                    else:
                        note_error(f"HTTP {status}" if status else "connection error")

        def bulk_worker() -> None:
            call = 0
            while True:
                due = start + call * BULK_EVERY
                if due >= start + seconds:
                    return
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                rows = [self._report() for _ in range(BULK_ROWS)]
                body = json.dumps({"reports": rows}).encode()
                status, _ = self.request("POST", self.reports_path, body, self.write_headers)
                done = time.perf_counter()
                with self.lock:
                    result.bulk_calls += 1
                    result.bulk_latencies.append(done - due)
                    if status == 201:
                        self.accepted_keys.extend(row["idempotency_key"] for row in rows)
                    else:
                        note_error(f"bulk HTTP {status}" if status else "bulk connection error")
                call += 1

        reads = self._reads()

        def reader() -> None:
            number = 0
            while True:
                due = start + number / READS_PER_S
                if due >= start + seconds:
                    return
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                path, headers = reads[number % len(reads)]
                status, _ = self.request("GET", path, None, headers)
                done = time.perf_counter()
                with self.lock:
                    result.reads += 1
                    result.read_latencies.append(done - due)
                    if status != 200:
                        note_error(f"read HTTP {status}" if status else "read connection error")
                number += 1

        threads = [threading.Thread(target=single_worker, daemon=True) for _ in range(THREADS)]
        threads += [
            threading.Thread(target=bulk_worker, daemon=True),
            threading.Thread(target=reader, daemon=True),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + DRAIN + 60)
        result.elapsed = time.perf_counter() - start
        return result


# --- the run -------------------------------------------------------------------------------------


def measure(options: LoadOptions, console: Console) -> dict[str, object]:
    """Build the county, serve it, step the rate up, check the database; return the results
    (keys `load.<vendor>.*`). Runs inside a fresh bench database (see `run_alone`)."""
    vendor = connection.vendor
    world = build_world(options, console)
    before = Report.objects.count()
    connections.close_all()  # the server's workers write; this process only reads afterwards
    var = Path(tempfile.mkdtemp(prefix="load-bench-"))
    with console.status("load: starting the server (collectstatic, gunicorn)…"):
        server, port = serve(
            var,
            ready_path="/api/v1/openapi.json",
            env={"RATE_LIMIT_WRITES_PER_IP": "0", "RATE_LIMIT_WRITES_PER_TOKEN": "0"},
        )
    driver = Driver(port, world, options.seed)
    with console.status("load: warming the workers up…"):
        driver.warm_up()
    steps: list[Step] = []
    try:
        for rate in options.rates:
            console.print(
                f"load: {rate}/s single reports for {options.step_seconds} s, with a bulk "
                f"upload of {BULK_ROWS:,} every {BULK_EVERY:.0f} s and {READS_PER_S} reads/s…"
            )
            step = driver.step(rate, options.step_seconds)
            steps.append(step)
            summary = step.summary()
            console.print(
                f"  accepted {summary['accepted']:,} of {rate * options.step_seconds:,}; "
                f"p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
                f"p99 {summary['p99_ms']} ms; errors {step.error_count}; "
                f"reads p95 {summary['read_p95_ms']} ms; bulk p95 {summary['bulk_p95_ms']} ms"
            )
            if not step.held:
                break
    finally:
        stop(server)
    with console.status("load: checking the ledger and the aggregates…"):
        stored = Report.objects.count()
        keys = set(driver.accepted_keys)
        missing = len(keys) - Report.objects.filter(idempotency_key__in=list(keys)).count()
        differences = len(aggregates.rebuild())
    held = [step for step in steps if step.held]
    best = held[-1] if held else None
    prefix = f"load.{vendor}"
    results: dict[str, object] = {
        f"{prefix}.reports_per_s": best.rate if best else 0,
        f"{prefix}.achieved_per_s": best.summary()["achieved_per_s"] if best else 0.0,
        f"{prefix}.p50_ms": best.percentile(0.50) if best else None,
        f"{prefix}.p95_ms": best.percentile(0.95) if best else None,
        f"{prefix}.p99_ms": best.percentile(0.99) if best else None,
        f"{prefix}.errors": best.error_count if best else None,
        f"{prefix}.target_p95_ms": TARGET_P95_MS,
        f"{prefix}.step_seconds": options.step_seconds,
        f"{prefix}.units": options.units,
        f"{prefix}.reports_before": before,
        f"{prefix}.steps": [step.summary() for step in steps],
        f"{prefix}.accepted": len(keys),
        f"{prefix}.accepted_missing_from_ledger": missing,
        f"{prefix}.ledger_added": stored - before,
        f"{prefix}.rebuild_differences": differences,
    }
    console.print(render(results, prefix))
    return results


def render(results: dict[str, object], prefix: str) -> Table:
    table = Table(title="Load on loopback (single reports; bulk uploads and reads alongside)")
    for column in ("rate/s", "accepted/s", "p50 ms", "p95 ms", "p99 ms", "errors", "reads p95"):
        table.add_column(column, justify="right")
    table.add_column("held")
    for step in results[f"{prefix}.steps"]:  # type: ignore[union-attr]
        table.add_row(
            str(step["rate"]),
            str(step["achieved_per_s"]),
            str(step["p50_ms"]),
            str(step["p95_ms"]),
            str(step["p99_ms"]),
            str(sum(step["errors"].values())),
            str(step["read_p95_ms"]),
            "[green]yes[/]" if step["held"] else "[red]no[/]",
        )
    table.caption = (
        f"highest rate held: {results[f'{prefix}.reports_per_s']}/s (p95 ≤ {TARGET_P95_MS:.0f} ms, "
        f"no errors) · accepted {results[f'{prefix}.accepted']:,}, missing from the ledger "
        f"{results[f'{prefix}.accepted_missing_from_ledger']} · aggregates vs ledger: "
        f"{results[f'{prefix}.rebuild_differences']} differences"
    )
    return table


def run_alone(options: LoadOptions, console: Console | None = None) -> dict[str, object]:
    """`pacesetter bench --load`: on a fresh bench database; merges the results into
    var/bench/results.json (or `options.output`)."""
    from .machine import describe
    from .run import bench_dir, database_version, drop_database, fresh_database, write_merged

    console = console or Console()
    results: dict[str, object] = {}
    with fresh_database(options.database) as name:
        call_command("migrate", interactive=False, verbosity=0)
        version = database_version()
        results.update(measure(options, console))
        results[f"load.{options.database}.database"] = version
        connections.close_all()
        if not options.keep:
            drop_database(options.database, name)
    output = options.output or bench_dir() / "results.json"
    write_merged(output, results, options.database, defaults=describe())
    console.print(f"results written to {output}")
    return results
