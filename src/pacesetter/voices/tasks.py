"""Background work of voices. The project has no task queue (django-tasks is not in the
stack): `pacesetter escalate-voices` runs this from cron, or as a long-lived loop with
`--every SECONDS`. Never from a request handler."""

from __future__ import annotations

import datetime as dt

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
