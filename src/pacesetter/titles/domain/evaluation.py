"""Evaluating a candidate against a rule version, condition by condition, into an explanation."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from ._text import _show
from .explanation import Facts, FactValue, Node, _fact_dict
from .rules import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Held,
    MemberShare,
    Not,
    RankKey,
    RuleVersion,
    Threshold,
)
from .vocabulary import LEDGER_FACTS, ORDINALS


def _compare(left: Any, op: str, right: Any) -> bool:
    return {
        ">=": left >= right,
        ">": left > right,
        "<=": left <= right,
        "<": left < right,
        "==": left == right,
        "!=": left != right,
    }[op]


def _ordinal(fact: str, value: Any) -> int:
    return ORDINALS[fact].index(value)


@functools.lru_cache(maxsize=1024)
def _describe_compare(c: Compare) -> str:
    if c.label:
        return c.label
    value = _show(c.value) if not isinstance(c.value, str) else c.value
    return f"{c.fact.key} {c.op} {value}"


def _holds(c: Compare, value: Any) -> bool:
    if value is None:
        # Nothing recorded: an ordinal counts as its lowest value ("no discipline"), a yes/no
        # judgement as no, a number as not met.
        if c.fact.name in ORDINALS:
            value = ORDINALS[c.fact.name][0]
        elif isinstance(c.value, bool):
            value = False
        else:
            return False
    if c.fact.name in ORDINALS:
        return _compare(_ordinal(c.fact.name, value), c.op, _ordinal(c.fact.name, c.value))
    return _compare(value, c.op, c.value)


def _shortfall(c: Compare, value: Any) -> str:
    if value is None and not (c.fact.name in ORDINALS or isinstance(c.value, bool)):
        return f"{c.fact.key}: nothing recorded (needs {c.op} {_show(c.value)})"
    if (
        isinstance(c.value, Decimal)
        and isinstance(value, Decimal)
        and c.op in (">=", ">", "<=", "<")
    ):
        gap = abs(c.value - value)
        strict = " (strictly)" if c.op in (">", "<") else ""
        word = "short" if c.op in (">=", ">") else "over"
        return f"needs {c.op} {_show(c.value)}{strict}, has {_show(value)}: {_show(gap)} {word}"
    return f"needs {c.fact.key} {c.op} {_show(c.value)}, has {_show(value)}"


class Evaluator:
    """Evaluates rule conditions for one year over a Facts source; for a title judged per
    period, `period` names the period judged ("week 3 (15–21 Mar)"), which the ledger's facts
    are about, and every condition on them says so."""

    def __init__(self, facts: Facts, year: int, period: str = ""):
        self.facts = facts
        self.year = year
        self.period = period

    def condition(self, c: Condition, subject: Any) -> Node:
        if isinstance(c, Compare):
            return self.compare(c, subject)
        if isinstance(c, AllOf | AnyOf):
            children = [self.condition(item, subject) for item in c.items]
            is_all = isinstance(c, AllOf)
            passed = all(n.passed for n in children) if is_all else any(n.passed for n in children)
            label = c.label or ("all of" if is_all else "any of")
            shortfall = ""
            if not passed:
                failed = [n for n in children if not n.passed]
                shortfall = (
                    f"{len(failed)} of {len(children)} not met"
                    if is_all
                    else f"none of {len(children)} met"
                )
            return Node(
                label,
                passed,
                "all" if is_all else "any",
                children=children,
                shortfall=shortfall,
                line=c.line,
            )
        if isinstance(c, Not):
            inner = self.condition(c.item, subject)
            label = c.label or f"not: {inner.label}"
            return Node(
                label,
                not inner.passed,
                "not",
                children=[inner],
                shortfall="" if not inner.passed else f"{inner.label} holds",
                line=c.line,
            )
        if isinstance(c, Held):
            return self.held(c, subject)
        return self.share(c, subject)

    def compare(self, c: Compare, subject: Any) -> Node:
        label = _describe_compare(c)
        every = c.fact.param("every")
        if every in ("month", "period"):
            # `every: month`: each calendar month of the year; `every: period`: each period of
            # the movement within the year, whatever its length.
            months = self.facts.monthly(subject, c.fact, self.year)
            facts = [_fact_dict(c.fact, fv) | {"period": name} for name, fv in months]
            failing = [(name, fv) for name, fv in months if not _holds(c, fv.value)]
            passed = bool(months) and not failing
            word = "months" if every == "month" else "periods"
            if not months:
                shortfall = (
                    "no monthly plans in the year"
                    if every == "month"
                    else "no period of the movement in the year"
                )
            elif failing:
                first_name, first = failing[0]
                shortfall = f"{len(failing)} of {len(months)} {word} not met; {first_name}: {_shortfall(c, first.value)}"
            else:
                shortfall = ""
            return Node(label, passed, "fact", facts=facts, shortfall=shortfall, line=c.line)
        fact = self.facts.value(subject, c.fact, self.year)
        passed = _holds(c, fact.value)
        if self.period and c.fact.name in LEDGER_FACTS:
            label = f"in {self.period}: {label}"
        return Node(
            label,
            passed,
            "fact",
            facts=[_fact_dict(c.fact, fact)],
            shortfall="" if passed else _shortfall(c, fact.value),
            line=c.line,
        )

    def held(self, c: Held, subject: Any) -> Node:
        held = self.facts.held_years(subject, c.title)
        last = self.year if c.ending == "current" else self.year - 1
        facts = [
            {
                "fact": f"held {c.title}",
                "value": str(year),
                "sources": [{"label": src.label, "url": src.url}],
            }
            for year, src in sorted(held.items())
            if year <= last
        ]
        if c.consecutive is not None or c.at_least is None:
            needed = c.consecutive or 1
            window = range(last - needed + 1, last + 1)
            missing = [year for year in window if year not in held]
            streak = 0
            for year in range(last, last - needed, -1):
                if year not in held:
                    break
                streak += 1
            passed = not missing
            label = c.label or (
                f"held {c.title} in {last}"
                if needed == 1
                else f"held {c.title} in each of the {needed} years {window.start}–{last}"
            )
            shortfall = (
                ""
                if passed
                else f"needs {needed} consecutive, has {streak} ending {last}; missing: {', '.join(map(str, missing))}"
            )
            return Node(label, passed, "held", facts=facts, shortfall=shortfall, line=c.line)
        first = last - c.within + 1 if c.within else None
        count = sum(1 for year in held if year <= last and (first is None or year >= first))
        passed = count >= c.at_least
        span = f" in {first}–{last}" if first else f" up to {last}"
        label = c.label or f"held {c.title} at least {c.at_least} times{span}"
        shortfall = "" if passed else f"needs {c.at_least}, has {count}: {c.at_least - count} short"
        return Node(label, passed, "held", facts=facts, shortfall=shortfall, line=c.line)

    def share(self, c: MemberShare, subject: Any) -> Node:
        members = list(self.facts.members(subject))
        total = len(members)
        results = [(member, self.condition(c.condition, member)) for member in members]
        count = sum(1 for _, node in results if node.passed)
        inner_label = results[0][1].label if results else _label_of(c.condition)
        t = c.threshold
        if t.percent:
            # count/total op pct/100, in integers: count*100 op pct*total
            passed = total > 0 and _compare(Decimal(count) * 100, t.op, t.amount * total)
            needed = _needed_count(t, total)
            share = (Decimal(count) * 100 / total) if total else Decimal(0)
            has = f"{count} of {total} ({share.quantize(Decimal('0.1'), ROUND_HALF_UP)}%)"
            label = c.label or f"members: {t.text()} for whom {inner_label}"
            shortfall = ""
            if not passed:
                if total == 0:
                    shortfall = "the collective has no members"
                elif needed is not None and needed > count:
                    shortfall = f"needs {t.text()} of {total} members, i.e. at least {needed}; has {has}: {needed - count} short"
                else:
                    shortfall = f"needs {t.text()} of {total} members; has {has}"
        else:
            passed = _compare(Decimal(count), t.op, t.amount)
            has = f"{count} of {total}"
            label = c.label or f"members {t.text()} for whom {inner_label}"
            shortfall = "" if passed else f"needs a count {t.text()}; has {has}"
        failing = [member for member, node in results if not node.passed]
        facts = [
            {
                "fact": "members",
                "value": has,
                "detail": (
                    "not met by: "
                    + ", ".join(str(m) for m in failing[:10])
                    + (" …" if len(failing) > 10 else "")
                )
                if failing
                else "",
            }
        ]
        return Node(label, passed, "members", facts=facts, shortfall=shortfall, line=c.line)


def _label_of(c: Condition) -> str:
    if isinstance(c, Compare):
        return _describe_compare(c)
    if isinstance(c, Held):
        return c.label or f"held {c.title}"
    return getattr(c, "label", "") or type(c).__name__


def _needed_count(t: Threshold, total: int) -> int | None:
    """The smallest member count meeting a `>=`/`>` share of `total`."""
    if t.op == ">=":
        return math.ceil(Fraction(t.amount) * total / 100)
    if t.op == ">":
        return math.floor(Fraction(t.amount) * total / 100) + 1
    return None


@dataclass
class Outcome:
    """A candidate's evaluation: eligible or not, and the whole explanation."""

    eligible: bool
    tree: Node
    version: RuleVersion

    def why_not(self) -> list[str]:
        return [
            n.shortfall
            if n.kind == "exclusion"
            else f"{n.label}: {n.shortfall}"
            if n.shortfall
            else n.label
            for n in self.tree.failures()
        ]


