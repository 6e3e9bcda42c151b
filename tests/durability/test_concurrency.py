"""Several processes ingest into the same unit and indicator at once, single reports and
batches interleaved: no update is lost, in the ledger or in any aggregate (the unit's own daily
total, and every ancestor's subtree totals), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.durability.conftest import PACESETTER, VENDORS

PROCESSES = 4
SINGLES = 60  # single-report calls per process
BATCHES = 6  # batch calls per process, BATCH rows each
BATCH = 50

# Each process: SINGLES calls of one report and BATCHES calls of BATCH reports, alternating,
# all to W0 / steel on two days (both days in one monthly period), and a latest-level figure
# for the same unit. Quantities are whole tonnes: 1 t (10 tenths) each.
INGEST = """
import datetime as dt
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Movement

process = {process}
movement = Movement.objects.get(slug="durable")
days = [dt.date(movement.starts_on.year, 3, 10), dt.date(movement.starts_on.year, 3, 11)]
sent = 0
for n in range({singles}):
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W0", indicator="steel", day=days[n % 2], quantity="1",
                        idempotency_key=f"p{{process}}-single-{{n}}")],
        source=Report.Source.API,
    )
    sent += 1
    if n % ({singles} // {batches}) == 0 and n // ({singles} // {batches}) < {batches}:
        batch = n // ({singles} // {batches})
        record_reports(
            movement=movement,
            rows=[ReportRow(unit="W0", indicator="steel", day=days[m % 2], quantity="1",
                            idempotency_key=f"p{{process}}-batch-{{batch}}-{{m}}")
                  for m in range({batch_size})],
            source=Report.Source.IMPORT,
        )
        sent += {batch_size}
print(sent)
"""

TOTALS = """
import json
from pacesetter.ledger.models import DailyTotal, SubtreeDailyTotal, SubtreePeriodTotal
from pacesetter.units.models import Unit
codes = dict(Unit.objects.values_list("pk", "code"))
def rows(model, key):
    return sorted(
        [codes[u], str(k), q, e]
        for u, k, q, e in model.objects.filter(indicator__code="steel").values_list(
            "unit_id", key, "quantity_minor", "entries")
    )
print(json.dumps({
    "daily": rows(DailyTotal, "day"),
    "subtree_daily": rows(SubtreeDailyTotal, "day"),
    "subtree_period": rows(SubtreePeriodTotal, "period__name"),
}))
"""


@pytest.mark.parametrize("vendor", VENDORS)
def test_parallel_ingests_to_one_unit_and_indicator_lose_no_update(sites, vendor):
    site = sites(vendor, "concurrency")
    processes = [
        subprocess.Popen(
            [
                PACESETTER,
                "shell",
                "-c",
                INGEST.format(
                    process=number,
                    singles=SINGLES,
                    batches=BATCHES,
                    batch_size=BATCH,
                ),
            ],
            env=site.env,
            cwd=site.directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(PROCESSES)
    ]
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    per_process = SINGLES + BATCHES * BATCH
    assert [int(out.strip().splitlines()[-1]) for out, _ in outputs] == [per_process] * PROCESSES

    total = PROCESSES * per_process
    state = site.state()
    assert state["reports"] == state["distinct_keys"] == total
    assert state["quantity"] == total * 10
    assert not state["differences"], state["differences"]

    totals = json.loads(site.shell(TOTALS).strip().splitlines()[-1])
    per_day = total // 2
    assert totals["daily"] == [
        ["W0", day, per_day * 10, per_day] for day in sorted(_days(totals["daily"]))
    ]
    # W0's subtree is W0 itself; its province P0 and the country KP carry the same totals.
    for unit in ("W0", "P0", "KP"):
        daily = [row[1:] for row in totals["subtree_daily"] if row[0] == unit]
        assert daily == [[day, per_day * 10, per_day] for day in sorted(_days(totals["daily"]))]
        # Every period holding the two days (the month, and any longer one) has them all.
        periods = [row[2:] for row in totals["subtree_period"] if row[0] == unit]
        assert periods and all(period == [total * 10, total] for period in periods), periods


def _days(rows: list[list]) -> set[str]:
    return {row[1] for row in rows}
