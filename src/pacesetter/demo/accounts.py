"""The other movements of the source accounts (issue 24), each one a folder of data.

`data/accounts/<slug>/steps.yaml` lists the commands an organiser would run to set the
movement up and feed it, in order, with the folder's files as their arguments:

    movement: model-county-afforestation      # its slug; once closed, the folder is skipped
    steps:
      - [apply, setup.yaml]                    # a setup file of the folder
      - [import_reports, reports.csv, --movement, model-county-afforestation,
         --source, demo, --verified]
      - [close_movement, model-county-afforestation]

An argument naming a file of the folder becomes that file's path; every other argument is
passed as written. Nothing here knows any movement: the features are the product's, the
movements are data. Loading is idempotent: a closed movement is left as it is; one whose
loading broke off runs its steps again (setup files apply idempotently, rows carry keys).
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.movements.models import Movement

from .drives import run_command

ACCOUNTS = Path(__file__).resolve().parent / "data" / "accounts"


@dataclass
class AccountsResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def folders() -> list[Path]:
    """The movements' folders, in loading order (by name: prefix them to order them)."""
    return sorted(path.parent for path in ACCOUNTS.glob("*/steps.yaml"))


def _argument(folder: Path, value: object) -> str:
    text = str(value)
    path = folder / text
    return str(path) if path.is_file() else text


def load_accounts(
    user=None, *, only: frozenset[str] | None = None, without: frozenset[str] = frozenset()
) -> AccountsResult:
    """Run each folder's steps as `user` (the demo login), skipping closed movements and the
    slugs in `without`; `only`, when given, names the slugs to load."""
    result = AccountsResult()
    for folder in folders():
        plan = yaml.safe_load((folder / "steps.yaml").read_text(encoding="utf-8"))
        slug = plan["movement"]
        if slug in without or (only is not None and slug not in only):
            continue
        status = Movement.objects.filter(slug=slug).values_list("status", flat=True).first()
        if status == Movement.Status.CLOSED:
            result.existing.append(slug)
            continue
        started = time.perf_counter()
        with acting_as(actor_for(user)) if user is not None else nullcontext():
            for command, *arguments in plan["steps"]:
                run_command(command, *(_argument(folder, a) for a in arguments))
        result.seconds[slug] = time.perf_counter() - started
        result.created.append(slug)
    return result
