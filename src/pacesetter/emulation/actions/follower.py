"""The ranking follower: ingests leave what to rank in a pending row, and `rank_pending`
ranks them later, outside the ingest's transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from pacesetter.audit.actions import write_event
from pacesetter.core.errors import StateError
from pacesetter.core.rows import insert_rows
from pacesetter.movements.models import Movement

from ..models import PendingRanking
from ._shared import _int_list, _stamp
from .standings import _apply, _plans, _Stale


@dataclass(slots=True)
class _Moved:
    """A report as the follower ranks it (the attributes the ledger's rows give the
    receiver)."""

    unit_path: str
    indicator_id: int
    day: dt.date
    key: str
    corrects_id: int | None  # 1 for a correction: which report it corrects does not matter


def _leave_to_follower(movement: Movement, rows: Sequence) -> None:
    """Write down what the follower must rank: one row per ingest, whatever its size."""
    payload = json.dumps(
        [
            [row.unit_path, row.indicator_id, row.day.isoformat(), row.key]
            + ([1] if row.corrects_id is not None else [])
            for row in rows
        ],
        separators=(",", ":"),
    )
    insert_rows(
        PendingRanking._meta.db_table,
        ("movement_id", "created_at", "rows", "reports"),
        [(movement.pk, _stamp(timezone.now()), payload, len(rows))],
    )


def rank_pending(*, max_reports: int = 100_000) -> int:
    """One round of the ranking follower: the oldest pending ingests of one movement (up to
    `max_reports` reports, whole ingests) ranked together, as the receiver ranks one ingest —
    standings, overtaking events, notifications — and their pending rows deleted, in one
    transaction. Returns how many reports it ranked (0: nothing was pending).

    The reading and the arithmetic happen before that transaction, so on SQLite the ingests
    keep the write lock meanwhile; the transaction applies the round only if no other writer
    changed the standings of its scorings since it read them, and otherwise the round is
    worked out again. Several ingests ranked in one round give the events of the change from
    before the first to after the last (replaying them still gives the order as it is)."""
    for _attempt in range(10):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, movement_id, reports FROM {PendingRanking._meta.db_table} "
                "ORDER BY id LIMIT 1000"
            )
            found = cursor.fetchall()
        if not found:
            return 0
        movement_id = found[0][1]
        ids: list[int] = []
        total = 0
        for pk, of_movement, reports in found:
            if of_movement != movement_id:
                continue
            if ids and total + reports > max_reports:
                break
            ids.append(pk)
            total += reports
        moved: list[_Moved] = []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rows FROM {PendingRanking._meta.db_table} "
                f"WHERE id IN ({_int_list(ids)}) ORDER BY id"
            )
            for (payload,) in cursor.fetchall():
                for path, indicator_id, day, key, *correction in (
                    json.loads(payload) if isinstance(payload, str) else payload
                ):
                    moved.append(
                        _Moved(
                            path,
                            indicator_id,
                            dt.date.fromisoformat(day),
                            key,
                            1 if correction else None,
                        )
                    )
        movement = Movement.objects.get(pk=movement_id)
        planned = _plans(movement, moved, locked=False)
        try:
            with transaction.atomic():
                if planned is not None:
                    batch, plans = planned
                    for plan in plans:
                        _apply(plan, batch)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"DELETE FROM {PendingRanking._meta.db_table} "
                        f"WHERE id IN ({_int_list(ids)})"
                    )
                    if cursor.rowcount != len(ids):
                        raise _Stale  # another follower ranked them first
                write_event(
                    action=rank_pending.audited_as,
                    target=movement,
                    movement=movement,
                    after={"reports": total, "ingests": len(ids)},
                )
        except _Stale:
            continue
        return total
    raise StateError("The standings kept changing under the ranking follower; try again.")


# Audited, but not by @audited: that would run the whole round in one transaction, and on
# SQLite hold the write lock through the arithmetic. The round writes its own audit row in the
# transaction that applies it.
rank_pending.audited_as = "emulation.rank_pending"  # type: ignore[attr-defined]
