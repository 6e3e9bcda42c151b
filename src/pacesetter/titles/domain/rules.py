"""The rule tree: a pack of titles, their rule versions, and the conditions they are made of."""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from ._text import _number


@dataclass(frozen=True)
class FactRef:
    name: str
    params: tuple[tuple[str, str], ...] = ()

    # Computed once: a run asks for them for every condition of every candidate.
    @functools.cached_property
    def key(self) -> str:
        if not self.params:
            return self.name
        return self.name + "(" + ", ".join(f"{k}={v}" for k, v in self.params) + ")"

    @functools.cached_property
    def _params(self) -> dict[str, str]:
        return dict(self.params)

    def param(self, name: str, default: str | None = None) -> str | None:
        return self._params.get(name, default)


@dataclass(frozen=True)
class Compare:
    kind: ClassVar[str] = "fact"
    fact: FactRef
    op: str
    value: Any  # Decimal, ordinal name or bool
    label: str = ""
    line: int = 0


@dataclass(frozen=True)
class AllOf:
    kind: ClassVar[str] = "all"
    items: tuple[Condition, ...]
    label: str = ""
    line: int = 0


@dataclass(frozen=True)
class AnyOf:
    kind: ClassVar[str] = "any"
    items: tuple[Condition, ...]
    label: str = ""
    line: int = 0


@dataclass(frozen=True)
class Not:
    kind: ClassVar[str] = "not"
    item: Condition
    label: str = ""
    line: int = 0


@dataclass(frozen=True)
class Held:
    """Held `title` in each of the last `consecutive` periods, or at least `at_least` times
    (optionally within the last `within` periods); the last period is the one judged, or the
    one before it with `ending: previous`."""

    kind: ClassVar[str] = "held"

    title: str
    consecutive: int | None = None
    at_least: int | None = None
    within: int | None = None
    ending: str = "current"
    label: str = ""
    line: int = 0


@dataclass(frozen=True)
class Threshold:
    """`>= 70%`, `> 50%`, `>= 1` (a count) — strict and non-strict are different."""

    op: str
    amount: Decimal
    percent: bool

    def text(self) -> str:
        return f"{self.op} {_number(self.amount)}{'%' if self.percent else ''}"


@dataclass(frozen=True)
class MemberShare:
    """Of the collective's members, the share (or count) for whom `condition` holds."""

    kind: ClassVar[str] = "members"

    condition: Condition
    threshold: Threshold
    label: str = ""
    line: int = 0


Condition = Compare | AllOf | AnyOf | Not | Held | MemberShare


@dataclass(frozen=True)
class Cap:
    maximum: int | None = None
    percent: Decimal | None = None
    of: Condition | None = None  # the base set: candidates for whom this holds; None = all
    per: str = "all"  # "all" | "unit": one cap per unit of the candidates
    rounding: str = "floor"
    line: int = 0

    def allowed(self, base: int) -> int:
        if self.maximum is not None:
            return self.maximum
        return apply_rounding(Fraction(self.percent) * base / 100, self.rounding)


@dataclass(frozen=True)
class RankKey:
    fact: FactRef
    order: str = "desc"


@dataclass(frozen=True)
class Vote:
    threshold: Threshold
    of: str = "all_members"  # "all_members" | "present"


@dataclass(frozen=True)
class RuleVersion:
    id: str
    valid_from: dt.date
    valid_to: dt.date | None
    requires: AllOf
    prerequisites: tuple[Condition, ...] = ()
    exclusions: tuple[Condition, ...] = ()
    cap: Cap | None = None
    rank_by: tuple[RankKey, ...] = ()
    vote: Vote | None = None
    source: str = ""
    line: int = 0

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class TitleRule:
    code: str
    name: str
    subject: str
    unit_kind: str | None
    awarding_body: str
    versions: tuple[RuleVersion, ...]
    renewal_names: tuple[tuple[int, str], ...] = ()
    description: str = ""
    judged: str = "per_year"  # one of vocabulary.JUDGED
    line: int = 0

    @property
    def per_period(self) -> bool:
        return self.judged != "per_year"

    def version_for(self, year: int) -> RuleVersion | None:
        """The version in force on the last day of the year judged."""
        return self.version_on(dt.date(year, 12, 31))

    def version_on(self, day: dt.date) -> RuleVersion | None:
        """The version in force on `day` (a per-period title: the period's last day)."""
        return next((v for v in self.versions if v.in_force(day)), None)

    def name_for(self, times: int) -> str:
        """ "Double Chollima workteam" for the second award, when the pack names it."""
        names = dict(self.renewal_names)
        eligible = [n for n in names if n <= times]
        return names[max(eligible)] if eligible else self.name

    def depends_on(self) -> set[str]:
        """Titles this one refers to (a revocation of those re-evaluates this one)."""
        found: set[str] = set()
        for version in self.versions:
            for condition in (version.requires, *version.prerequisites, *version.exclusions):
                found |= referenced_titles(condition)
        return found


@dataclass(frozen=True)
class Pack:
    slug: str
    name: str
    description: str
    judgements: tuple[str, ...]
    titles: tuple[TitleRule, ...]

    def title(self, code: str) -> TitleRule:
        return next(t for t in self.titles if t.code == code)


def referenced_titles(condition: Condition) -> set[str]:
    if isinstance(condition, Held):
        return {condition.title}
    if isinstance(condition, AllOf | AnyOf):
        return set().union(*(referenced_titles(c) for c in condition.items))
    if isinstance(condition, Not):
        return referenced_titles(condition.item)
    if isinstance(condition, MemberShare):
        return referenced_titles(condition.condition)
    return set()


def facts_used(condition: Condition) -> set[FactRef]:
    if isinstance(condition, Compare):
        return {condition.fact}
    if isinstance(condition, AllOf | AnyOf):
        return set().union(*(facts_used(c) for c in condition.items))
    if isinstance(condition, Not):
        return facts_used(condition.item)
    if isinstance(condition, MemberShare):
        return facts_used(condition.condition)
    return set()


def apply_rounding(value: Fraction, rounding: str) -> int:
    if rounding == "floor":
        return math.floor(value)
    if rounding == "ceil":
        return math.ceil(value)
    return math.floor(value + Fraction(1, 2))  # nearest, half up
