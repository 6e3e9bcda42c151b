"""`pacesetter bench --experience` at a tiny size, end to end, in a process of its own (it
repoints the default connection at a database of its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TINY = (
    *("--units", "120", "--reports", "6000", "--batch", "2000", "--reads", "2"),
    *("--practices", "4", "--adoptions", "120", "--reserves", "60"),
)


def test_experience_bench_runs_and_reports_its_figures(tmp_path: Path):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "COLUMNS": "160",  # rich wraps at the width it is given; the checks read whole lines
        "PACESETTER_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "pacesetter.settings",
    }
    env.pop("DATABASE_URL", None)
    finished = subprocess.run(
        [sys.executable, "-m", "pacesetter.cli", "bench", "--experience", *TINY],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    results = json.loads((var / "bench" / "experience.json").read_text())
    assert (results["experience.units"], results["experience.practices"]) == (120, 4)
    assert results["experience.adoptions"] == 120
    # Every practice has adopters enough and a comparison: each is measured, and each agrees
    # with the raw floor's own computation from the aggregate table.
    assert results["experience.effect.measured"] == 4
    assert results["experience.effect.floor_mismatches"] == 0
    # A reserve in ten is verified, one in twenty declined; the root sees all of them.
    assert (results["reserves.proposed"], results["reserves.verified"]) == (60, 6)
    assert results["reserves.declined"] == 3
    assert (results["reserves.root.proposed"], results["reserves.root.verified"]) == (60, 6)
    assert results["reserves.root.members"] == results["experience.workteams"]
    for key in (
        "experience.effect.seconds",
        "experience.effect.floor_seconds",
        "experience.effect.ratio_to_floor",
        "reserves.root.ms",
        "reserves.root.floor_ms",
        "reserves.root.ratio_to_floor",
    ):
        assert isinstance(results[key], int | float) and results[key] > 0, key
    assert isinstance(results["experience.effect.target_met"], bool)
    assert "experience and reserves · 120 units" in finished.stdout  # the table was printed
    # Without --keep the bench database is gone.
    assert sorted(p.name for p in (var / "bench").iterdir()) == ["experience.json"]
