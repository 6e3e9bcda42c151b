"""kill -9 of the server (gunicorn's master and workers at once, as a lost machine would) in
the middle of a stream of report posts with idempotency keys; restart; resend everything.

Every report the server accepted before the kill is there once, under the id it was given;
every bulk call is all or nothing; after the resend every report is there exactly once and the
aggregates equal the ledger.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import sqlite3
import threading
import time
from contextlib import closing
from urllib.parse import urlsplit

import pytest

from tests.durability.conftest import VENDORS

SINGLES = 600
BULK_CALLS = 30
BULK_SIZE = 100
KILL_AFTER = 150  # accepted single reports before the kill
THREADS = 6


def _year() -> int:
    return dt.date.today().year - 1


def single(n: int) -> dict:
    return {
        "unit": f"W{n % 12}",
        "indicator": "steel",
        "day": (dt.date(_year(), 1, 1) + dt.timedelta(days=n % 365)).isoformat(),
        "quantity": f"{n % 40}.{n % 10}",
        "idempotency_key": f"single-{n}",
    }


def bulk(call: int) -> dict:
    return {
        "reports": [
            {
                "unit": f"W{(call + n) % 12}",
                "indicator": "steel",
                "day": (
                    dt.date(_year(), 1, 1) + dt.timedelta(days=(call * 7 + n) % 365)
                ).isoformat(),
                "quantity": "2.5",
                "idempotency_key": f"bulk-{call}-{n}",
            }
            for n in range(BULK_SIZE)
        ]
    }


def tenths(quantity: str) -> int:
    whole, _, fraction = quantity.partition(".")
    return int(whole) * 10 + int(fraction or 0)


EXPECTED_REPORTS = SINGLES + BULK_CALLS * BULK_SIZE
EXPECTED_QUANTITY = sum(tenths(single(n)["quantity"]) for n in range(SINGLES)) + (
    BULK_CALLS * BULK_SIZE * 25
)


class Client:
    """Posts from several threads over keep-alive connections; records what was accepted."""

    def __init__(self, url: str, token: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.lock = threading.Lock()
        self.accepted: dict[str, int] = {}  # idempotency key → report id
        self.statuses: dict[int, int] = {}
        self.failures = 0

    def post(self, connection: http.client.HTTPConnection, body: dict) -> tuple[int, dict]:
        connection.request(
            "POST", "/api/v1/movements/durable/reports", json.dumps(body), self.headers
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    def send(self, work: list[dict], stop: threading.Event | None = None) -> None:
        queue = list(reversed(work))

        def worker() -> None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            while not (stop and stop.is_set()):
                with self.lock:
                    if not queue:
                        return
                    body = queue.pop()
                try:
                    status, answer = self.post(connection, body)
                except (OSError, http.client.HTTPException, json.JSONDecodeError):
                    with self.lock:
                        self.failures += 1
                    connection.close()
                    connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                    continue
                rows = body.get("reports", [body])
                with self.lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                    if status in (200, 201):
                        for row, result in zip(rows, answer["results"], strict=True):
                            self.accepted[row["idempotency_key"]] = result["id"]
            connection.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)


def stored_keys(site) -> dict[str, int]:
    out = site.shell(
        "import json\n"
        "from pacesetter.ledger.domain import client_key\n"
        "from pacesetter.ledger.models import Report\n"
        "rows = Report.objects.values_list('idempotency_key', 'id')\n"
        "print(json.dumps({client_key(key): pk for key, pk in rows}))\n"
    )
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("vendor", VENDORS)
def test_server_killed_mid_stream_then_resent_counts_every_report_once(sites, vendor):
    site = sites(vendor, "crash")
    url = site.serve(workers=2)
    server = site.servers[-1]
    work: list[dict] = []
    for n in range(SINGLES):
        work.append(single(n))
        if n % (SINGLES // BULK_CALLS) == 0:
            work.append(bulk(n // (SINGLES // BULK_CALLS)))

    client = Client(url, site.token)
    stop = threading.Event()
    sender = threading.Thread(target=client.send, args=(work, stop), daemon=True)
    sender.start()
    deadline = time.monotonic() + 300
    while (
        sum(key.startswith("single-") for key in list(client.accepted)) < KILL_AFTER
        and time.monotonic() < deadline
    ):
        time.sleep(0.005)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    stop.set()
    sender.join(timeout=120)
    accepted_before = dict(client.accepted)
    assert len(accepted_before) >= KILL_AFTER
    assert len(accepted_before) < EXPECTED_REPORTS, "the stream ended before the kill"

    # After the kill, before anything is resent: what was accepted is there, under its id;
    # a bulk call is there whole or not at all.
    if vendor == "sqlite":
        database = site.env["DATABASE_URL"].removeprefix("sqlite:///")
        with closing(sqlite3.connect(database)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = stored_keys(site)
    assert {key: stored.get(key) for key in accepted_before} == accepted_before
    for call in range(BULK_CALLS):
        present = sum(f"bulk-{call}-{n}" in stored for n in range(BULK_SIZE))
        assert present in (0, BULK_SIZE), f"bulk call {call} half applied: {present}"
    state = site.state()
    assert not state["differences"], state["differences"]

    # Restart and resend everything: replays answer with the first id, the rest are new.
    url = site.serve(workers=2)
    resend = Client(url, site.token)
    resend.send(work)
    assert resend.failures == 0 and set(resend.statuses) <= {200, 201}, resend.statuses
    assert {key: resend.accepted[key] for key in accepted_before} == accepted_before
    assert {key: resend.accepted[key] for key in stored} == stored

    state = site.state()
    assert state["reports"] == state["keys"] == state["distinct_keys"] == EXPECTED_REPORTS
    assert state["quantity"] == EXPECTED_QUANTITY
    assert not state["differences"], state["differences"]
