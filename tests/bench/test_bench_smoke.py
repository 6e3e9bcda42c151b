"""`pacesetter bench` at a tiny size, end to end, in a process of its own.

The bench repoints the default connection at its own database, so it runs as a subprocess
with its own var/ directory: it never meets the pytest-django test database, and the check
that it left the developer's database alone is that it never had the chance.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TINY = ("--units", "200", "--reports", "5000", "--batch", "1000", "--reads", "3")
REQUIRED = (
    "ingest.sqlite.reports_per_s",
    "ingest.sqlite.floor_per_s",
    "ingest.sqlite.ratio_to_floor",
    "figures.national.ms",
)


def test_bench_ingests_every_report_and_keeps_aggregates_equal_to_a_rebuild(tmp_path: Path):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "PACESETTER_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "pacesetter.settings",
    }
    # The bench's SQLite run needs the embedded database configured, whatever CI exports.
    env.pop("DATABASE_URL", None)
    finished = subprocess.run(
        [sys.executable, "-m", "pacesetter.cli", "bench", *TINY, "--check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr

    results = json.loads((var / "bench" / "results.json").read_text())
    for key in REQUIRED:
        assert isinstance(results[key], int | float) and results[key] > 0, key
    assert results["ingest.sqlite.reports"] == 5000
    assert results["check.reports_in_ledger"] == 5000
    assert results["check.rebuild_differences"] == 0
    # The floor did the same aggregate work: its three tables equal the real ones.
    assert results["check.floor_differences"] == 0
    assert results["bench.units_per_level"] == [1, 1, 1, 4, 193]
    assert str(results["database.version"]).startswith("SQLite ")
    assert results["machine.cores"] >= 1
    assert "reports/s" in finished.stdout
    # Without --keep the bench's own databases are gone; only the results stay.
    assert sorted(p.name for p in (var / "bench").iterdir()) == ["results.json"]
