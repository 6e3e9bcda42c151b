"""A movement set up from files, exported, and applied to a fresh database with its reports
gives identical figures — through the commands a person runs, each on a database of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.setup.test_apply import SETUP
from tests.setup.test_period_series_in_files import WEEKLY

PACESETTER = Path(sys.executable).parent / "pacesetter"
TREE = "code,name,kind,parent_code\nKP,Country,country,\nP1,Province,province,KP\nC1,County,county,P1\n"
REPORTS = (
    "unit,indicator,day,quantity,idempotency_key\n"
    "BT-N,repairs,2025-10-02,2,r1\nBT-S,repairs,2025-10-03,1,r2\nBT-N,repairs,2025-10-09,4,r3\n"
)


def _site(directory: Path):
    directory.mkdir()
    env = {
        **os.environ,
        "PACESETTER_VAR": str(directory),
        "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
        "COLUMNS": "200",
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(PACESETTER), *args],
            env=env,
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    run("migrate", "--no-input", "-v", "0")
    return run


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="SQLite sites; the suite's PostgreSQL pass covers apply itself",
)
@pytest.mark.parametrize("setup", [SETUP, WEEKLY], ids=["listed-periods", "weekly-series"])
def test_export_then_apply_to_a_fresh_database_gives_identical_figures(tmp_path, setup):
    (tmp_path / "tree.csv").write_text(TREE)
    (tmp_path / "setup.yaml").write_text(setup)
    (tmp_path / "reports.csv").write_text(REPORTS)
    first = _site(tmp_path / "first")
    first("import-units", str(tmp_path / "tree.csv"))
    first("apply", str(tmp_path / "setup.yaml"))
    first("import-reports", str(tmp_path / "reports.csv"), "--movement", "kiln-repair")
    figures = json.loads(first("figures", "--movement", "kiln-repair", "--format", "json"))
    week = ["figures", "--movement", "kiln-repair", "--period", "Week 2 (6–12 Oct)"]
    weekly = first(*week, "--format", "json") if setup is WEEKLY else None
    exported = tmp_path / "exported.yaml"
    first("export", "kiln-repair", "--output", str(exported))

    second = _site(tmp_path / "second")
    assert "create unit KP" in second("apply", str(exported))
    second("import-reports", str(tmp_path / "reports.csv"), "--movement", "kiln-repair")
    assert json.loads(second("figures", "--movement", "kiln-repair", "--format", "json")) == figures
    if weekly is not None:
        assert second(*week, "--format", "json") == weekly
        assert any(f["unit"] == "BT-N" and f["actual"] == "4" for f in json.loads(weekly))
    assert any(f["unit"] == "BT" and f["fulfilment"] for f in figures)
    assert "no change" in second("apply", str(exported))
