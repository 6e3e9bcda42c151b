"""Sites for the durability tests: each a database of its own, reached only through the real
`pacesetter` script (and gunicorn, for the crash tests), never the pytest-django test database
(the ledger refuses DELETE, so a transactional flush of it would fail; and a killed server must
be a separate process).

A site is SQLite under a tmp var dir; the `vendor` fixture adds a PostgreSQL twin, on a
database of its own on the server of DATABASE_URL, when DATABASE_URL is PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

BIN = Path(sys.executable).parent
PACESETTER = str(BIN / "pacesetter")
POSTGRESQL_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRESQL = POSTGRESQL_URL.startswith(("postgres://", "postgresql://"))
VENDORS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not ON_POSTGRESQL, reason="DATABASE_URL is not PostgreSQL"),
    ),
]

# Units, a movement of last year's days with a sum and a latest-level indicator, and a
# token for the operator; prints the token.
SETUP = """
import datetime as dt
from django.contrib.auth import get_user_model
from pacesetter.accounts.actions import create_token
from pacesetter.movements import actions
from pacesetter.units.actions import UnitRow, import_units
from pacesetter.units.models import Unit

rows = [UnitRow("KP", "Country", "country")]
rows += [UnitRow(f"P{p}", f"Province {p}", "province", "KP") for p in range(3)]
rows += [UnitRow(f"W{w}", f"Workteam {w}", "workteam", f"P{w % 3}", 12) for w in range(12)]
import_units(rows=rows)
year = dt.date.today().year - 1
movement = actions.create_movement(
    title="Durability drive", slug="durable", organiser=Unit.objects.get(code="KP"),
    starts_on=dt.date(year, 1, 1), ends_on=dt.date(year, 12, 31),
)
actions.add_indicator(
    movement=movement, code="steel", name="Steel", unit_of_measure="t", decimal_places=1
)
actions.add_indicator(
    movement=movement, code="stock", name="Stock", unit_of_measure="t", aggregation="latest"
)
actions.add_monthly_periods(movement=movement)
actions.launch_movement(movement=movement)
user = get_user_model().objects.create_superuser("operator", password="durability-operator")
print(create_token(user=user, name="durability", scope="full")[1])
"""

# What the checks read: the ledger's count and sum, and the aggregate check.
STATE = """
import json
from django.db.models import Count, Sum
from pacesetter.ledger.aggregates import rebuild
from pacesetter.ledger.models import Report
keys = list(Report.objects.values_list("idempotency_key", flat=True))
totals = Report.objects.aggregate(n=Count("id"), q=Sum("quantity_minor"))
print(json.dumps({
    "reports": totals["n"], "quantity": totals["q"] or 0,
    "keys": len(keys), "distinct_keys": len(set(keys)),
    "differences": [str(d) for d in rebuild()[:20]],
}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgresql_database(name: str, template: str | None = None) -> str:
    """A new database `name` on the server of DATABASE_URL (a copy of `template` if given);
    returns its URL."""
    import psycopg

    parts = urlsplit(POSTGRESQL_URL)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_postgresql_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


@dataclass
class Site:
    """A database of its own and the environment pointing the script (and a server) at it."""

    directory: Path
    env: dict[str, str]
    token: str = ""
    servers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def vendor(self) -> str:
        return "sqlite" if self.env["DATABASE_URL"].startswith("sqlite") else "postgresql"

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PACESETTER, *args],
            env=self.env,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def shell(self, python: str) -> str:
        done = self.run("shell", "-c", python)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def state(self) -> dict:
        return json.loads(self.shell(STATE).strip().splitlines()[-1])

    def serve(self, workers: int = 2) -> str:
        """Start gunicorn with the WSGI application and workers of `pacesetter serve`, wait
        until it answers; return its URL. Not `pacesetter serve` itself: it collects the
        static files first, a minute of CPU per start that these API-only tests do not need."""
        port = free_port()
        log = (self.directory / f"server-{len(self.servers)}.log").open("wb")
        server = subprocess.Popen(
            # Its own process group, so a kill -9 reaches the master and every worker at once,
            # as a machine losing power would.
            [
                sys.executable,
                "-m",
                "gunicorn",
                "pacesetter.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--graceful-timeout",
                "10",
            ],
            env=self.env,
            cwd=self.directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.servers.append(server)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while True:
            try:
                # The slowest first answer on a busy machine is minutes, not seconds.
                urllib.request.urlopen(url + "/api/v1/openapi.json", timeout=30).read()
                return url
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"the server did not start: {log.name}")
                time.sleep(0.3)

    def stop_servers(self) -> None:
        for server in self.servers:
            if server.poll() is None:
                os.killpg(server.pid, 15)
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, 9)
                    server.wait(timeout=20)


