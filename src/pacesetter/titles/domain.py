"""The rule language for honorary titles and its evaluator: pure Python, no Django.

A rule pack is a YAML (or JSON, which YAML reads too) document of titles; each title has rule
versions with the dates they are in force; a version is a tree of conditions over *facts*, plus
exclusions, prerequisites, a cap and a council vote threshold. Nothing is ever `eval`-ed: the
text is parsed into the dataclasses below, and every error names the line it is on.

Evaluating a candidate returns an explanation tree (`Node`): every condition with the facts it
used, pass or fail, and for a failure what was missed and by how much. Percentages are compared
in integer arithmetic (`count * 100 >= pct * total`), never as rounded floats.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, ClassVar, Protocol

import yaml

# --- vocabulary --------------------------------------------------------------------------------

RATINGS = ("not_completed", "completed", "good", "excellent")
DISCIPLINE_LEVELS = ("none", "reprimand", "warning", "demotion", "dismissal")
INITIATIVE_SCOPES = ("none", "unit", "grassroots", "provincial", "national")
ORDINALS: dict[str, tuple[str, ...]] = {
    "rating": RATINGS,
    "discipline_level": DISCIPLINE_LEVELS,
    "initiative_scope": INITIATIVE_SCOPES,
}
SUBJECTS = ("person", "unit")
FIGURES = ("all", "verified")
ROUNDINGS = ("floor", "ceil", "nearest")


@dataclass(frozen=True)
class FactSpec:
    """A fact a rule may look at: its kind of value, who has it, the parameters it takes."""

    name: str
    kind: str  # "number" | "ordinal" | "bool"
    subjects: tuple[str, ...]
    parameters: tuple[str, ...] = ()
    description: str = ""


FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("rating", "ordinal", SUBJECTS, description="the year's task-completion rating"),
        FactSpec("months_worked", "number", ("person",), description="months worked in the year"),
        FactSpec(
            "discipline_level",
            "ordinal",
            SUBJECTS,
            description="the highest disciplinary measure in force during the year",
        ),
        FactSpec(
            "discipline_pending",
            "bool",
            SUBJECTS,
            description="a disciplinary case, investigation or inspection still open",
        ),
        FactSpec(
            "initiative_scope",
            "ordinal",
            SUBJECTS,
            parameters=("years",),
            description="the widest scope of an initiative recognised in the year (or the last N years)",
        ),
        FactSpec(
            "plan_fulfilment",
            "number",
            ("unit",),
            parameters=("indicator", "figures", "every"),
            description="actual ÷ plan, in %, from the ledger's aggregates",
        ),
        FactSpec(
            "all_verified",
            "bool",
            ("unit",),
            parameters=("indicator",),
            description="every report of the year on the indicator is verified",
        ),
        FactSpec(
            "rank_in_block",
            "number",
            ("unit",),
            parameters=("block", "indicator", "figures"),
            description="place in the block by plan fulfilment (1 = first)",
        ),
    )
}
PARAMETER_VALUES: dict[str, tuple[str, ...]] = {"figures": FIGURES, "every": ("month",)}
OPERATORS = (">=", ">", "<=", "<", "==", "!=")


# --- the rule tree -----------------------------------------------------------------------------


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
    line: int = 0

    def version_for(self, year: int) -> RuleVersion | None:
        """The version in force on the last day of the year judged."""
        day = dt.date(year, 12, 31)
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


# --- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackProblem:
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return (
            f"line {self.line}: {self.path}: {self.message}"
            if self.path
            else f"line {self.line}: {self.message}"
        )


class PackError(Exception):
    def __init__(self, problems: list[PackProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class _Stop(Exception):
    pass


class _Parser:
    def __init__(self) -> None:
        self.problems: list[PackProblem] = []
        self.judgements: set[str] = set()

    # helpers over yaml nodes, each remembering its line

    def fail(self, node: yaml.Node, path: str, message: str) -> None:
        self.problems.append(PackProblem(node.start_mark.line + 1, path, message))

    def mapping(self, node: yaml.Node, path: str, allowed: Iterable[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, "expected a mapping (key: value lines)")
            raise _Stop
        result: dict[str, yaml.Node] = {}
        allowed = list(allowed)
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in allowed:
                self.fail(
                    key_node, path, f"unknown key {key!r}; expected one of: {', '.join(allowed)}"
                )
                continue
            if key in result:
                self.fail(key_node, path, f"{key!r} is given twice")
                continue
            result[key] = value_node
        return result

    def sequence(self, node: yaml.Node, path: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, path, "expected a list")
            raise _Stop
        return list(node.value)

    def text(self, node: yaml.Node, path: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.fail(node, path, "expected a text")
            raise _Stop
        return str(node.value).strip()

    def integer(self, node: yaml.Node, path: str, minimum: int = 1) -> int:
        value = self.text(node, path)
        if not value.isdigit() or int(value) < minimum:
            self.fail(node, path, f"expected a whole number ≥ {minimum}, got {value!r}")
            raise _Stop
        return int(value)

    def decimal(self, node: yaml.Node, path: str) -> Decimal:
        value = self.text(node, path)
        try:
            number = Decimal(value)
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite():
            self.fail(node, path, f"expected a number, got {value!r}")
            raise _Stop
        return number

    def date(self, node: yaml.Node, path: str) -> dt.date:
        value = self.text(node, path)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(node, path, f"expected a date as YYYY-MM-DD, got {value!r}")
            raise _Stop from None

    def choice(self, node: yaml.Node, path: str, choices: Sequence[str]) -> str:
        value = self.text(node, path)
        if value not in choices:
            self.fail(node, path, f"{value!r} is not one of: {', '.join(choices)}")
            raise _Stop
        return value

    def threshold(self, node: yaml.Node, path: str, *, percent_only: bool = False) -> Threshold:
        raw = self.text(node, path).replace(" ", "")
        op = next((o for o in (">=", "<=", "==", ">", "<") if raw.startswith(o)), None)
        rest = raw[len(op) :] if op else ""
        percent = rest.endswith("%")
        try:
            amount = Decimal(rest.rstrip("%"))
        except ArithmeticError:
            amount = None
        if op is None or amount is None or not amount.is_finite() or amount < 0:
            self.fail(node, path, f"expected a threshold like '>= 70%' or '> 50%', got {raw!r}")
            raise _Stop
        if percent_only and not percent:
            self.fail(node, path, f"expected a percentage like '>= 80%', got {raw!r}")
            raise _Stop
        if percent and amount > 100:
            self.fail(node, path, f"a share cannot be more than 100%, got {raw!r}")
            raise _Stop
        return Threshold(op, amount, percent)

    # the document

    def pack(self, root: yaml.Node) -> Pack:
        top = self.mapping(root, "", ("pack", "name", "description", "judgements", "titles"))
        for required in ("pack", "name", "titles"):
            if required not in top:
                self.fail(root, "", f"the pack needs {required!r}")
        if self.problems:
            raise _Stop
        slug = self.text(top["pack"], "pack")
        judgements: list[str] = []
        if "judgements" in top:
            for item in self.sequence(top["judgements"], "judgements"):
                name = self.text(item, "judgements")
                if name in FACTS:
                    self.fail(item, "judgements", f"{name!r} is a built-in fact, not a judgement")
                judgements.append(name)
        self.judgements = set(judgements)
        titles: list[TitleRule] = []
        for index, item in enumerate(self.sequence(top["titles"], "titles")):
            try:
                titles.append(self.title(item, f"titles[{index}]"))
            except _Stop:
                continue
        codes = [t.code for t in titles]
        for title in titles:
            if codes.count(title.code) > 1:
                self.problems.append(PackProblem(title.line, title.code, "title code given twice"))
            for reference in title.depends_on() - set(codes):
                self.problems.append(
                    PackProblem(title.line, title.code, f"refers to unknown title {reference!r}")
                )
        return Pack(
            slug=slug,
            name=self.text(top["name"], "name"),
            description=self.text(top["description"], "description")
            if "description" in top
            else "",
            judgements=tuple(judgements),
            titles=tuple(titles),
        )

    def title(self, node: yaml.Node, path: str) -> TitleRule:
        keys = ("code", "name", "subject", "unit_kind", "awarding_body", "description")
        parts = self.mapping(node, path, (*keys, "versions", "renewal_names"))
        for required in ("code", "name", "subject", "versions"):
            if required not in parts:
                self.fail(node, path, f"a title needs {required!r}")
                raise _Stop
        code = self.text(parts["code"], path + ".code")
        path = code
        subject = self.choice(parts["subject"], path + ".subject", SUBJECTS)
        versions: list[RuleVersion] = []
        for index, item in enumerate(self.sequence(parts["versions"], path + ".versions")):
            try:
                versions.append(self.version(item, f"{path}.versions[{index}]", subject))
            except _Stop:
                continue
        ordered = sorted(versions, key=lambda v: v.valid_from)
        for before, after in itertools.pairwise(ordered):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                self.problems.append(
                    PackProblem(after.line, f"{path}.{after.id}", f"overlaps version {before.id}")
                )
        renewal: list[tuple[int, str]] = []
        if "renewal_names" in parts:
            for key_node, value_node in self.mapping_items(parts["renewal_names"], path):
                renewal.append(
                    (
                        self.integer(key_node, path + ".renewal_names", 2),
                        self.text(value_node, path + ".renewal_names"),
                    )
                )
        return TitleRule(
            code=code,
            name=self.text(parts["name"], path + ".name"),
            subject=subject,
            unit_kind=self.text(parts["unit_kind"], path) if "unit_kind" in parts else None,
            awarding_body=self.text(parts["awarding_body"], path)
            if "awarding_body" in parts
            else "",
            description=self.text(parts["description"], path) if "description" in parts else "",
            versions=tuple(ordered),
            renewal_names=tuple(sorted(renewal)),
            line=node.start_mark.line + 1,
        )

    def mapping_items(self, node: yaml.Node, path: str) -> list[tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, "expected a mapping")
            raise _Stop
        return list(node.value)

    def version(self, node: yaml.Node, path: str, subject: str) -> RuleVersion:
        keys = ("id", "valid_from", "valid_to", "source", "requires", "prerequisites")
        parts = self.mapping(node, path, (*keys, "exclusions", "cap", "rank_by", "vote"))
        for required in ("id", "valid_from", "requires"):
            if required not in parts:
                self.fail(node, path, f"a rule version needs {required!r}")
                raise _Stop
        version_id = self.text(parts["id"], path + ".id")
        path = f"{path.split('.')[0]}.{version_id}"
        valid_from = self.date(parts["valid_from"], path + ".valid_from")
        valid_to = self.date(parts["valid_to"], path + ".valid_to") if "valid_to" in parts else None
        if valid_to is not None and valid_to < valid_from:
            self.fail(parts["valid_to"], path, "valid_to is before valid_from")
        requires = AllOf(
            tuple(self.conditions(parts["requires"], path + ".requires", subject)),
            line=parts["requires"].start_mark.line + 1,
        )
        prerequisites = (
            tuple(self.conditions(parts["prerequisites"], path + ".prerequisites", subject))
            if "prerequisites" in parts
            else ()
        )
        exclusions = (
            tuple(self.conditions(parts["exclusions"], path + ".exclusions", subject))
            if "exclusions" in parts
            else ()
        )
        cap = self.cap(parts["cap"], path + ".cap", subject) if "cap" in parts else None
        rank_by: list[RankKey] = []
        if "rank_by" in parts:
            for item in self.sequence(parts["rank_by"], path + ".rank_by"):
                rank = self.mapping(item, path + ".rank_by", ("fact", "order", *_ALL_PARAMETERS))
                if "fact" not in rank:
                    self.fail(item, path + ".rank_by", "needs 'fact'")
                    raise _Stop
                ref = self.fact_ref(rank, item, path + ".rank_by", subject)
                order = (
                    self.choice(rank["order"], path, ("asc", "desc")) if "order" in rank else "desc"
                )
                rank_by.append(RankKey(ref, order))
        vote = None
        if "vote" in parts:
            vote_parts = self.mapping(parts["vote"], path + ".vote", ("threshold", "of"))
            if "threshold" not in vote_parts:
                self.fail(parts["vote"], path + ".vote", "needs 'threshold', e.g. '>= 80%'")
                raise _Stop
            vote = Vote(
                self.threshold(
                    vote_parts["threshold"], path + ".vote.threshold", percent_only=True
                ),
                self.choice(vote_parts["of"], path + ".vote.of", ("all_members", "present"))
                if "of" in vote_parts
                else "all_members",
            )
        return RuleVersion(
            id=version_id,
            valid_from=valid_from,
            valid_to=valid_to,
            requires=requires,
            prerequisites=prerequisites,
            exclusions=exclusions,
            cap=cap,
            rank_by=tuple(rank_by),
            vote=vote,
            source=self.text(parts["source"], path) if "source" in parts else "",
            line=node.start_mark.line + 1,
        )

    def cap(self, node: yaml.Node, path: str, subject: str) -> Cap:
        parts = self.mapping(node, path, ("max", "percent", "of", "per", "rounding"))
        if ("max" in parts) == ("percent" in parts):
            self.fail(
                node, path, "a cap is either 'max: N' or 'percent: P' (with 'of' and 'rounding')"
            )
            raise _Stop
        if "max" in parts:
            return Cap(
                maximum=self.integer(parts["max"], path + ".max", 0), line=node.start_mark.line + 1
            )
        if "rounding" not in parts:
            self.fail(
                node, path, "a percentage cap must state its rounding: floor, ceil or nearest"
            )
            raise _Stop
        percent = self.decimal(parts["percent"], path + ".percent")
        if not 0 <= percent <= 100:
            self.fail(parts["percent"], path + ".percent", "a percentage between 0 and 100")
        return Cap(
            percent=percent,
            of=self.condition(parts["of"], path + ".of", subject) if "of" in parts else None,
            per=self.choice(parts["per"], path + ".per", ("all", "unit"))
            if "per" in parts
            else "all",
            rounding=self.choice(parts["rounding"], path + ".rounding", ROUNDINGS),
            line=node.start_mark.line + 1,
        )

    def conditions(self, node: yaml.Node, path: str, subject: str) -> list[Condition]:
        found = []
        for index, item in enumerate(self.sequence(node, path)):
            try:
                found.append(self.condition(item, f"{path}[{index}]", subject))
            except _Stop:
                continue
        return found

    def fact_ref(
        self, parts: dict[str, yaml.Node], node: yaml.Node, path: str, subject: str
    ) -> FactRef:
        name = self.text(parts["fact"], path + ".fact")
        spec = FACTS.get(name)
        if spec is None and name not in self.judgements:
            known = sorted([*FACTS, *self.judgements])
            self.fail(
                parts["fact"],
                path,
                f"unknown fact {name!r}; known: {', '.join(known)} (declare judgements under 'judgements')",
            )
            raise _Stop
        if spec is not None and subject not in spec.subjects:
            self.fail(parts["fact"], path, f"{name!r} is not a fact about a {subject}")
            raise _Stop
        params: list[tuple[str, str]] = []
        allowed = spec.parameters if spec else ()
        for key in _ALL_PARAMETERS:
            if key not in parts:
                continue
            if key not in allowed:
                self.fail(parts[key], path, f"{name!r} takes no parameter {key!r}")
                raise _Stop
            value = self.text(parts[key], f"{path}.{key}")
            if key in PARAMETER_VALUES and value not in PARAMETER_VALUES[key]:
                self.fail(
                    parts[key], path, f"{key} must be one of: {', '.join(PARAMETER_VALUES[key])}"
                )
                raise _Stop
            params.append((key, value))
        for key in allowed:
            if key in ("indicator", "block") and key not in dict(params):
                self.fail(node, path, f"{name!r} needs the parameter {key!r}")
                raise _Stop
        return FactRef(name, tuple(sorted(params)))

    def condition(self, node: yaml.Node, path: str, subject: str) -> Condition:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            self.fail(
                node, path, "expected a condition (a mapping with all/any/not/fact/held/members)"
            )
            raise _Stop
        keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        if "all" in keys or "any" in keys:
            kind = "all" if "all" in keys else "any"
            parts = self.mapping(node, path, (kind, "label"))
            items = tuple(self.conditions(parts[kind], f"{path}.{kind}", subject))
            label = self.text(parts["label"], path) if "label" in parts else ""
            return AllOf(items, label, line) if kind == "all" else AnyOf(items, label, line)
        if "not" in keys:
            parts = self.mapping(node, path, ("not", "label"))
            label = self.text(parts["label"], path) if "label" in parts else ""
            return Not(self.condition(parts["not"], path + ".not", subject), label, line)
        if "held" in keys:
            parts = self.mapping(
                node, path, ("held", "consecutive", "at_least", "within", "ending", "label")
            )
            if "consecutive" in parts and "at_least" in parts:
                self.fail(node, path, "say either 'consecutive: N' or 'at_least: N', not both")
                raise _Stop
            return Held(
                title=self.text(parts["held"], path + ".held"),
                consecutive=self.integer(parts["consecutive"], path)
                if "consecutive" in parts
                else None,
                at_least=self.integer(parts["at_least"], path) if "at_least" in parts else None,
                within=self.integer(parts["within"], path) if "within" in parts else None,
                ending=self.choice(parts["ending"], path, ("current", "previous"))
                if "ending" in parts
                else "current",
                label=self.text(parts["label"], path) if "label" in parts else "",
                line=line,
            )
        if "members" in keys:
            if subject != "unit":
                self.fail(node, path, "'members' conditions are about a collective (subject: unit)")
                raise _Stop
            parts = self.mapping(node, path, ("members", "share", "count", "label"))
            if ("share" in parts) == ("count" in parts):
                self.fail(node, path, "say either 'share: >= 70%' or 'count: >= 1'")
                raise _Stop
            if "share" in parts:
                threshold = self.threshold(parts["share"], path + ".share", percent_only=True)
            else:
                threshold = self.threshold(parts["count"], path + ".count")
                if threshold.percent:
                    self.fail(
                        parts["count"],
                        path + ".count",
                        "a count is a number, not a percentage (use 'share')",
                    )
                    raise _Stop
            return MemberShare(
                condition=self.condition(parts["members"], path + ".members", "person"),
                threshold=threshold,
                label=self.text(parts["label"], path) if "label" in parts else "",
                line=line,
            )
        if "fact" in keys:
            parts = self.mapping(node, path, ("fact", "op", "value", "label", *_ALL_PARAMETERS))
            ref = self.fact_ref(parts, node, path, subject)
            if "op" not in parts or "value" not in parts:
                self.fail(
                    node, path, "a fact condition needs 'op' (>=, >, <=, <, ==, !=) and 'value'"
                )
                raise _Stop
            op = self.choice(parts["op"], path + ".op", OPERATORS)
            kind = FACTS[ref.name].kind if ref.name in FACTS else "bool"
            raw = parts["value"]
            if kind == "number":
                value: Any = self.decimal(raw, path + ".value")
            elif kind == "ordinal":
                value = self.choice(raw, path + ".value", ORDINALS[ref.name])
            else:
                text = self.text(raw, path + ".value").lower()
                if text not in ("true", "false"):
                    self.fail(raw, path + ".value", "expected true or false")
                    raise _Stop
                value = text == "true"
                if op not in ("==", "!="):
                    self.fail(parts["op"], path + ".op", "a yes/no fact is compared with == or !=")
                    raise _Stop
            return Compare(
                ref, op, value, self.text(parts["label"], path) if "label" in parts else "", line
            )
        self.fail(node, path, "a condition needs one of: all, any, not, fact, held, members")
        raise _Stop


_ALL_PARAMETERS = ("indicator", "figures", "every", "block", "years")


def parse_pack(text: str) -> Pack:
    """Parse a pack from YAML or JSON text; raises PackError listing every problem by line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise PackError([PackProblem(line, "", f"not valid YAML/JSON: {exc.problem}")]) from None
    except yaml.reader.ReaderError as exc:
        # A control character YAML refuses to read (found by the API fuzz tests: it was a 500).
        line = text[: exc.position].count("\n") + 1
        raise PackError([PackProblem(line, "", f"not valid YAML/JSON: {exc.reason}")]) from None
    if root is None:
        raise PackError([PackProblem(1, "", "the pack is empty")])
    parser = _Parser()
    try:
        pack = parser.pack(root)
    except _Stop:
        pack = None
    if parser.problems or pack is None:
        raise PackError(sorted(parser.problems, key=lambda p: p.line))
    return pack


