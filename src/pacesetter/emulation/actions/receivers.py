"""Receivers of the ledger's and the unit tree's signals (connected in EmulationConfig.ready)."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

from django.conf import settings
from django.db import connection

from pacesetter.movements.models import Movement
from pacesetter.units.models import Block, Unit

from ..models import Scoring
from .follower import _leave_to_follower
from .scorings import _rescore_all
from .standings import _apply, _plans


def _on_reports_recorded(sender, *, movement: Movement, rows: Sequence, **kwargs) -> None:
    """Receiver of ledger.signals.reports_recorded: keep the movement's standings current
    and record who overtook whom. Runs inside the ingest's transaction: the ranking is done
    there and then, or — with the ranking follower on (settings.RANKING_FOLLOWER) — what to
    rank is written down for the follower (`rank_pending`), in the same transaction."""
    with connection.cursor() as cursor:
        # Most movements rank nothing: one indexed probe, not the scorings with their parts.
        cursor.execute(
            "SELECT 1 FROM emulation_scoring WHERE movement_id = %s AND retired_at IS NULL LIMIT 1",
            [movement.pk],
        )
        if cursor.fetchone() is None:
            return
    if settings.RANKING_FOLLOWER:
        _leave_to_follower(movement, rows)
        return
    found = _plans(movement, rows, locked=True)
    if found is not None:
        batch, plans = found
        for plan in plans:
            _apply(plan, batch)


def _on_verification_decided(sender, *, movement: Movement, decision, **kwargs) -> None:
    """Receiver of ledger.signals.verification_decided: a movement ranked on verified figures
    re-ranks the day the decision changed, as if a report had arrived for it (a movement
    ranked on all figures saw that change already, with the correction the decision filed)."""
    if not movement.rank_on_verified:
        return
    path = Unit.objects.filter(pk=decision.unit_id).values_list("path", flat=True).get()
    changed = SimpleNamespace(
        unit_id=decision.unit_id,
        unit_path=path,
        indicator_id=decision.indicator_id,
        day=decision.day,
        key=f"verification:{decision.pk}",
        corrects_id=None,
    )
    _on_reports_recorded(sender, movement=movement, rows=[changed])


def _on_unit_moved(
    sender, *, unit: Unit, old_ancestor_ids: list[int], new_ancestor_ids: list[int], **kwargs
) -> None:
    """Receiver of units.signals.unit_moved (after the ledger has shifted the subtree totals,
    in the move's transaction): the old and new ancestors' totals changed, so re-rank them
    wherever a block holds them. Changes of order are events caused by a re-ranking."""
    touched = set(old_ancestor_ids) | set(new_ancestor_ids)
    through = Block.units.through
    blocks = set(through.objects.filter(unit_id__in=touched).values_list("block_id", flat=True))
    if not blocks:
        return
    for scoring in Scoring.objects.filter(
        block_id__in=blocks, retired_at__isnull=True
    ).select_related("block", "movement"):
        _rescore_all(scoring, scoring.movement, touched=touched)
