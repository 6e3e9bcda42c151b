"""`pacesetter escalate-voices`: every open voice past its topic's deadline goes one level up
(see voices.actions.escalate_overdue_voices). Run it from cron (e.g. every 15 minutes), or keep
it running with `--every SECONDS`."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from pacesetter.core.tabular import console_for
from pacesetter.voices.tasks import escalate_due_voices


class Command(BaseCommand):
    help = "Escalate the voices past their deadline one level up."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="keep running, escalating every SECONDS (stop with SIGTERM or Ctrl-C)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = console_for(self.stdout)
        every = options["every"]
        stopping: list[bool] = []
        if every:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda _s, _f: stopping.append(True))
        while True:
            result = escalate_due_voices()
            console.print(
                f"voices escalated: {result.escalated:,}; "
                f"overdue at the top of the tree: {result.overdue_at_top:,}"
            )
            if not every:
                return
            waited = 0.0
            while waited < every and not stopping:
                time.sleep(min(0.5, every))
                waited += 0.5
            if stopping:
                return