# --- facts and explanations --------------------------------------------------------------------


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

    def failures(self) -> list[Node]:
        """The deepest failing conditions: what a "why not" names."""
        if self.passed:
            return []
        below = [f for child in self.children if not child.passed for f in child.failures()]
        return below or [self]


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text


def _show(value: Any) -> str:
    if value is None:
        return "nothing recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return (
            _number(value.quantize(Decimal("0.1"), ROUND_HALF_UP))
            if value != value.to_integral()
            else _number(value)
        )
    return str(value)


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


def _fact_dict(ref: FactRef, fact: FactValue) -> dict[str, Any]:
    data: dict[str, Any] = {"fact": ref.key, "value": _show(fact.value)}
    if fact.sources:
        data["sources"] = [{"label": s.label, "url": s.url} for s in fact.sources]
    if fact.detail:
        data["detail"] = fact.detail
    return data


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
    """Evaluates rule conditions for one year over a Facts source."""

    def __init__(self, facts: Facts, year: int):
        self.facts = facts
        self.year = year

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
        if c.fact.param("every") == "month":
            months = self.facts.monthly(subject, c.fact, self.year)
            facts = [_fact_dict(c.fact, fv) | {"period": name} for name, fv in months]
            failing = [(name, fv) for name, fv in months if not _holds(c, fv.value)]
            passed = bool(months) and not failing
            if not months:
                shortfall = "no monthly plans in the year"
            elif failing:
                first_name, first = failing[0]
                shortfall = f"{len(failing)} of {len(months)} months not met; {first_name}: {_shortfall(c, first.value)}"
            else:
                shortfall = ""
            return Node(label, passed, "fact", facts=facts, shortfall=shortfall, line=c.line)
        fact = self.facts.value(subject, c.fact, self.year)
        passed = _holds(c, fact.value)
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


