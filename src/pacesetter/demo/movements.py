"""The demo: one movement per row of the figures table in BRIEF.md.

The movements are data — `data/history.yaml` (a setup file) and `data/reports/<slug>.csv` —
loaded through the commands a person runs (`apply`, `import-reports`, `import-practices`,
`close-movement`); so is the demo login (`data/people.yaml`, applied, then `set-password`).
Loaded, the system must show exactly the figures of the source accounts (102.5% plan
fulfilment, 200.0% and 142.1% of rated capacity, a 400.0% daily-assignment rate, 285.7% of
the norm, +170,000 t against the 1946 level). Quantities the
accounts do not give (how output split between branches, the railway's length, the 1946 grain
base) are illustrative and said so in each movement's call text.

Loading is idempotent: applying a setup file twice changes nothing, every report carries a
fixed idempotency key, and a closed movement is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model

from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.movements.models import Movement

from .accounts import load_accounts
from .drives import load_drives, run_command
from .visits import load_visit_log

DEMO_USERNAME = "demo"
DATA = Path(__file__).resolve().parent / "data"
HISTORY = DATA / "history.yaml"
# The demo login and its role on every demo root: a setup file's `people:` section.
PEOPLE = DATA / "people.yaml"
# Reserves found in a movement, per slug (see _load_reserves).
RESERVES = DATA / "reserves"


@dataclass
class DemoResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    login: str = ""


def history_slugs() -> list[str]:
    return [movement["slug"] for movement in yaml.safe_load(HISTORY.read_text())["movements"]]


def _load_reserves(slug: str) -> None:
    """A movement's reserves (`data/reserves/<slug>.csv`, with the members who proposed them
    in `<slug>.members.csv`), taken through their lifecycle by `import-reserves`, as the
    system: the demo login, who would propose them, may not verify its own."""
    reserves = RESERVES / f"{slug}.csv"
    if not reserves.exists():
        return
    members = RESERVES / f"{slug}.members.csv"
    if members.exists():
        run_command("import_members", str(members))
    run_command("import_reserves", str(reserves))


def load_demo(
    *,
    drives: bool = True,
    visits: bool = True,
    accounts: bool = True,
    without: frozenset[str] = frozenset(),
) -> DemoResult:
    """Load the demo as an organiser would: the history's setup file applied, each movement's
    reports imported as the demo login (verified) and the movement closed; the drives after.
    Whatever exists is left as it is: applying is idempotent, reports carry fixed keys, and a
    closed movement takes no more."""
    result = DemoResult()
    slugs = history_slugs()
    present = set(
        Movement.objects.filter(slug__in=slugs, status=Movement.Status.CLOSED).values_list(
            "slug", flat=True
        )
    )
    run_command("apply", str(HISTORY))
    # The demo login organises every demo tree; its password is DEMO_PASSWORD, else random
    # per installation, and kept in var/demo_login.txt once drawn.
    run_command("apply", str(PEOPLE))
    login_file = Path(settings.VAR_DIR) / "demo_login.txt"
    run_command(
        "set_password",
        DEMO_USERNAME,
        "--from",
        "DEMO_PASSWORD",
        "--random",
        "--write",
        str(login_file),
        "--keep",
    )
    result.login = login_file.read_text(encoding="utf-8").strip()
    user = get_user_model().objects.get(username=DEMO_USERNAME)
    rejects = Path(settings.VAR_DIR) / "demo"
    rejects.mkdir(parents=True, exist_ok=True)
    for slug in slugs:
        if slug in present:
            result.existing.append(slug)
            continue
        with acting_as(actor_for(user)):
            run_command(
                "import_reports",
                str(DATA / "reports" / f"{slug}.csv"),
                "--movement",
                slug,
                "--source",
                "demo",
                "--verified",
                "--rejects",
                str(rejects / f"{slug}.rejects.csv"),
            )
            # The practices a movement spread, if it has any (data/practices/<slug>.yaml).
            practices = DATA / "practices" / f"{slug}.yaml"
            if practices.exists():
                run_command("import_practices", str(practices))
        _load_reserves(slug)
        run_command("close_movement", slug)
        result.created.append(slug)
    # The other movements of the accounts, each a folder of data (`demo.accounts`).
    if accounts:
        loaded = load_accounts(user, without=without)
        result.created += loaded.created
        result.existing += loaded.existing
    # One official's field-guidance log over 14,290 units (`demo.visits`).
    if visits and load_visit_log():
        result.created.append("field-guidance-visits")
    # The drives rows of the figures table (`demo.drives`).
    if drives:
        loaded = load_drives(user, without=without)
        result.created += loaded.created
        result.existing += loaded.existing
    return result
