"""`pacesetter bench` at a tiny size, end to end, in a process of its own.

The bench repoints the default connection at its own database, so it runs as a subprocess
with its own var/ directory: it never meets the pytest-django test database or the
developer's data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = ("--units", "200", "--reports", "5000", "--batch", "1000", "--reads", "3")
POSTGRESQL_URL = os.environ.get("DATABASE_URL", "")


def bench(tmp_path: Path, database: str) -> tuple[dict, str]:
    var = tmp_path / "var"
    env = {
        **os.environ,
        "PACESETTER_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "pacesetter.settings",
    }
    if database == "sqlite":
        # The SQLite run needs the embedded database configured, whatever CI exports.
        env.pop("DATABASE_URL", None)
    finished = subprocess.run(
        [sys.executable, "-m", "pacesetter.cli", "bench", *TINY, "--check", "--database", database],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # seconds alone on an idle machine; generous for a loaded CI runner
    )
    assert finished.returncode == 0, finished.stderr
    # Without --keep the bench's own databases are gone; the results and the ranking
    # follower's log stay.
    assert sorted(p.name for p in (var / "bench").iterdir()) == ["follower.log", "results.json"]
    results = json.loads((var / "bench" / "results.json").read_text())
    if database != "sqlite":
        # A PostgreSQL run's keys sit under its name beside a SQLite run's (write_merged).
        assert "figures.national.ms" not in results
        results = {key.removeprefix(f"{database}."): value for key, value in results.items()}
    return results, finished.stdout


def check(results: dict, vendor: str) -> None:
    for key in (
        f"ingest.{vendor}.reports_per_s",
        f"ingest.{vendor}.floor_per_s",
        f"ingest.{vendor}.ratio_to_floor",
        f"ingest.{vendor}.unflagged_per_s",
        f"ingest.{vendor}.flags_ratio",
        "figures.national.ms",
        "pages.dashboard.ms",
        "pages.unit_1000_children.ms",
    ):
        assert isinstance(results[key], int | float) and results[key] > 0, key
    assert results[f"ingest.{vendor}.reports"] == 5000
    assert results["check.reports_in_ledger"] == 5000
    assert results["check.rebuild_differences"] == 0
    # The floor did the same aggregate work: its three tables equal the real ones.
    assert results["check.floor_differences"] == 0
    assert results["bench.units_per_level"] == [1, 1, 1, 4, 193]
    assert results["machine.cores"] >= 1
    # The drives bench ran at the smoke size: 200 posts, a 20/s burst for 3 s, nothing lost.
    assert results["drives.enlistment.units"] == 200
    assert results["drives.enlistment.national_total_correct"] is True
    assert (results["drives.burst.rate_asked"], results["drives.burst.seconds_asked"]) == (20, 3)
    assert results["drives.burst.lost"] == 0
    assert results["drives.burst.duplicated"] == 0
    assert results["drives.burst.counter_matches"] is True
    # The suite's county part, on a database of its own, scaled down with the run: a tenth.
    assert (results["county.bench.units"], results["county.bench.reports"]) == (20, 1000)
    assert results[f"county.ingest.{vendor}.reports"] == 1000
    for key in (f"county.ingest.{vendor}.ratio_to_floor", "county.figures.national.ms"):
        assert results[key] > 0, key
    # The experience and reserves part, scaled down with the run: 5 practices, 200 adoptions.
    assert (results["experience.practices"], results["experience.adoptions"]) == (5, 200)
    assert results["experience.effect.floor_mismatches"] == 0
    for key in ("experience.effect.seconds", "reserves.root.ms", "reserves.root.ratio_to_floor"):
        assert results[key] > 0, key
    # The voices part, scaled down with the run: a voice per ten reports, a tenth overdue.
    assert (results["voices.voices"], results["voices.escalate.escalated"]) == (500, 50)
    assert results["voices.escalate.root_overdue"] == 50
    assert results["voices.root.ms"] > 0 and results["voices.root.floor_agrees"] is True
    assert "pages.dashboard.ms" not in {k.removeprefix("county.") for k in results if "county" in k}
    # The emulation part: a block as large as the run's tree allows, every member ranked.
    assert results["emulation.block"] == 50
    assert results["emulation.reports"] == 5000
    # Members without a report are not ranked: no report is not a figure of 0.
    assert 40 <= results["emulation.ranked_whole_period"] <= 50
    assert results["emulation.ratio"] > 0 and results["emulation.top50.ms"] > 0
    assert results["run.seconds"] > 0


def test_bench_on_sqlite_ingests_every_report_and_keeps_aggregates_equal_to_a_rebuild(
    tmp_path: Path,
):
    results, output = bench(tmp_path, "sqlite")
    check(results, "sqlite")
    assert str(results["database.version"]).startswith("SQLite ")
    assert "reports/s" in output
    assert "ratio on / off" in output and "the whole bench took" in output


@pytest.mark.skipif(
    not POSTGRESQL_URL.startswith("postgres"), reason="needs DATABASE_URL=postgresql://…"
)
def test_bench_on_postgresql_ingests_every_report_and_keeps_aggregates_equal_to_a_rebuild(
    tmp_path: Path,
):
    results, _output = bench(tmp_path, "postgresql")
    check(results, "postgresql")
    assert str(results["database.version"]).startswith("PostgreSQL ")


def test_runs_on_either_database_and_the_load_test_merge_into_one_results_file(tmp_path: Path):
    from pacesetter_bench.run import write_merged

    output = tmp_path / "results.json"
    output.write_text(json.dumps({"load.sqlite.reports_per_s": 400}))
    write_merged(
        output, {"ingest.sqlite.ratio_to_floor": 0.57, "figures.national.ms": 6.9}, "sqlite"
    )
    write_merged(
        output,
        {"ingest.postgresql.ratio_to_floor": 0.55, "figures.national.ms": 12.0, "machine.cores": 2},
        "postgresql",
    )
    # `make load` adds the machine's description only where none is there yet.
    write_merged(
        output,
        {"load.sqlite.p95_ms": 51.5},
        "sqlite",
        defaults={"machine.cores": 8, "machine.cpu": "Xeon"},
    )
    assert json.loads(output.read_text()) == {
        "load.sqlite.p95_ms": 51.5,
        "machine.cpu": "Xeon",
        "load.sqlite.reports_per_s": 400,
        "ingest.sqlite.ratio_to_floor": 0.57,
        "figures.national.ms": 6.9,
        "ingest.postgresql.ratio_to_floor": 0.55,
        "postgresql.figures.national.ms": 12.0,
        "machine.cores": 2,
    }
