"""An in-memory `Facts` source for testing rules without a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pacesetter.titles import domain

PACKS = Path(__file__).resolve().parents[2] / "src" / "pacesetter" / "titles" / "packs"


def pack(name: str) -> domain.Pack:
    return domain.parse_pack((PACKS / f"{name}.yaml").read_text())


@dataclass(eq=False)
class Person:
    name: str
    facts: dict[str, Any] = field(default_factory=dict)
    held: dict[str, set[int]] = field(default_factory=dict)
    members: list[Person] = field(default_factory=list)
    monthly: dict[str, list[Any]] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


class FakeFacts:
    def value(self, subject: Person, fact: domain.FactRef, year: int) -> domain.FactValue:
        raw = subject.facts.get(fact.key, subject.facts.get(fact.name))
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = Decimal(str(raw))
        return (
            domain.FactValue(raw, (domain.Source(f"test {fact.key}"),))
            if raw is not None
            else domain.MISSING
        )

    def monthly(self, subject: Person, fact: domain.FactRef, year: int):
        return [
            (f"month {i + 1}", domain.FactValue(Decimal(str(v)) if v is not None else None))
            for i, v in enumerate(subject.monthly.get(fact.name, []))
        ]

    def held_years(self, subject: Person, title: str):
        return {year: domain.Source(f"{title} {year}") for year in subject.held.get(title, set())}

    def members(self, subject: Person):
        return subject.members


def judge(pack_name: str, title: str, subject: Person, year: int) -> domain.Outcome:
    rule = pack(pack_name).title(title)
    version = rule.version_for(year)
    assert version is not None, f"no version of {title} for {year}"
    return domain.evaluate(version, FakeFacts(), subject, year)
