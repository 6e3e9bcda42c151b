"""`pacesetter bench --emulation` at a tiny size, end to end, in a process of its own (it
repoints the default connection at a database of its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("mode", ["follower", "inline"])
def test_emulation_bench_runs_and_reports_its_figures(tmp_path: Path, mode: str):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "PACESETTER_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "pacesetter.settings",
    }
    env.pop("DATABASE_URL", None)
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pacesetter.cli",
            "bench",
            "--emulation",
            "--block",
            "60",
            "--reports",
            "3000",
            "--batch",
            "500",
            "--reads",
            "3",
            *(["--inline-ranking"] if mode == "inline" else []),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    results = json.loads((var / "bench" / "emulation.json").read_text())
    assert results["emulation.block"] == 60
    assert results["emulation.ranked_whole_period"] == 60
    if mode == "inline":
        # Inline, every ingest is ranked against the one before it: overtaking happens. The
        # follower may take all six ingests in one round when it starts late (a busy machine),
        # and a first ranking overtakes no one; its events are pinned in test_follower.py.
        assert results["emulation.events"] > 0 and results["emulation.notifications"] > 0
    else:
        assert isinstance(results["emulation.events"], int)
        assert isinstance(results["emulation.notifications"], int)
    for key in ("emulation.ratio", "emulation.top50.ms", "emulation.position.ms"):
        assert results[key] > 0
    assert "ratio on / off" in finished.stdout
    assert results["emulation.mode"] == mode
    bench_files = ["emulation.json"]
    if mode == "follower":
        # The follower ranked everything: the clock stopped when nothing was pending.
        assert results["emulation.on.follower"].endswith("; 0 pending.")
        assert results["emulation.on.seconds"] >= results["emulation.on.ingest_seconds"]
        bench_files.append("follower.log")
    # Without --keep the bench database is gone.
    assert sorted(p.name for p in (var / "bench").iterdir()) == bench_files
