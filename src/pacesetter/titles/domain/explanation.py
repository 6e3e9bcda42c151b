"""Facts and explanations: what the evaluator is told about a subject, and the tree of
conditions (pass or fail, facts used, shortfall) it answers with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ._text import _show
from .rules import FactRef


@dataclass(frozen=True)
class Source:
    """Where a fact came from: a label and an address (a report list, an imported record)."""

    label: str
    url: str = ""


@dataclass(frozen=True)
class FactValue:
    value: Any  # Decimal | str (ordinal) | bool | None (nothing recorded)
    sources: tuple[Source, ...] = ()
    detail: str = ""  # e.g. the month that fell short


MISSING = FactValue(None)


class Facts(Protocol):
    """What the evaluator may ask about a subject (a person or a unit) for the year judged."""

    def value(self, subject: Any, fact: FactRef, year: int) -> FactValue: ...

    def monthly(self, subject: Any, fact: FactRef, year: int) -> list[tuple[str, FactValue]]: ...

    def held_years(self, subject: Any, title: str) -> Mapping[int, Source]: ...

    def members(self, subject: Any) -> Sequence[Any]: ...


class Node(dict):
    """One condition of an explanation: pass or fail, the facts it used, the shortfall, the
    conditions below it. It *is* the explanation's JSON (a dict holding only what is set):
    a run stores 100,000 of them, and converting each would cost as much as judging it."""

    def __init__(
        self,
        label: str,
        passed: bool,
        kind: str,
        facts: list[dict[str, Any]] | None = None,
        shortfall: str = "",
        children: list[Node] | None = None,
        line: int = 0,
    ):
        super().__init__(label=label, passed=passed, kind=kind)
        if facts:
            self["facts"] = facts
        if shortfall:
            self["shortfall"] = shortfall
        if line:
            self["line"] = line
        if children:
            self["children"] = children

    label = property(lambda self: self["label"])
    passed = property(lambda self: self["passed"])
    kind = property(lambda self: self["kind"])
    facts = property(lambda self: self.get("facts", []))
    shortfall = property(lambda self: self.get("shortfall", ""))
    children = property(lambda self: self.get("children", []))
    line = property(lambda self: self.get("line", 0))

    def as_dict(self) -> dict[str, Any]:
        return self

    def conditions(self) -> int:
        """How many conditions were judged: the leaves (an exclusion counts as one)."""
        if self.kind == "exclusion" or not self.children:
            return 1
        return sum(child.conditions() for child in self.children)

    def failures(self) -> list[Node]:
        """The deepest failing conditions: what a "why not" names."""
        if self.passed:
            return []
        below = [f for child in self.children if not child.passed for f in child.failures()]
        return below or [self]


def _fact_dict(ref: FactRef, fact: FactValue) -> dict[str, Any]:
    data: dict[str, Any] = {"fact": ref.key, "value": _show(fact.value)}
    if fact.sources:
        data["sources"] = [{"label": s.label, "url": s.url} for s in fact.sources]
    if fact.detail:
        data["detail"] = fact.detail
    return data
