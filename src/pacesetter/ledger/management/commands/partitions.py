"""`pacesetter partitions [--ahead N]`: the ledger's and per-day aggregates' quarter
partitions created ahead of time, then listed (PostgreSQL; see `ledger.partitions`).

Run it from a schedule (weekly is plenty): it creates the current quarter and the N after it
(default 4) where missing, and the quarters of any rows that landed in a DEFAULT partition,
moving those rows into them. With nothing to create it only reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connection
from django.utils import timezone
from rich.table import Table

from pacesetter.core.tabular import console_for
from pacesetter.ledger.partitions import (
    AHEAD,
    DAY_PARTITIONED,
    Partition,
    ensure_quarters,
    partition_name,
)


class Command(BaseCommand):
    help = (
        "Create the ledger's and per-day aggregates' quarter partitions ahead of time "
        f"(the current quarter and --ahead after it, default {AHEAD}), move rows out of the "
        "DEFAULT partitions into quarters, and list the partitions. PostgreSQL only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ahead",
            type=int,
            default=AHEAD,
            help=f"quarters after the current one to create (default {AHEAD})",
        )

    def handle(self, *args: Any, ahead: int, **options: Any) -> None:
        console = console_for(self.stdout)
        if connection.vendor != "postgresql":
            console.print(
                f"Partitioning is a PostgreSQL feature; this database is {connection.display_name}: "
                "nothing to do."
            )
            return
        if ahead < 0:
            raise CommandError("--ahead is a number of quarters, 0 or more.")
        try:
            outcome = ensure_quarters(ahead=ahead, today=timezone.localdate())
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
                raise CommandError(
                    "Another transaction kept a partitioned table busy for 10 seconds; "
                    "nothing was changed. Run the command again."
                ) from exc
            raise
        tables = {partition.table for partition in outcome.partitions}
        if not tables:
            raise CommandError(
                f"{', '.join(DAY_PARTITIONED)} are not partitioned: run `pacesetter migrate`."
            )
        for table, created in outcome.created.items():
            for quarter, moved in created.items():
                rows = "1 row" if moved == 1 else f"{moved:,} rows"
                note = f", {rows} moved from the DEFAULT partition" if moved else ""
                console.print(f"created {partition_name(table, quarter)}{note}")
        if not any(outcome.created.values()):
            console.print("every partition was there already")
        console.print(_partitions_table(outcome.partitions))


def _partitions_table(partitions: list[Partition]) -> Table:
    table = Table(
        title="partitions (rows: exact for DEFAULT, the planner's estimate for the others)",
        title_justify="left",
    )
    for name in ("table", "partition", "days", "rows"):
        table.add_column(name, justify="right" if name == "rows" else "left")
    for partition in partitions:
        if partition.is_default:
            days = "any other (DEFAULT)"
        elif partition.quarter is not None:
            last = partition.quarter.end - dt.timedelta(days=1)
            days = f"{partition.quarter.start} – {last}"
        else:
            days = partition.bounds
        rows = "—" if partition.rows is None else f"{partition.rows:,}"
        table.add_row(partition.table, partition.name, days, rows)
    return table
