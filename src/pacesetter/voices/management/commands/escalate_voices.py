"""`pacesetter escalate-voices`: every open voice past its topic's deadline goes one level up
(see voices.actions.escalate_overdue_voices), through the task voices.tasks.escalate_overdue.

Without options it runs the task now, here, and says what it did (from cron, e.g. every 15
minutes). `--enqueue` hands it to the task worker instead. `--every SECONDS` keeps running and
does either every SECONDS: the clock `pacesetter serve` starts as `--every 900 --enqueue
--parent PID`, which also stops when that process, its parent, has gone."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from pacesetter.core.tabular import console_for
from pacesetter.voices.tasks import escalate_overdue


class Command(BaseCommand):
    help = "Escalate the voices past their deadline one level up."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="enqueue the escalation for the task worker instead of running it here",
        )
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="keep running, escalating (or enqueuing) every SECONDS (stop with SIGTERM or "
            "Ctrl-C)",
        )
        parser.add_argument(
            "--parent",
            type=int,
            metavar="PID",
            help="with --every, stop when the process PID, which started this one, has ended "
            "(how `pacesetter serve` starts it)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = console_for(self.stdout)
        every, parent = options["every"], options["parent"]
        stopping: list[bool] = []
        previous = {}
        if every:
            previous = {
                sig: signal.signal(sig, lambda _s, _f: stopping.append(True))
                for sig in (signal.SIGTERM, signal.SIGINT)
            }
        try:
            while True:
                if options["enqueue"]:
                    result = escalate_overdue.enqueue()
                    console.print(f"escalation enqueued: task {result.id}")
                else:
                    done = escalate_overdue.call()
                    console.print(
                        f"voices escalated: {done['escalated']:,}; "
                        f"overdue at the top of the tree: {done['overdue_at_top']:,}"
                    )
                self.stdout.flush()
                if not every:
                    return
                waited = 0.0
                while waited < every and not stopping and not _orphaned(parent):
                    time.sleep(min(0.5, every))
                    waited += 0.5
                if stopping or _orphaned(parent):
                    return
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _orphaned(parent: int | None) -> bool:
    """The process that started this one (`--parent`) has gone."""
    return parent is not None and os.getppid() != parent
