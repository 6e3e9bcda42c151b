"""What reserves do when the unit tree changes (connected in ReservesConfig.ready)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from pacesetter.units.models import Unit

from .actions import _COLUMNS, TOTALS, _upsert


def shift_subtree(*, unit: Unit, old_ancestor_ids: Sequence[int], new_ancestor_ids: Sequence[int]):
    """Receiver of `units.signals.unit_moved`, in the move's transaction: the moved unit's
    subtree figures leave its old ancestors and join its new ones."""
    old, new = set(old_ancestor_ids), set(new_ancestor_ids)
    leaving, joining = sorted(old - new), sorted(new - old)
    if not leaving and not joining:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT measure, {', '.join(_COLUMNS)} FROM {TOTALS} WHERE unit_id = %s", [unit.pk]
        )
        rows = cursor.fetchall()
    for ancestors, sign in ((leaving, -1), (joining, 1)):
        _upsert(
            [
                (a, measure, *(sign * value for value in values))
                for measure, *values in rows
                for a in ancestors
            ]
        )
