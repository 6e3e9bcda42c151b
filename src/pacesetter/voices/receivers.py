"""What voices do when the unit tree changes (connected in VoicesConfig.ready)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from pacesetter.units.models import Unit

from .steps import COLUMNS, TOTALS, execute


def shift_subtree(*, unit: Unit, old_ancestor_ids: Sequence[int], new_ancestor_ids: Sequence[int]):
    """Receiver of `units.signals.unit_moved`, in the move's transaction: the moved unit's
    subtree figures (totals and time buckets) leave its old ancestors and join its new ones."""
    old, new = set(old_ancestor_ids), set(new_ancestor_ids)
    leaving, joining = sorted(old - new), sorted(new - old)
    if not leaving and not joining:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT topic_id, {', '.join(COLUMNS)} FROM {TOTALS} WHERE unit_id = %s", [unit.pk]
        )
        totals = cursor.fetchall()
        cursor.execute(
            "SELECT topic_id, measure, bucket, count FROM voices_voicetiming WHERE unit_id = %s",
            [unit.pk],
        )
        timings = cursor.fetchall()
    for ancestors, sign in ((leaving, -1), (joining, 1)):
        execute(
            TOTALS,
            ("unit_id", "topic_id"),
            COLUMNS,
            [
                (a, topic, *(sign * v for v in values))
                for topic, *values in totals
                for a in ancestors
            ],
        )
        execute(
            "voices_voicetiming",
            ("unit_id", "topic_id", "measure", "bucket"),
            ("count",),
            [
                (a, topic, measure, bucket, sign * count)
                for topic, measure, bucket, count in timings
                for a in ancestors
            ],
        )
