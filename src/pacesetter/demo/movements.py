"""The demo: one movement per row of the figures table in BRIEF.md.

The movements are data — `data/history.yaml` (a setup file) and `data/reports/<slug>.csv` —
loaded through the commands a person runs (`apply`, `import-reports`, `close-movement`).
Loaded, the system must show exactly the figures of the source accounts (102.5% plan
fulfilment, 200.0% and 142.1% of rated capacity, a 400.0% daily-assignment rate, 285.7% of
the norm, +170,000 t against the 1946 level). Quantities the
accounts do not give (how output split between branches, the railway's length, the 1946 grain
base) are illustrative and said so in each movement's call text.

Loading is idempotent: applying a setup file twice changes nothing, every report carries a
fixed idempotency key, and a closed movement is left as it is.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from pacesetter.accounts.actions import grant_role
from pacesetter.accounts.models import Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit

from .drives import load_drives

DEMO_USERNAME = "demo"
DATA = Path(__file__).resolve().parent / "data"
HISTORY = DATA / "history.yaml"


@dataclass
class DemoResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    login: str = ""


def _demo_user():
    """The demo login; its password is random per installation, kept in var/demo_login.txt."""
    users = get_user_model()
    login_file = settings.VAR_DIR / "demo_login.txt"
    user = users.objects.filter(username=DEMO_USERNAME).first()
    if user is None or not login_file.exists():
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        if user is None:
            user = users.objects.create_user(DEMO_USERNAME, password=password, is_staff=True)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        login_file.write_text(f"{DEMO_USERNAME} / {password}\n")
        login_file.chmod(0o600)
    return user, login_file.read_text().strip()


def _command(*args: str) -> str:
    """Run a `pacesetter` command as a person would, and give back what it printed."""
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def history_slugs() -> list[str]:
    return [movement["slug"] for movement in yaml.safe_load(HISTORY.read_text())["movements"]]


def load_demo(*, drives: bool = True, without: frozenset[str] = frozenset()) -> DemoResult:
    """Load the demo as an organiser would: the history's setup file applied, each movement's
    reports imported as the demo login (verified) and the movement closed; the drives after.
    Whatever exists is left as it is: applying is idempotent, reports carry fixed keys, and a
    closed movement takes no more."""
    result = DemoResult()
    user, result.login = _demo_user()
    slugs = history_slugs()
    present = set(
        Movement.objects.filter(slug__in=slugs, status=Movement.Status.CLOSED).values_list(
            "slug", flat=True
        )
    )
    _command("apply", str(HISTORY))
    # The demo login organises every demo tree (a grant is kept once, however often this runs).
    roots = [u for u in yaml.safe_load(HISTORY.read_text())["units"] if "parent" not in u]
    for root in Unit.objects.filter(code__in=[u["code"] for u in roots]):
        grant_role(user=user, role=Role.ORGANISER, unit=root)
    rejects = Path(settings.VAR_DIR) / "demo"
    rejects.mkdir(parents=True, exist_ok=True)
    for slug in slugs:
        if slug in present:
            result.existing.append(slug)
            continue
        with acting_as(actor_for(user)):
            _command(
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
        _command("close_movement", slug)
        result.created.append(slug)
    # The drives rows of the figures table (`demo.drives`).
    if drives:
        loaded = load_drives(user, without=without)
        result.created += loaded.created
        result.existing += loaded.existing
    return result