def evaluate(version: RuleVersion, facts: Facts, subject: Any, year: int) -> Outcome:
    """Evaluate one candidate: prerequisites, then the requirements, then the exclusions (an
    exclusion that holds refuses the candidate)."""
    ev = Evaluator(facts, year)
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
    tree = Node(f"{version.id}", eligible, "all", children=children)
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


def select_within_cap(
    cap: Cap | None, entries: Sequence[CapEntry]
) -> tuple[dict[Any, int], list[CapGroup]]:
    """Position of every eligible candidate in its group's ranking (1 = first) and, per group,
    how many the cap allows; a candidate is selected when its position is within the cap."""
    groups: dict[Any, list[CapEntry]] = {}
    for entry in entries:
        groups.setdefault(
            entry.group if cap is not None and cap.per == "unit" else None, []
        ).append(entry)
    positions: dict[Any, int] = {}
    summary: list[CapGroup] = []
    for group, members in groups.items():
        eligible = sorted((e for e in members if e.eligible), key=lambda e: e.rank)
        for position, entry in enumerate(eligible, start=1):
            positions[entry.key] = position
        if cap is None:
            summary.append(
                CapGroup(group, len(members), None, len(eligible), len(eligible), "no cap")
            )
            continue
        if cap.maximum is not None:
            allowed = cap.maximum
            text = f"at most {allowed}"
            base = len(members)
        else:
            base = sum(1 for e in members if e.in_base)
            allowed = cap.allowed(base)
            exact = Fraction(cap.percent) * base / 100
            text = (
                f"{_number(cap.percent)}% of {base} = {_number(Decimal(exact.numerator) / Decimal(exact.denominator))}, "
                f"rounded {cap.rounding}: {allowed}"
            )
        summary.append(
            CapGroup(group, base, allowed, len(eligible), min(allowed, len(eligible)), text)
        )
    return positions, summary