def _excluded_because(c: Condition, node: Node) -> str:
    """ "excluded: newly recruited, under 6 months (months_worked is 4, 2 short of 6)"."""
    text = f"excluded: {node.label}"
    if isinstance(c, Compare) and len(node.facts) == 1:
        value = node.facts[0]["value"]
        detail = f"{c.fact.key} is {value}"
        if c.op == "<" and isinstance(c.value, Decimal):
            try:
                gap = c.value - Decimal(value)
            except ArithmeticError:
                gap = None
            if gap is not None:
                detail += f", {_show(gap)} short of {_show(c.value)}"
        text += f" ({detail})"
    return text


def evaluate(
    version: RuleVersion, facts: Facts, subject: Any, year: int, period: str = ""
) -> Outcome:
    """Evaluate one candidate: prerequisites, then the requirements, then the exclusions (an
    exclusion that holds refuses the candidate). `period` names the period judged, for a
    title judged per period (the facts then hold that period's figures)."""
    ev = Evaluator(facts, year, period)
    children: list[Node] = []
    if version.prerequisites:
        pre = [ev.condition(c, subject) for c in version.prerequisites]
        ok = all(n.passed for n in pre)
        children.append(
            Node(
                "prerequisites",
                ok,
                "all",
                children=pre,
                shortfall="" if ok else "a prerequisite is missing",
            )
        )
    requires = ev.condition(version.requires, subject)
    requires["label"] = "requirements"
    children.append(requires)
    if version.exclusions:
        exclusion_nodes = []
        for c in version.exclusions:
            node = ev.condition(c, subject)
            # An exclusion passes (for the candidate) when its condition does NOT hold.
            exclusion_nodes.append(
                Node(
                    f"not excluded: {node.label}",
                    not node.passed,
                    "exclusion",
                    facts=node.facts,
                    shortfall="" if not node.passed else _excluded_because(c, node),
                    children=node.children,
                    line=node.line,
                )
            )
        ok = all(n.passed for n in exclusion_nodes)
        children.append(
            Node(
                "exclusions",
                ok,
                "all",
                children=exclusion_nodes,
                shortfall="" if ok else "an exclusion applies",
            )
        )
    eligible = all(n.passed for n in children)
    tree = Node(
        f"{version.id} · {period}" if period else f"{version.id}",
        eligible,
        "all",
        children=children,
    )
    return Outcome(eligible, tree, version)


def rank_value(fact: FactValue, key: RankKey) -> tuple[int, Any]:
    """A sortable value for ranking within a cap (missing facts last)."""
    value = fact.value
    if value is None:
        return (1, 0)
    if key.fact.name in ORDINALS:
        value = _ordinal(key.fact.name, value)
    elif isinstance(value, bool):
        value = int(value)
    return (0, -value if key.order == "desc" else value)
