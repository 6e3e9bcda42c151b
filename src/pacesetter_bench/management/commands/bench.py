"""`pacesetter bench`: the bench suite (province, county, emulation, experience and
reserves), each figure beside the raw floor."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter_bench import drives as drives_bench
from pacesetter_bench import experience as experience_bench
from pacesetter_bench import load as load_bench
from pacesetter_bench import titles as titles_bench
from pacesetter_bench import voices as voices_bench
from pacesetter_bench.run import DATABASES, BenchError, Options, run


class Command(BaseCommand):
    help = (
        "The bench suite, each part on a fresh database: a province (--units, --reports) "
        "ingested through the real action and loaded with the raw driver (the floor), its "
        "national figures, pages, titles and drives; a county the same way; the emulation "
        "bench; the experience and reserves bench. Prints each part and writes "
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
        parser.add_argument(
            "--titles",
            action="store_true",
            help="only the titles bench: evaluate --persons people for one title for a year",
        )
        parser.add_argument("--persons", type=int, default=titles_bench.PERSONS)
        parser.add_argument(
            "--drives",
            action="store_true",
            help="only the drives bench: a day of national enlistment (--units reporting units "
            "× 2 roles) and a sign-up burst of --rate a second for --seconds against the server",
        )
        parser.add_argument("--rate", type=int, default=drives_bench.RATE)
        parser.add_argument("--seconds", type=int, default=drives_bench.SECONDS)
        parser.add_argument(
            "--emulation",
            action="store_true",
            help="instead: a block's ranking kept current while reports arrive, ingest with "
            "and without it, and its reads (small unless --block is given)",
        )
        parser.add_argument("--block", type=int, help="with --emulation: the block's size")
        parser.add_argument(
            "--inline-ranking",
            action="store_true",
            help="the emulation part with each ingest ranking in its own transaction (both "
            "movements in one database, batch by batch in alternation) instead of the ranking "
            "follower beside the ingest",
        )
        parser.add_argument(
            "--no-county",
            action="store_true",
            help="skip the suite's county part (a tenth of the size, at most 1,000 units and "
            "100,000 reports, ingested against the floor on a database of its own)",
        )
        parser.add_argument(
            "--no-ranking",
            action="store_true",
            help="skip the suite's emulation part (a block of up to 10,000 units ranked while "
            "--reports reports arrive, against the same ingest without a ranking)",
        )
        parser.add_argument(
            "--load",
            action="store_true",
            help="only the load test: a county (--units, --reports; default 1,000 and 100,000) "
            "served by gunicorn, single-report POSTs stepped through --rates (each for "
            "--step-seconds) with bulk uploads and dashboard reads alongside, until p95 passes "
            "250 ms or an error; then the ledger and aggregates are checked",
        )
        parser.add_argument(
            "--rates",
            default=",".join(map(str, load_bench.RATES)),
            help="with --load: the single-report rates per second, comma-separated",
        )
        parser.add_argument("--step-seconds", type=int, default=load_bench.STEP_SECONDS)
        parser.add_argument(
            "--experience",
            action="store_true",
            help="only the experience and reserves part: a tree of --units (default 10,000) "
            "with --reports over a year, --practices published and --adoptions adoptions, "
            "--reserves reserves; the effect of every practice and the root's reserve figures",
        )
        experience = experience_bench.ExperienceOptions()
        parser.add_argument("--practices", type=int, default=experience.practices)
        parser.add_argument("--adoptions", type=int, default=experience.adoptions)
        parser.add_argument("--reserves", type=int, default=experience.reserves)
        parser.add_argument(
            "--no-experience",
            action="store_true",
            help="skip the suite's experience and reserves part (its own database, at its "
            "default sizes when the province is at its own, scaled down with a smaller run)",
        )
        parser.add_argument(
            "--voices",
            action="store_true",
            help="only the voices part: a tree of --units (default 10,000), --voices-count "
            "voices through the real import (--overdue of them due in a day); the root's "
            "open/overdue figures and one background escalation run two days later",
        )
        parser.add_argument("--voices-count", type=int, default=voices_bench.VOICES)
        parser.add_argument("--overdue", type=int, default=voices_bench.OVERDUE)
        parser.add_argument(
            "--no-voices",
            action="store_true",
            help="skip the suite's voices part (its own database; scaled down with a smaller run)",
        )

    def handle(self, *args, **options) -> None:
        try:
            if options["load"]:
                # The ingest bench's sizes are a province; the load test's default is a county.
                defaults = Options()
                units, reports = options["units"], options["reports"]
                load_bench.run_alone(
                    load_bench.LoadOptions(
                        database=options["database"],
                        units=load_bench.UNITS if units == defaults.units else units,
                        reports=load_bench.REPORTS if reports == defaults.reports else reports,
                        rates=tuple(int(rate) for rate in options["rates"].split(",") if rate),
                        step_seconds=options["step_seconds"],
                        seed=options["seed"],
                        keep=options["keep"],
                        output=options["output"],
                    )
                )
                return
            if options["experience"]:
                experience_bench.run_alone(
                    experience_bench.ExperienceOptions(
                        units=options["units"],
                        reports=options["reports"],
                        practices=options["practices"],
                        adoptions=options["adoptions"],
                        reserves=options["reserves"],
                        batch=options["batch"],
                        seed=options["seed"],
                        reads=min(options["reads"], experience_bench.READS),
                        database=options["database"],
                        keep=options["keep"],
                        output=options["output"],
                    )
                )
                return
            if options["voices"]:
                voices_bench.run_alone(
                    voices_bench.VoicesOptions(
                        units=options["units"],
                        voices=options["voices_count"],
                        overdue=options["overdue"],
                        batch=options["batch"],
                        seed=options["seed"],
                        reads=options["reads"],
                        database=options["database"],
                        keep=options["keep"],
                        output=options["output"],
                    )
                )
                return
            if options["drives"]:
                drives_bench.run_alone(
                    database=options["database"],
                    seed=options["seed"],
                    keep=options["keep"],
                    output=options["output"],
                    units=options["units"],
                    rate=options["rate"],
                    seconds=options["seconds"],
                )
                return
            if options["titles"]:
                titles_bench.run_alone(
                    database=options["database"],
                    persons=options["persons"],
                    seed=options["seed"],
                    keep=options["keep"],
                    output=options["output"],
                )
                return
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
                    emulation=options["emulation"],
                    block=options["block"],
                    inline_ranking=options["inline_ranking"],
                    county=not options["no_county"],
                    ranking=not options["no_ranking"],
                    experience=not options["no_experience"],
                    voices=not options["no_voices"],
                )
            )
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
