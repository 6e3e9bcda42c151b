"""The drives bench.

1. Daily enlistment at national scale: 100,000 reporting units × 2 roles, one day's returns
   through the real action (`drives.actions.report_enlistment`, which records 200,000 ledger
   reports through `record_reports` and marks coverage), then the time to serve the national
   daily total (one indexed read) and the national enlistment overview (with coverage).
2. A sign-up burst against the running server on loopback: `pacesetter serve` (gunicorn) on
   the bench database, an open-loop load of RATE sign-ups a second for SECONDS seconds to the
   public sign-up endpoint (one sign-up per request, as a person's form sends), a share of
   them sent twice with the same idempotency key (a retry). Bounded: requests are scheduled
   for SECONDS, then the bench waits at most DRAIN seconds for the last answers and stops the
   server. Latency is measured from each request's *scheduled* time, so a server that falls
   behind shows it (no coordinated omission). Afterwards the database is checked: every
   answered sign-up is there once, nothing else is, and every retry got the first code back.
   On Linux it also reads the CPU time the server's processes and the client used, per
   request sent: when the server is out of CPU, that says what one sign-up costs it.

`make bench` runs it after the ledger and titles benches, in the same fresh database;
`pacesetter bench --drives` runs it alone.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from pacesetter.drives import actions as drives
from pacesetter.drives import selectors
from pacesetter.drives.models import SignUp
from pacesetter.movements import actions as movements
from pacesetter.units.actions import UnitRow, import_units
from pacesetter.units.models import Unit

from .server import serve, stop

UNITS = 100_000
RATE = 500
SECONDS = 60
DRAIN = 30
RETRY_SHARE = 0.02
THREADS = 96
READS = 21


# --- daily enlistment -------------------------------------------------------------------------


def _tree(prefix: str, units: int) -> list[UnitRow]:
    """A country, 10 provinces, 100 counties and `units` posts that report (kind "post")."""
    rows = [UnitRow(prefix, "Drives bench country", "country")]
    rows += [UnitRow(f"{prefix}-P{p}", f"Province {p}", "province", prefix) for p in range(10)]
    rows += [
        UnitRow(f"{prefix}-C{c}", f"County {c}", "county", f"{prefix}-P{c % 10}")
        for c in range(100)
    ]
    rows += [
        UnitRow(f"{prefix}-U{u}", f"Post {u}", "post", f"{prefix}-C{u % 100}") for u in range(units)
    ]
    return rows


def enlistment(*, seed: int, units: int, console: Console) -> dict:
    rng = random.Random(seed)
    prefix = f"DBENCH{seed}"
    started = time.perf_counter()
    with console.status(f"drives: a tree of {units:,} reporting units…"):
        import_units(rows=_tree(prefix, units))
    tree_seconds = time.perf_counter() - started
    root = Unit.objects.get(code=prefix)
    today = timezone.now().date()
    movement = movements.create_movement(
        title="Drives bench: daily enlistment",
        slug=f"drives-bench-enlistment-{seed}",
        organiser=root,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=1),
    )
    drive = drives.create_enlistment_drive(
        movement=movement,
        reporting_kind="post",
        roles=[("medical", "Medical workers"), ("hygiene", "Hygiene activists")],
    )
    movements.launch_movement(movement=movement)
    rows = [
        drives.EnlistmentRow(
            unit=f"{prefix}-U{u}",
            day=today,
            counts={"medical": rng.randint(0, 3), "hygiene": rng.randint(0, 25)},
        )
        for u in range(units)
    ]
    expected = {
        "medical": sum(r.counts["medical"] for r in rows),
        "hygiene": sum(r.counts["hygiene"] for r in rows),
    }
    with console.status(f"drives: one day of returns from {units:,} units × 2 roles…"):
        started = time.perf_counter()
        result = drives.report_enlistment(drive=drive, rows=rows, source="cli")
        seconds = time.perf_counter() - started
    drive.refresh_from_db()
    timings = []
    for _ in range(READS):
        started = time.perf_counter()
        total = selectors.national_daily_total(drive=drive, day=today)
        timings.append((time.perf_counter() - started) * 1000)
    overview_timings = []
    for _ in range(3):
        started = time.perf_counter()
        overview = selectors.enlistment_overview(drive=drive, unit=root, day=today)
        overview_timings.append((time.perf_counter() - started) * 1000)
    return {
        "drives.enlistment.units": units,
        "drives.enlistment.tree_seconds": round(tree_seconds, 2),
        "drives.enlistment.reports": result.reports,
        "drives.enlistment.seconds": round(seconds, 2),
        "drives.enlistment.reports_per_s": round(result.reports / seconds, 1),
        "drives.enlistment.national_total_ms": round(statistics.median(timings), 3),
        "drives.enlistment.national_total_correct": total == expected,
        "drives.enlistment.overview_ms": round(statistics.median(overview_timings), 1),
        "drives.enlistment.coverage": str(overview.today.coverage),
    }


# --- the sign-up burst ------------------------------------------------------------------------


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK") if total else 0.0


def _server_pids(server: subprocess.Popen) -> list[int]:
    """The gunicorn master and its workers."""
    pids = [server.pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def _warm(port: int, path: str) -> None:
    """A few reads at once, so every worker has loaded the URLs and views (on its first
    request) before the burst: the burst measures a running server, not its start."""

    def read() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()

    for _ in range(3):
        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _open_call(seed: int, homes: list[str]):
    root = Unit.objects.get(code=f"DBENCH{seed}")
    today = timezone.now().date()
    movement = movements.create_movement(
        title="Drives bench: a public volunteer call",
        slug=f"drives-bench-call-{seed}",
        organiser=root,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=2),
        is_public=True,
    )
    call = drives.create_volunteer_call(
        movement=movement,
        quota=10_000_000,
        opens_at=timezone.now() - dt.timedelta(hours=1),
        closes_at=timezone.now() + dt.timedelta(days=1),
        asks_gender=True,
    )
    movements.launch_movement(movement=movement)
    return call


def burst(*, seed: int, rate: int, seconds: int, console: Console) -> dict:
    homes = [f"DBENCH{seed}-P{p}" for p in range(10)]
    call = _open_call(seed, homes)
    total = rate * seconds
    rng = random.Random(seed)
    retried = set(rng.sample(range(total), int(total * RETRY_SHARE)))
    # The schedule: request i at i / rate seconds; a retry follows its first send 0.5 s later.
    plan = sorted(
        [(i / rate, i, False) for i in range(total)] + [(i / rate + 0.5, i, True) for i in retried]
    )
    bodies = [
        json.dumps(
            {
                "signups": [
                    {
                        "unit": homes[i % len(homes)],
                        "full_name": f"Burst volunteer {i}",
                        "contact": f"+850-{seed}-{i:08d}",
                        "gender": "female" if i % 3 == 0 else "male",
                        "idempotency_key": f"bench:{seed}:{i}",
                    }
                ]
            }
        ).encode()
        for i in range(total)
    ]
    path = f"/api/v1/movements/{call.movement.slug}/volunteers/signups"
    connections.close_all()  # the server's workers write; this process only reads afterwards
    var = Path(tempfile.mkdtemp(prefix="drives-bench-"))
    with console.status("drives: starting the server…"):
        server, port = serve(var, ready_path="/drives/", env={"RATE_LIMIT_WRITES_PER_IP": "0"})
        _warm(port, f"/api/v1/movements/{call.movement.slug}/volunteers")
    server_pids = _server_pids(server)
    lock = threading.Lock()
    cursor = {"next": 0}
    latencies: list[float] = []
    service: list[float] = []
    codes: dict[int, str] = {}
    retry_codes: dict[int, str] = {}
    failures: dict[str, int] = {}
    stop_at = [0.0]

    def worker() -> None:
        while True:
            with lock:
                index = cursor["next"]
                if index >= len(plan):
                    return
                cursor["next"] += 1
            offset, i, is_retry = plan[index]
            due = start + offset
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if time.perf_counter() > stop_at[0]:
                with lock:
                    failures["not sent (drain time over)"] = (
                        failures.get("not sent (drain time over)", 0) + 1
                    )
                continue
            sent = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DRAIN)
                conn.request("POST", path, bodies[i], {"Content-Type": "application/json"})
                response = conn.getresponse()
                body = response.read()
                conn.close()
                status = response.status
            except OSError as exc:
                status, body = 0, str(exc).encode()
            done = time.perf_counter()
            with lock:
                latencies.append(done - due)
                service.append(done - sent)
                if status in (200, 201):
                    code = json.loads(body)["codes"][0]
                    (retry_codes if is_retry else codes)[i] = code
                else:
                    key = f"HTTP {status}" if status else "connection error"
                    failures[key] = failures.get(key, 0) + 1

    console.print(
        f"drives: sign-up burst, {rate:,}/s for {seconds} s ({total:,} sign-ups, "
        f"{len(retried):,} retries) against gunicorn on 127.0.0.1:{port}"
    )
    start = time.perf_counter() + 1.0
    stop_at[0] = start + seconds + DRAIN
    server_cpu = _cpu_seconds(server_pids)
    client_cpu = time.process_time()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + DRAIN + 60)
    elapsed = time.perf_counter() - start
    server_cpu = _cpu_seconds(server_pids) - server_cpu
    client_cpu = time.process_time() - client_cpu
    stop(server)
    stored = dict(SignUp.objects.filter(call=call).values_list("idempotency_key", "code"))
    answered = {f"bench:{seed}:{i}": code for i, code in codes.items()}
    lost = sum(1 for key, code in answered.items() if stored.get(key) != code)
    retry_mismatch = sum(
        1 for i, code in retry_codes.items() if stored.get(f"bench:{seed}:{i}") != code
    )
    identities = SignUp.objects.filter(call=call).values("identity").distinct().count()
    call.refresh_from_db()
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {
        "drives.burst.rate_asked": rate,
        "drives.burst.seconds_asked": seconds,
        "drives.burst.sent": len(latencies),
        "drives.burst.accepted": len(codes),
        "drives.burst.retries_answered": len(retry_codes),
        "drives.burst.failures": failures,
        "drives.burst.achieved_per_s": round(len(codes) / max(elapsed, 1e-9), 1),
        "drives.burst.elapsed_seconds": round(elapsed, 1),
        "drives.burst.latency_ms.p50": percentile(0.50) if ordered else None,
        "drives.burst.latency_ms.p90": percentile(0.90) if ordered else None,
        "drives.burst.latency_ms.p95": percentile(0.95) if ordered else None,
        "drives.burst.latency_ms.p99": percentile(0.99) if ordered else None,
        "drives.burst.latency_ms.max": round(ordered[-1] * 1000, 1) if ordered else None,
        "drives.burst.service_ms.p50": round(statistics.median(service) * 1000, 1)
        if service
        else None,
        "drives.burst.server_cpu_ms_per_request": round(server_cpu * 1000 / len(latencies), 2)
        if latencies and server_cpu
        else None,
        "drives.burst.client_cpu_ms_per_request": round(client_cpu * 1000 / len(latencies), 2)
        if latencies
        else None,
        "drives.burst.stored": len(stored),
        "drives.burst.lost": lost,
        "drives.burst.unanswered_but_stored": len(set(stored) - set(answered)),
        "drives.burst.duplicated": len(stored) - identities,
        "drives.burst.retry_code_mismatch": retry_mismatch,
        "drives.burst.counter_matches": call.active_count == len(stored),
    }


# --- running it -------------------------------------------------------------------------------


def measure(
    *,
    seed: int,
    console: Console,
    units: int = UNITS,
    rate: int = RATE,
    seconds: int = SECONDS,
) -> dict:
    results = enlistment(seed=seed, units=units, console=console)
    results.update(burst(seed=seed, rate=rate, seconds=seconds, console=console))
    console.print(render(results))
    return results


def render(results: dict) -> Table:
    table = Table(title="Drives", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in results.items():
        table.add_row(key.removeprefix("drives."), str(value))
    return table


def run_alone(
    *,
    database: str,
    seed: int,
    keep: bool,
    output: Path | None,
    units: int = UNITS,
    rate: int = RATE,
    seconds: int = SECONDS,
    console: Console | None = None,
) -> dict:
    """`pacesetter bench --drives`: the drives bench alone, on a fresh database."""
    from .machine import describe
    from .run import bench_dir, drop_database, fresh_database

    console = console or Console()
    results: dict = {**describe(), "database.vendor": database}
    with fresh_database(database) as name:
        call_command("migrate", interactive=False, verbosity=0)
        results.update(measure(seed=seed, console=console, units=units, rate=rate, seconds=seconds))
        if not keep:
            connections.close_all()
            drop_database(database, name)
    output = output or bench_dir() / "drives.json"
    output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"results written to {output}")
    return results
