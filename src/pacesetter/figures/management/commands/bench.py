"""`pacesetter bench`: the ingest and the national figures, measured against a raw floor."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter.bench.run import DATABASES, BenchError, Options, run


class Command(BaseCommand):
    help = (
        "Ingest generated reports through the real action on a fresh database, load the same "
        "rows with the raw driver (the floor), read the national figures; print and write "
        "var/bench/results.json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Options()
        parser.add_argument("--units", type=int, default=defaults.units)
        parser.add_argument("--reports", type=int, default=defaults.reports)
        parser.add_argument("--batch", type=int, default=defaults.batch)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--database", choices=DATABASES, default=defaults.database)
        parser.add_argument(
            "--reads", type=int, default=defaults.reads, help="reads of the national figures"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="afterwards, count the ledger, rebuild the aggregates and compare the floor's",
        )
        parser.add_argument(
            "--keep", action="store_true", help="keep the bench databases for inspection"
        )
        parser.add_argument("--output", type=Path, help="default: var/bench/results.json")

    def handle(self, *args, **options) -> None:
        try:
            run(
                Options(
                    units=options["units"],
                    reports=options["reports"],
                    batch=options["batch"],
                    seed=options["seed"],
                    database=options["database"],
                    reads=options["reads"],
                    check=options["check"],
                    keep=options["keep"],
                    output=options["output"],
                )
            )
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
