"""Plans rolled up through the unit tree: pure arithmetic, no Django.

A unit's *effective plan* on an indicator in a period is its own planned quantity when it has
one; otherwise the sum of its children's effective plans, when at least one child has one;
otherwise none. So plans set only on the leaves of a five-level tree give every ancestor a plan
(the national plan is the sum of the county plans), and a plan set at some level stands for
that level's subtree: it is never added to the plans below it, which it already covers.

`roll_up` computes every roll-up from scratch (what `rebuild-aggregates --check` and the
migration use); `RollUp.set_own` and `RollUp.move` keep them current one change at a time
(what a plan change and a unit move do in their transaction). Property tests hold the two equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

Key = Hashable  # (indicator id, period id)


@dataclass
class Totals:
    """What one unit holds for one key: its effective plan, and the sum and number of its
    children's effective plans (the number tells "none below" from "a sum of zero")."""

    planned: int | None = None
    below: int = 0
    children_planned: int = 0

    def below_or_none(self) -> int | None:
        return self.below if self.children_planned else None


def effective(own: int | None, totals: Totals | None) -> int | None:
    if own is not None:
        return own
    return totals.below_or_none() if totals is not None else None


def roll_up(
    *,
    parents: Mapping[int, int | None],
    own: Mapping[tuple[int, Key], int | None],
) -> dict[tuple[int, Key], Totals]:
    """Every unit × key with a plan of its own or below it. `parents` maps each unit to its
    parent (None for a root); `own` holds each unit's own planned quantity."""
    depth: dict[int, int] = {}

    def depth_of(unit: int) -> int:
        if unit not in depth:
            parent = parents[unit]
            depth[unit] = 0 if parent is None else depth_of(parent) + 1
        return depth[unit]

    by_depth: dict[int, set[tuple[int, Key]]] = defaultdict(set)
    for unit, key in own:
        by_depth[depth_of(unit)].add((unit, key))
    result: dict[tuple[int, Key], Totals] = {}
    # The deepest first: a unit's effective plan is final once all its children are summed.
    for level in range(max(by_depth, default=-1), -1, -1):
        for unit, key in by_depth[level]:
            totals = result.setdefault((unit, key), Totals())
            totals.planned = effective(own.get((unit, key)), totals)
            parent = parents[unit]
            if parent is not None and totals.planned is not None:
                above = result.setdefault((parent, key), Totals())
                above.below += totals.planned
                above.children_planned += 1
                by_depth[level - 1].add((parent, key))
    return {k: v for k, v in result.items() if v.planned is not None or v.children_planned}


class RollUp:
    """Roll-ups of a set of units kept in memory while changes are applied one by one.

    Load it with the own plans and the totals of every unit a change touches (the changed units
    and all their ancestors, old and new); `dirty` then names the totals to write back."""

    def __init__(
        self,
        *,
        own: Mapping[tuple[int, Key], int | None],
        totals: Mapping[tuple[int, Key], Totals],
    ) -> None:
        self.own = dict(own)
        self.totals = {k: Totals(t.planned, t.below, t.children_planned) for k, t in totals.items()}
        self.dirty: set[tuple[int, Key]] = set()

    def effective(self, unit: int, key: Key) -> int | None:
        return effective(self.own.get((unit, key)), self.totals.get((unit, key)))

    def _row(self, unit: int, key: Key) -> Totals:
        self.dirty.add((unit, key))
        return self.totals.setdefault((unit, key), Totals())

    def set_own(
        self, *, unit: int, key: Key, planned: int | None, ancestors: Iterable[int]
    ) -> None:
        """The unit's own planned quantity becomes `planned`; `ancestors` nearest first."""
        before = self.effective(unit, key)
        self.own[(unit, key)] = planned
        after = self.effective(unit, key)
        self._row(unit, key).planned = after
        self._pass_up(key, before, after, ancestors)

    def move(self, *, unit: int, keys: Iterable[Key], old: list[int], new: list[int]) -> None:
        """The unit (with its subtree) moves from under `old` to under `new` (nearest first)."""
        for key in keys:
            planned = self.effective(unit, key)
            self._pass_up(key, planned, None, old)
            self._pass_up(key, None, planned, new)

    def _pass_up(
        self, key: Key, before: int | None, after: int | None, ancestors: Iterable[int]
    ) -> None:
        for ancestor in ancestors:
            if before == after:
                return
            was = self.effective(ancestor, key)
            row = self._row(ancestor, key)
            row.below += (after or 0) - (before or 0)
            row.children_planned += (after is not None) - (before is not None)
            row.planned = self.effective(ancestor, key)
            before, after = was, row.planned
