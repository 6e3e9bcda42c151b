"""`pacesetter task-worker`: runs the background tasks queued in the database (TASKS_BACKEND
django_tasks_db.DatabaseBackend, the default) — django-tasks-db's `db_worker`, with every option
of it, and one more: `--parent PID` (how `pacesetter serve` starts it) also stops when that
process, its parent, has gone, instead of working on as an orphan. `--batch` runs what is
queued, then exits."""

from __future__ import annotations

import os
import time
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorker
from django_tasks_db.management.commands.db_worker import Worker


class Command(DbWorker):
    help = "Run the background tasks queued in the database until stopped (SIGTERM, Ctrl-C)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--parent",
            type=int,
            metavar="PID",
            help="stop when the process PID, which started this one, has ended (how "
            "`pacesetter serve` starts it); never reloads",
        )

    # db_worker's handle names each of its options; this one takes them all, and --parent.
    def handle(self, *args: Any, **options: Any) -> None:  # type: ignore[override]
        parent = options.pop("parent", None)
        if parent is None:
            super().handle(*args, **options)
            return
        self.configure_logging(options["verbosity"])
        exclude = options["exclude_queues"]
        # Rounds of db_worker's batch mode (every task ready, then back here), with a look at
        # the parent between them: the stock loop only sleeps between tasks.
        worker = Worker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=True,
            backend_name=options["backend_name"],
            startup_delay=False,
            max_tasks=None,
            worker_id=options["worker_id"],
            excluded_queue_names=exclude.split(",") if exclude else [],
        )
        # SIGTERM or Ctrl-C finish the task under way, or end the process while it waits.
        worker.configure_signals()
        try:
            while worker.running:
                worker.run()
                if options["batch"] or os.getppid() != parent:
                    return
                time.sleep(options["interval"])
        finally:
            worker.reset_signals()
