"""The real `pacesetter` script in a subprocess: an import killed with SIGKILL mid-file, then
rerun, counts every row exactly once.

These tests run against their own SQLite database file, never the pytest-django test database
(the ledger refuses DELETE, so a transactional flush of it would fail), whatever DATABASE_URL
the suite runs with.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.conftest import write_csv

PACESETTER = Path(sys.executable).with_name("pacesetter")
ROWS = 60_000
BATCH = 2_000
WORKTEAMS = 200

SETUP = """
import datetime as dt
from pacesetter.movements import actions
from pacesetter.units.models import Unit

movement = actions.create_movement(
    title="Crash drive", slug="crash", organiser=Unit.objects.get(code="KP"),
    starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31),
)
actions.add_indicator(
    movement=movement, code="steel", name="Steel", unit_of_measure="t", decimal_places=1
)
actions.launch_movement(movement=movement)
"""


@dataclass
class Site:
    """A database of its own and the environment that points the script at it."""

    directory: Path
    database: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PACESETTER), *args],
            env=self.env,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def query(self, sql: str) -> tuple:
        # Read-only beside the writer: WAL lets a reader in while a batch is being written.
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)) as db:
            return db.execute(sql).fetchone()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    directory = tmp_path_factory.mktemp("cli-site")
    database = directory / "db.sqlite3"
    env = {
        **os.environ,
        "PACESETTER_VAR": str(directory),
        "DATABASE_URL": f"sqlite:///{database}",
        "COLUMNS": "200",
    }
    site = Site(directory, database, env)
    migrated = site.run("migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    units = write_csv(
        directory / "units.csv",
        [
            ["code", "name", "kind", "parent_code", "headcount"],
            ["KP", "Country", "country", "", ""],
            *[[f"P{p}", f"Province {p}", "province", "KP", ""] for p in range(10)],
            *[[f"W{n}", f"Workteam {n}", "workteam", f"P{n % 10}", "12"] for n in range(WORKTEAMS)],
        ],
    )
    imported = site.run("import-units", str(units))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    made = site.run("shell", "-c", SETUP)
    assert made.returncode == 0, made.stderr
    return site


def generate(path: Path, rows: int) -> int:
    """A reports file of `rows` rows; returns the sum of their quantities in tenths of a t."""
    total = 0
    start = dt.date(2025, 1, 1)
    lines = [["unit", "indicator", "day", "quantity"]]
    for n in range(rows):
        tenths = (n % 97) * 10 + 5
        total += tenths
        day = start + dt.timedelta(days=n % 365)
        lines.append(
            [f"W{n % WORKTEAMS}", "steel", day.isoformat(), f"{tenths // 10}.{tenths % 10}"]
        )
    write_csv(path, lines)
    return total


def summary_figure(out: str, name: str) -> int:
    match = re.search(rf"^\s*{name}\s+([\d,]+)\s*$", out, re.MULTILINE)
    assert match, out
    return int(match.group(1).replace(",", ""))


def test_import_killed_mid_file_then_rerun_counts_every_row_once(site):
    path = site.directory / "reports.csv"
    expected = generate(path, ROWS)
    command = [
        str(PACESETTER),
        "import-reports",
        str(path),
        "--movement",
        "crash",
        "--batch-size",
        str(BATCH),
    ]
    with (site.directory / "killed.log").open("w") as log:
        process = subprocess.Popen(
            command, env=site.env, cwd=site.directory, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and process.poll() is None:
                if site.query("SELECT count(*) FROM ledger_report")[0] >= 2 * BATCH:
                    break
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    (committed,) = site.query("SELECT count(*) FROM ledger_report")
    assert 2 * BATCH <= committed < ROWS
    assert committed % BATCH == 0  # a batch is all or nothing, even under SIGKILL

    rerun = site.run("import-reports", str(path), "--movement", "crash", "--batch-size", str(BATCH))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert summary_figure(rerun.stdout, "rows read") == ROWS
    assert summary_figure(rerun.stdout, "replayed") == committed
    assert summary_figure(rerun.stdout, "created") == ROWS - committed
    assert summary_figure(rerun.stdout, "rejected") == 0

    assert site.query("SELECT count(*), sum(quantity_minor) FROM ledger_report") == (
        ROWS,
        expected,
    )
    check = site.run("rebuild-aggregates", "--check")
    assert (check.returncode, check.stdout.strip()) == (0, "no differences"), check.stderr

    # The figures read from the aggregates agree, and stdout carries nothing but JSON.
    figures = site.run("figures", "--movement", "crash", "--unit", "KP", "--format", "json")
    assert figures.returncode == 0, figures.stderr
    (record,) = json.loads(figures.stdout)
    assert Decimal(record["actual"]) == Decimal(expected).scaleb(-1)


def test_exit_status_of_the_script(site):
    bad = write_csv(
        site.directory / "bad.csv",
        [["unit", "indicator", "day", "quantity"], ["W1", "steel", "2025-02-01", "1"], ["W1"]],
    )
    rejected = site.run("import-reports", str(bad), "--movement", "crash")
    assert rejected.returncode == 2, rejected.stdout + rejected.stderr
    assert (site.directory / "bad.csv.rejects.csv").read_text().splitlines()[1:] == [
        "W1,,,,3,day; indicator,a date (YYYY-MM-DD) is required; an indicator code is required"
    ]
    missing = site.run("import-reports", str(bad), "--movement", "nope")
    assert missing.returncode == 1 and "No movement 'nope'" in missing.stderr
