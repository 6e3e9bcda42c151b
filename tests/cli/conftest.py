"""Helpers for the command-line tests: run a command in-process and see what it printed."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook


@dataclass
class Outcome:
    """What a command did: its exit status as the `pacesetter` script would return it."""

    code: int
    out: str
    err: str


def run(*args: str) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return Outcome(exc.returncode, out.getvalue(), f"{err.getvalue()}{exc}")
    return Outcome(0, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path
