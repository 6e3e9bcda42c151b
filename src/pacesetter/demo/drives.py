"""The drives of the demo: the drives rows of BRIEF.md's figures table, as data —
`data/drives/<slug>.yaml` (setup files), `data/drives/<slug>.<kind>.csv[.gz]` (the drive's
data) — loaded through the commands a person runs: `apply`, `import-members`,
`import-donations`, `import-signups`, `import-placements`, `import-enlistment`,
`close-movement`. The files are written once by tools/demo_drive_data.py (seeded) and
committed; the totals come out exactly:

| drive | the system shows |
| --- | --- |
| rice-donation drive, Jaeryong County (1946) | started by one donor's 30 straw-sacks, 5,000 sacks received from 420 donors |
| volunteer call at the outbreak of war (1950) | 740,000 sign-ups in 11 days, 230,000 of them women |
| youth volunteers for hard sectors (1958) | 4,790 placements in the year |
| anti-epidemic emergency (1951) | 71,200 medical workers and 1,148,000 hygiene activists every day |

Plus one live movement running around today ("Flood relief"), with a donation drive, an open
public volunteer call and a daily enlistment, to try the pages with: its files write their
dates relative to the day of loading (`today-6`).

How gifts, sign-ups and enlisted persons split between units and days is not in the accounts:
it is generated, and the call texts say so. Loading is idempotent: a closed movement (or the
live one, once it exists) is left as it is; a historical movement whose loading broke off is
applied and imported again (every row carries a fixed key) and closed.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management import call_command

from pacesetter.movements.models import Movement

DATA = Path(__file__).resolve().parent / "data" / "drives"
UNITS = DATA / "units.yaml"
LIVE = "flood-relief"
EPIDEMIC_DAYS = 10

# Each drive movement and its data, in loading order: (command, file suffix, extra arguments).
DRIVES: list[tuple[str, list[tuple[str, str, tuple[str, ...]]]]] = [
    (
        "rice-donation-1946",
        [
            ("import_members", "members.csv", ()),
            ("import_donations", "donations.csv", ("--source", "demo")),
        ],
    ),
    ("volunteers-1950", [("import_signups", "signups.csv", ("--source", "demo"))]),
    (
        "youth-hard-sectors-1958",
        [
            ("import_signups", "signups.csv.gz", ("--source", "demo")),
            ("import_placements", "placements.csv", ("--source", "demo")),
        ],
    ),
    (
        "anti-epidemic-1951",
        [("import_enlistment", "enlistment.csv", ("--source", "demo", "--verified"))],
    ),
    (
        LIVE,
        [
            ("import_donations", "donations.csv", ("--source", "demo")),
            ("import_signups", "signups.csv", ("--source", "demo")),
            ("import_enlistment", "enlistment.csv", ("--source", "demo")),
        ],
    ),
]


@dataclass
class DrivesResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def run_command(*args: str) -> str:
    """Run a `pacesetter` command as a person would, and give back what it printed."""
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _present(slug: str) -> bool:
    found = Movement.objects.filter(slug=slug).values_list("status", flat=True).first()
    if slug == LIVE:
        return found is not None  # its dates count from the day it was loaded
    return found == Movement.Status.CLOSED


def load_drives(user=None, *, without: frozenset[str] = frozenset()) -> DrivesResult:
    """Load the drive movements; those loaded already, or named in `without`, are left
    untouched. `user` is not used: the commands run as the command line does."""
    result = DrivesResult()
    run_command("apply", str(UNITS))
    for slug, imports in DRIVES:
        if slug in without:
            continue
        if _present(slug):
            result.existing.append(slug)
            continue
        started = time.perf_counter()
        run_command("apply", str(DATA / f"{slug}.yaml"))
        for command, suffix, extra in imports:
            name = DATA / f"{slug}.{suffix}"
            if command == "import_members":
                run_command(command, str(name))
            else:
                run_command(command, str(name), "--movement", slug, *extra)
        if slug != LIVE:
            run_command("close_movement", slug)
        result.seconds[slug] = time.perf_counter() - started
        result.created.append(slug)
    return result
