"""`pacesetter bench --voices` at a tiny size, end to end, in a process of its own (it
repoints the default connection at a database of its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TINY = (
    *("--units", "120", "--voices-count", "600", "--overdue", "40"),
    *("--batch", "250", "--reads", "3"),
)


def test_voices_bench_runs_and_reports_its_figures(tmp_path: Path):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "COLUMNS": "160",  # rich wraps at the width it is given; the checks read whole lines
        "PACESETTER_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "pacesetter.settings",
    }
    env.pop("DATABASE_URL", None)
    finished = subprocess.run(
        [sys.executable, "-m", "pacesetter.cli", "bench", "--voices", *TINY],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    results = json.loads((var / "bench" / "voices.json").read_text())
    assert (results["voices.units"], results["voices.voices"]) == (120, 600)
    # Before the escalation every voice is open and none overdue, at the root as in the floor.
    assert (results["voices.root.received"], results["voices.root.open"]) == (600, 600)
    assert results["voices.root.overdue"] == 0
    assert results["voices.root.floor_agrees"] is True
    # Two days later exactly the urgent ones (due in a day) went up, and the root counts them.
    assert results["voices.escalate.escalated"] == 40
    assert results["voices.escalate.overdue_at_top"] == 0
    assert results["voices.escalate.root_overdue"] == 40
    assert results["voices.escalate.root_escalated"] == 40
    assert results["voices.escalate.overdue_in_table"] == 40
    for key in ("voices.root.ms", "voices.root.floor_ms", "voices.escalate.seconds"):
        assert isinstance(results[key], int | float) and results[key] > 0, key
    assert isinstance(results["voices.escalate.target_met"], bool)
    assert "voices · 120 units, 600 voices" in finished.stdout  # the table was printed
    # Without --keep the bench database is gone.
    assert sorted(p.name for p in (var / "bench").iterdir()) == ["voices.json"]
