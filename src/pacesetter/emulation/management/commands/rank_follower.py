"""`pacesetter rank-follower`: the ranking follower. With RANKING_FOLLOWER on, ingests leave
their rankings to it; it ranks what is pending, oldest first, several ingests a round, until
stopped (SIGTERM or Ctrl-C finish the round under way first). `--once` ranks what is pending
and exits; `--parent PID` (how `pacesetter serve` starts it) also stops when that process, its
parent, has gone."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from pacesetter.core.tabular import console_for
from pacesetter.emulation.actions import rank_pending
from pacesetter.emulation.selectors import pending_reports


class Command(BaseCommand):
    help = "Rank the reports ingests left to the ranking follower (RANKING_FOLLOWER on)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="rank what is pending, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=0.2,
            help="seconds to wait when nothing is pending (default 0.2)",
        )
        parser.add_argument(
            "--parent",
            type=int,
            metavar="PID",
            help="stop when the process PID, which started this one, has ended (how "
            "`pacesetter serve` starts it)",
        )
        parser.add_argument(
            "--max-reports",
            type=int,
            default=100_000,
            help="at most this many reports a round, in whole ingests (default 100,000)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = console_for(self.stdout)
        stopping = []

        def stop(_signum, _frame) -> None:
            stopping.append(True)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        parent = options["parent"]
        rounds = ranked = 0
        if not options["once"]:
            console.print("ranking follower: following")
            self.stdout.flush()
        try:
            while not stopping:
                done = rank_pending(max_reports=options["max_reports"])
                if done:
                    rounds += 1
                    ranked += done
                    if options["verbosity"] > 1:
                        console.print(f"round {rounds}: {done:,} reports ranked")
                    continue
                if options["once"] or (parent is not None and os.getppid() != parent):
                    break
                time.sleep(options["interval"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        console.print(
            f"{ranked:,} reports ranked in {rounds:,} rounds; {pending_reports():,} pending."
        )
