"""What the generators of the accounts' demo movements share (tools/demo_*_data.py): where a
movement's folder is, and how its setup file, CSV files and steps.yaml are written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

ACCOUNTS = (
    Path(__file__).resolve().parent.parent / "src" / "pacesetter" / "demo" / "data" / "accounts"
)


def folder(name: str) -> Path:
    """The movement's folder (made if missing), e.g. `20-plowwoman-1951`."""
    path = ACCOUNTS / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_csv(path: Path, rows: list[list[object]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def write_setup(path: Path, comment: str, setup: dict) -> None:
    path.write_text(
        f"# {comment}\n" + yaml.safe_dump(setup, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )


def write_steps(path: Path, comment: str, slug: str, steps: list[list[str]]) -> None:
    """steps.yaml: the commands an organiser runs, in order (see pacesetter.demo.accounts)."""
    path.write_text(
        f"# {comment}\n"
        + yaml.safe_dump(
            {"movement": slug, "steps": steps},
            sort_keys=False,
            width=100,
            default_flow_style=None,
        ),
        encoding="utf-8",
    )
