"""Background work of voices, as django-tasks tasks. Never run from a request handler.

`escalate_overdue` escalates every overdue voice. `pacesetter escalate-voices` runs it at once
(from cron, say) or enqueues it (`--enqueue`) for the task worker; `--every SECONDS` repeats
either, as the clock `pacesetter serve` starts."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from .actions import Escalated, escalate_overdue_voices

BATCH = 10_000


def escalate_due_voices(*, now: dt.datetime | None = None) -> Escalated:
    """Escalate every overdue voice, in batches of BATCH (one transaction each), until none is
    left at this moment."""
    moved = top = 0
    while True:
        result = escalate_overdue_voices(now=now, limit=BATCH)
        moved += result.escalated
        top += result.overdue_at_top
        if result.escalated + result.overdue_at_top < BATCH:
            return Escalated(escalated=moved, overdue_at_top=top)


@task()
def escalate_overdue() -> dict[str, int]:
    """Every voice past its topic's deadline one level up, as of when the task runs. Its result
    (kept with the task by the database backend) counts what it did."""
    result = escalate_due_voices()
    return {"escalated": result.escalated, "overdue_at_top": result.overdue_at_top}
