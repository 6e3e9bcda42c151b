"""What drives do when the unit tree changes (connected in DrivesConfig.ready)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from pacesetter.units.models import Unit

from ._shared import _upsert


def _shift_subtree(*, unit: Unit, old_ancestor_ids: Sequence[int], new_ancestor_ids: Sequence[int]):
    """Receiver of `units.signals.unit_moved`, in the move's transaction: the moved unit's
    subtree counts (sign-ups, placements, enlistment returns) leave its old ancestors and
    join its new ones. (Donation totals by subtree are the ledger's, which shifts its own.)"""
    old, new = set(old_ancestor_ids), set(new_ancestor_ids)
    leaving, joining = sorted(old - new), sorted(new - old)
    if not leaving and not joining:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT call_id, bucket, day, subtree FROM drives_signuptotal"
            " WHERE unit_id = %s AND subtree != 0",
            [unit.pk],
        )
        signups = cursor.fetchall()
        cursor.execute(
            "SELECT drive_id, day, reported FROM drives_enlistmentcoverage"
            " WHERE unit_id = %s AND reported != 0",
            [unit.pk],
        )
        coverage = cursor.fetchall()
    for ancestors, sign in ((leaving, -1), (joining, 1)):
        _upsert(
            "drives_signuptotal",
            ("call_id", "unit_id", "bucket", "day"),
            ("own", "subtree", "posted"),
            [
                (call_id, a, bucket, day, 0, sign * n, 0)
                for call_id, bucket, day, n in signups
                for a in ancestors
            ],
        )
        _upsert(
            "drives_enlistmentcoverage",
            ("drive_id", "unit_id", "day"),
            ("reported",),
            [(drive_id, a, day, sign * n) for drive_id, day, n in coverage for a in ancestors],
        )