def _environment(var: Path, url: str) -> dict[str, str]:
    return {
        **os.environ,
        # One var dir (secret key, logs) for every site of the session; each site's database
        # is its own file or PostgreSQL database.
        "PACESETTER_VAR": str(var),
        "DATABASE_URL": url,
        "COLUMNS": "200",
        # Every request of these tests comes from 127.0.0.1.
        "RATE_LIMIT_WRITES_PER_IP": "0",
        "RATE_LIMIT_WRITES_PER_TOKEN": "0",
    }


def _database_name(name: str) -> str:
    """`<DATABASE_URL's name>_<name>`, and the xdist worker's id: under `pytest -n 2` two
    workers make their templates and sites at the same time."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    base = urlsplit(POSTGRESQL_URL).path.lstrip("/")
    return "_".join(part for part in (base, worker, name) if part).replace("-", "_")


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """Per vendor, made once: a migrated database and one with SETUP run, that sites copy
    (migrating costs most of a minute on a busy machine). Yields `get(vendor, setup)` →
    (SQLite file or PostgreSQL database name, token)."""
    made: dict[tuple[str, bool], tuple[str, str]] = {}
    urls: list[str] = []
    var = tmp_path_factory.mktemp("var")

    def get(vendor: str, setup: bool) -> tuple[str, str]:
        if (vendor, setup) not in made:
            directory = tmp_path_factory.mktemp(f"template-{vendor}-{setup}")
            if vendor == "sqlite":
                url = f"sqlite:///{directory / 'db.sqlite3'}"
            else:
                url = _postgresql_database(_database_name(f"template_{int(setup)}"))
                urls.append(url)
            site = Site(directory, _environment(var, url))
            migrated = site.run("migrate", "--no-input", "-v", "0")
            assert migrated.returncode == 0, migrated.stderr
            token = site.shell(SETUP).strip().splitlines()[-1] if setup else ""
            if vendor == "sqlite":
                # One file, no WAL beside it: the copy must be the whole database.
                with sqlite3.connect(directory / "db.sqlite3") as db:
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                made[(vendor, setup)] = (str(directory / "db.sqlite3"), token)
            else:
                made[(vendor, setup)] = (urlsplit(url).path.lstrip("/"), token)
        return made[(vendor, setup)]

    get.var = var  # type: ignore[attr-defined]
    yield get
    for url in urls:
        drop_postgresql_database(url)


@pytest.fixture
def sites(tmp_path, templates):
    """`sites(vendor, name, setup=True)` makes a site: migrated, with SETUP run unless
    `setup=False`. Servers are stopped and PostgreSQL databases dropped afterwards."""
    made: list[Site] = []

    def factory(vendor: str, name: str, *, setup: bool = True) -> Site:
        directory = tmp_path / name
        directory.mkdir(parents=True)
        template, token = templates(vendor, setup)
        if vendor == "sqlite":
            shutil.copyfile(template, directory / "db.sqlite3")
            url = f"sqlite:///{directory / 'db.sqlite3'}"
        else:
            url = _postgresql_database(_database_name(name), template=template)
        site = Site(directory, _environment(templates.var, url), token=token)
        made.append(site)
        return site

    yield factory
    for site in made:
        site.stop_servers()
        if site.vendor == "postgresql":
            drop_postgresql_database(site.env["DATABASE_URL"])
