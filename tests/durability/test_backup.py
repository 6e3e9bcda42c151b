"""`pacesetter backup` and `pacesetter restore`: the round trip, the refusal to overwrite data,
and a backup taken while an import is writing."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.durability.conftest import PACESETTER, VENDORS

REPORTS = """
import datetime as dt
from pacesetter.ledger.actions import ReportRow, correct_report, record_reports
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Movement

movement = Movement.objects.get(slug="durable")
year = movement.starts_on.year
rows = [
    ReportRow(
        unit=f"W{n % 12}", indicator="steel" if n % 4 else "stock",
        day=dt.date(year, 1, 1) + dt.timedelta(days=n // 2),
        quantity=f"{n % 50}.{n % 10}" if n % 4 else str(n % 70),
        idempotency_key=f"backup-{n}",
    )
    for n in range(600)
]
record_reports(movement=movement, rows=rows, source=Report.Source.IMPORT)
first = Report.objects.filter(indicator__code="steel").order_by("pk").first()
correct_report(report=first, quantity="0", reason="entered twice", source=Report.Source.WEB)
"""


@pytest.mark.parametrize("vendor", VENDORS)
def test_backup_then_restore_into_an_empty_database_gives_the_same_ledger(sites, vendor):
    source = sites(vendor, "backup-source")
    source.shell(REPORTS)
    before = source.state()
    assert before["reports"] == 601 and not before["differences"]

    path = source.directory / ("copy.sqlite3" if vendor == "sqlite" else "copy.dump")
    made = source.run("backup", str(path))
    assert made.returncode == 0, made.stdout + made.stderr
    assert "aggregates equal the ledger" in made.stdout
    assert "601 reports" in made.stdout
    manifest = json.loads(path.with_name(path.name + ".json").read_text())
    assert manifest["vendor"] == vendor
    assert manifest["counts"]["ledger_report"] == 601
    assert manifest["sums"]["ledger_report"] == before["quantity"]
    assert manifest["migrations"]["ledger"]

    # Into a database that is only migrated: no --force needed.
    target = sites(vendor, "backup-target", setup=False)
    restored = target.run("restore", str(path))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "every table matches the backup's manifest" in restored.stdout
    assert "aggregates equal the ledger" in restored.stdout
    assert target.state() == before
    check = target.run("rebuild-aggregates", "--check")
    assert (check.returncode, check.stdout.strip()) == (0, "no differences")

    # The restored ledger is still append-only: its triggers came along.
    refused = target.shell(
        "from django.db import connection\n"
        "try:\n"
        "    with connection.cursor() as c: c.execute('DELETE FROM ledger_report')\n"
        "except Exception as exc: print('refused', type(exc).__name__)\n"
    )
    assert "refused" in refused

    # A database with data is not overwritten unless asked.
    again = target.run("restore", str(path))
    assert again.returncode == 1
    assert "holds data" in again.stderr and "--force" in again.stderr
    forced = target.run("restore", str(path), "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert target.state() == before

    # The server starts on the restored database and serves its figures.
    url = target.serve(workers=1)
    import urllib.request

    request = urllib.request.Request(
        f"{url}/api/v1/movements/durable/reports?limit=1",
        headers={"Authorization": f"Bearer {source.token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def test_restore_refuses_a_missing_or_foreign_backup(sites, tmp_path):
    site = sites("sqlite", "refusals", setup=False)
    missing = site.run("restore", str(tmp_path / "nothing.sqlite3"))
    assert missing.returncode == 1 and "no such backup" in missing.stderr
    foreign = tmp_path / "foreign.dump"
    foreign.write_bytes(b"PGDMP")
    (tmp_path / "foreign.dump.json").write_text(json.dumps({"vendor": "postgresql"}))
    refused = site.run("restore", str(foreign))
    assert refused.returncode == 1 and "is a postgresql backup" in refused.stderr
    exists = site.run("backup", str(foreign))
    assert exists.returncode == 1 and "exists" in exists.stderr


WRITER = """
import datetime as dt, sys
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Movement

movement = Movement.objects.get(slug="durable")
year = movement.starts_on.year
for batch in range(400):
    rows = [
        ReportRow(unit=f"W{n % 12}", indicator="steel", day=dt.date(year, 1 + n % 12, 1 + n % 28),
                  quantity="1.5", idempotency_key=f"online-{batch}-{n}")
        for n in range(250)
    ]
    record_reports(movement=movement, rows=rows, source=Report.Source.IMPORT)
    print(batch, flush=True)
"""


def test_a_backup_taken_while_an_ingest_writes_is_one_consistent_state(sites):
    site = sites("sqlite", "online")
    writer = subprocess.Popen(
        [PACESETTER, "shell", "-c", WRITER],
        env=site.env,
        cwd=site.directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        for _ in range(5):  # a few batches in before the backup starts
            writer.stdout.readline()
        path = site.directory / "online.sqlite3"
        made = site.run("backup", str(path))
        assert made.returncode == 0, made.stdout + made.stderr
        still_writing = writer.poll() is None
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert still_writing, "the writer finished before the backup did; nothing was shown"
    counted = json.loads(path.with_name(path.name + ".json").read_text())["counts"]
    # Whole batches only, and the copy checked its own aggregates against its own ledger.
    assert counted["ledger_report"] % 250 == 0 and counted["ledger_report"] >= 5 * 250
    assert "aggregates equal the ledger" in made.stdout

    target = sites("sqlite", "online-restored", setup=False)
    started = time.monotonic()
    restored = target.run("restore", str(path))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert time.monotonic() - started < 120
    state = target.state()
    assert state["reports"] == counted["ledger_report"] and not state["differences"]
