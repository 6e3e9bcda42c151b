"""Parsing a rule pack: YAML or JSON text into the rule tree, every problem named with its line."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from .rules import (
    AllOf,
    AnyOf,
    Cap,
    Compare,
    Condition,
    FactRef,
    Held,
    MemberShare,
    Not,
    Pack,
    RankKey,
    RuleVersion,
    Threshold,
    TitleRule,
    Vote,
)
from .vocabulary import (
    FACTS,
    JUDGED,
    OPERATORS,
    ORDINALS,
    PARAMETER_VALUES,
    ROUNDINGS,
    SUBJECTS,
)


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
        self.judged = "per_year"  # of the title being read

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
        keys = ("code", "name", "subject", "unit_kind", "awarding_body", "description", "judged")
        parts = self.mapping(node, path, (*keys, "versions", "renewal_names"))
        for required in ("code", "name", "subject", "versions"):
            if required not in parts:
                self.fail(node, path, f"a title needs {required!r}")
                raise _Stop
        code = self.text(parts["code"], path + ".code")
        path = code
        subject = self.choice(parts["subject"], path + ".subject", SUBJECTS)
        self.judged = (
            self.choice(parts["judged"], path + ".judged", JUDGED)
            if "judged" in parts
            else "per_year"
        )
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
            judged=self.judged,
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
            if key == "every" and self.judged != "per_year":
                self.fail(
                    parts[key],
                    f"{path}.{key}",
                    f"a title judged {self.judged} judges one period at a time; "
                    "'every' is for titles judged per year",
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
