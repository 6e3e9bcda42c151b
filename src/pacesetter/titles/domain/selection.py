"""Who of the eligible is selected: the council's vote and the cap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from ._text import _number
from .evaluation import _compare
from .rules import Cap, RuleVersion


def vote_result(
    *, version: RuleVersion, yes: int, no: int, abstain: int, council_size: int
) -> tuple[bool, str]:
    """The council's decision against the rule's threshold. The denominator is every council
    member unless the rule says `of: present` (those who voted, abstentions included)."""
    vote = version.vote
    if vote is None:
        return True, "this title needs no council vote"
    present = yes + no + abstain
    denominator = council_size if vote.of == "all_members" else present
    if denominator <= 0:
        return False, "nobody to count"
    t = vote.threshold
    passed = _compare(Decimal(yes) * 100, t.op, t.amount * denominator)
    share = (Decimal(yes) * 100 / denominator).quantize(Decimal("0.1"), ROUND_HALF_UP)
    whom = (
        f"all {council_size} council members" if vote.of == "all_members" else f"{present} present"
    )
    verdict = "carried" if passed else "not carried"
    return passed, f"{yes} yes of {whom} = {share}%, needs {t.text()}: {verdict}"


@dataclass(frozen=True)
class CapEntry:
    key: Any  # the candidate's id
    group: Any  # the cap's group (the candidate's unit with `per: unit`, else None)
    eligible: bool
    in_base: bool  # counts towards the base of a percentage cap
    rank: tuple  # sort key: smaller first


@dataclass(frozen=True)
class CapGroup:
    group: Any
    base: int
    allowed: int | None  # None: no cap
    eligible: int
    selected: int
    text: str
    # More qualify than the cap allows and the rules state no order: nobody is selected by
    # the engine; every qualifying candidate competes for the `allowed` places, and the
    # council's vote or the awarding body's decision chooses (at most `allowed` awards).
    competing: bool = False


ROUNDING_WORDS = {"floor": "rounded down", "ceil": "rounded up", "nearest": "rounded to nearest"}


def cap_text(cap: Cap, base: int) -> str:
    """ "15% of 20 advanced workers = 3, rounded down: 3" (the base named by the label of the
    cap's `of`, when it has one); "at most 3" for a fixed cap."""
    if cap.maximum is not None:
        return f"at most {cap.maximum}"
    exact = Fraction(cap.percent) * base / 100
    label = getattr(cap.of, "label", "") if cap.of is not None else ""
    return (
        f"{_number(cap.percent)}% of {base}{' ' + label if label else ''} = "
        f"{_number(Decimal(exact.numerator) / Decimal(exact.denominator))}, "
        f"{ROUNDING_WORDS.get(cap.rounding, 'rounded ' + cap.rounding)}: {cap.allowed(base)}"
    )


def select_within_cap(
    cap: Cap | None, entries: Sequence[CapEntry], *, ordered: bool = True
) -> tuple[dict[Any, int], list[CapGroup]]:
    """Position of every eligible candidate in its group's ranking (1 = first) and, per group,
    how many the cap allows; a candidate is selected when its position is within the cap.

    `ordered` says whether the rules state an order (`rank_by`). Where they do not and more
    qualify than the cap allows, the group is *competing*: its candidates get no position and
    none is selected by the engine, since the choice belongs to the council or the awarding
    body. Where everyone who qualifies fits, all are selected, order or not."""
    groups: dict[Any, list[CapEntry]] = {}
    for entry in entries:
        groups.setdefault(
            entry.group if cap is not None and cap.per == "unit" else None, []
        ).append(entry)
    positions: dict[Any, int] = {}
    summary: list[CapGroup] = []
    for group, members in groups.items():
        eligible = sorted((e for e in members if e.eligible), key=lambda e: e.rank)
        if cap is None:
            positions.update((e.key, i) for i, e in enumerate(eligible, start=1))
            summary.append(
                CapGroup(group, len(members), None, len(eligible), len(eligible), "no cap")
            )
            continue
        base = len(members) if cap.maximum is not None else sum(1 for e in members if e.in_base)
        allowed = cap.allowed(base)
        competing = not ordered and len(eligible) > allowed
        if not competing:
            positions.update((e.key, i) for i, e in enumerate(eligible, start=1))
        summary.append(
            CapGroup(
                group,
                base,
                allowed,
                len(eligible),
                0 if competing else min(allowed, len(eligible)),
                cap_text(cap, base),
                competing,
            )
        )
    return positions, summary
