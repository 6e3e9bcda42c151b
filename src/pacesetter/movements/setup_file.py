"""A movement from a setup file (YAML): what an organiser sets up on the pages, kept as a file
so a setup can be reviewed, kept and repeated (`pacesetter create-movement FILE.yaml`).

The file is read whole and checked before anything is written; every problem is named by its
line and its place in the file (`indicators[2].code`). Then the movement, its indicators, its
periods and its blocks are made through the same actions as the pages and the API, in one
transaction: all of it or nothing.

    slug: kiln-repair
    title: Kiln repair before the frost
    call_text: Every kiln repaired before the frost.
    organiser: BT                 # a unit code; the scope defaults to its subtree
    scope: [BT-N, BT-S]
    starts_on: 2025-10-01
    ends_on: 2025-10-28
    time_zone: Europe/Paris
    public: false
    indicators:
      - {code: repairs, name: Kilns repaired, unit_of_measure: kilns}
    periods: {every: week, week_starts: monday}   # or monthly, or a list of
                                  # {name, starts_on, ends_on}
    blocks:
      - {code: kiln-teams, name: Kiln teams, units: [BT-N, BT-S]}
    launch: true
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.utils import timezone

from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.tabular import relative_day

from . import period_series
from .actions import PlanRow

MOVEMENT_KEYS = {
    "slug",
    "title",
    "call_text",
    "organiser",
    "scope",
    "starts_on",
    "ends_on",
    "time_zone",
    "public",
    "rank_on_verified",
    "titles_on_verified",
    "indicators",
    "periods",
    "blocks",
    "plans",
    "rankings",
    "challenges",
    "reserve_links",
    "secondments",
    "flag_rules",
    "donation_drive",
    "volunteer_call",
    "enlistment",
    "launch",
}
REQUIRED = ("title", "organiser", "starts_on", "ends_on")
INDICATOR_KEYS = {
    "code": str,
    "name": str,
    "unit_of_measure": str,
    "currency": str,
    "aggregation": str,
    "direction": str,
    "allow_negative": bool,
    "decimal_places": int,
    "decimal_comma": bool,
}
INDICATOR_REQUIRED = ("code", "name", "unit_of_measure")
PERIOD_KEYS = ("name", "starts_on", "ends_on")
PERIODS_EXPECTED = (
    "expected 'monthly', a series such as {every: week, week_starts: monday}, or a list of periods"
)
BLOCK_KEYS = {"code", "name", "description", "units"}
RANKING_KEYS = {"code", "name", "block", "components"}
CHALLENGE_KEYS = {
    "challenger": str,
    "opponent": str,
    "block": str,
    "indicator": str,
    "normalisation": str,
    "period": str,
    "stake": str,
    "answer_by": dt.date,
}
# Verified reserves of a kind and measure counted toward an indicator (pacesetter.setup.
# reserve_links applies them through the reserves' link action).
RESERVE_LINK_KEYS = {"kind": str, "measure": str, "indicator": str, "factor": str}
# Persons of a home unit seconded to a brigade of the movement (pacesetter.setup.secondments).
SECONDMENT_KEYS = {"brigade": str, "home": str, "persons": int, "note": str}
# A plausibility flag's rule, under its kind (pacesetter.setup.flag_rules checks the kinds and
# applies them through the ledger's set_flag_rules).
FLAG_RULE_KEYS = {"enabled": bool, "threshold": str, "window_days": int, "minimum": int}
COMPONENT_KEYS = {"indicator": str, "normalisation": str, "weight": str}
# A drive's fields (at most one of each kind per movement); `roles`, `items` and `places`
# are lists of mappings read by the keys below.
DONATION_KEYS = {"estimate_currency": str}
ITEM_KEYS = {
    "code": str,
    "name": str,
    "kind": str,
    "unit_of_measure": str,
    "currency": str,
    "decimal_places": int,
}
CALL_KEYS = {
    "quota": int,
    "opens_at": dt.datetime,
    "closes_at": dt.datetime,
    "at_quota": str,
    "min_age": int,
    "max_age": int,
    "asks_gender": bool,
    "asks_age_band": bool,
}
# A donation drive's named targets: what an item's gifts buy, in order, and the price.
TARGET_KEYS = {"item": str, "name": str, "price": str}
PLACE_KEYS = {"unit": str, "capacity": int, "role": str}
ENLISTMENT_KEYS = {"reporting_kind": str}
ROLE_KEYS = {"code": str, "name": str}
# A plan's field in the file → PlanRow's
PLAN_KEYS = {
    "unit": "unit_code",
    "indicator": "indicator",
    "period": "period",
    "planned": "planned",
    "rated_capacity": "rated_capacity",
    "daily_assignment": "daily_assignment",
    "base": "base",
    "base_label": "base_label",
    "note": "note",
}


@dataclass
class SetupProblem:
    line: int
    place: str
    message: str

    def as_row_error(self) -> RowError:
        return RowError(self.line, self.place, self.message)


@dataclass
class MovementSetup:
    """What a file asks for, checked for form; the actions check the rest when it is made."""

    values: dict[str, Any] = field(default_factory=dict)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    # A generated series ({"every": "week", "week_starts": "monday"}; `monthly` is every
    # month), or None for the explicit list in `periods`.
    every: dict[str, str] | None = None
    periods: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    launch: bool = False
    plans: list[PlanRow] = field(default_factory=list)
    rankings: list[dict[str, Any]] = field(default_factory=list)
    challenges: list[dict[str, Any]] = field(default_factory=list)  # each with its "place"
    reserve_links: list[dict[str, Any]] = field(default_factory=list)  # each with its "place"
    secondments: list[dict[str, Any]] = field(default_factory=list)  # each with its "place"
    # kind → its settings as given, each with its "place"
    flag_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Each drive as the file gives it (None: the file names none); the drive's own
    # indicators are made by the drive, not listed in `indicators`.
    donation_drive: dict[str, Any] | None = None
    volunteer_call: dict[str, Any] | None = None
    enlistment: dict[str, Any] | None = None
    prefix: str = ""  # where in the file: "" or "movements[2]"
    lines: dict[str, int] = field(default_factory=dict)  # place → line, for the actions' errors


def at(prefix: str, name: str) -> str:
    """A place in the file: `movements[2]` and `title` make `movements[2].title`."""
    return f"{prefix}.{name}" if prefix else name


class SetupReader:
    """Reads the nodes of a setup file, keeping each value's line; every problem is collected
    (with its line and place), none stops the reading."""

    def __init__(self) -> None:
        self.problems: list[SetupProblem] = []
        self.lines: dict[str, int] = {}

    def problem(self, node: yaml.Node, place: str, message: str) -> None:
        self.problems.append(SetupProblem(node.start_mark.line + 1, place, message))

    def compose(self, text: str) -> yaml.Node | None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            self.problems.append(
                SetupProblem(line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")
            )
            return None
        if root is None:
            self.problems.append(SetupProblem(1, "", "the file is empty"))
        return root

    def mapping(self, node: yaml.Node, place: str, keys: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, place, "expected a mapping of names to values")
            return {}
        found: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            key = str(key_node.value)
            here = at(place, key)
            if key not in keys:
                self.problem(
                    key_node, here, f"unknown field; expected one of {', '.join(sorted(keys))}"
                )
            elif key in found:
                self.problem(key_node, here, "given twice")
            else:
                found[key] = value
                self.lines[here] = key_node.start_mark.line + 1
        return found

    def required(self, node: yaml.Node, parts: dict, place: str, names: Iterable[str]) -> None:
        if isinstance(node, yaml.MappingNode):
            for name in names:
                if name not in parts:
                    self.problem(node, at(place, name), "required")

    def scalar(self, node: yaml.Node, place: str, kind: type) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, place, f"expected {_KIND_NAMES[kind]}")
            return None
        value = yaml.safe_load(yaml.serialize(node))
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            value = node.value  # a code like 042 stays as written
        if kind in (dt.date, dt.datetime) and isinstance(value, str):
            # "today", "today-6", "today+30": counted from the day the file is applied.
            day = relative_day(value, timezone.localdate())
            if day is not None:
                value = day if kind is dt.date else dt.datetime.combine(day, dt.time())
        if kind is dt.date and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = dt.date.fromisoformat(value)
        if kind is dt.datetime and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = dt.datetime.fromisoformat(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.problem(node, place, f"expected {_KIND_NAMES[kind]}, not {node.value!r}")
            return None
        return value

    def codes(self, node: yaml.Node, place: str) -> list[str]:
        if isinstance(node, yaml.ScalarNode):
            return [str(node.value)]
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, place, "expected a list of unit codes")
            return []
        return [str(item.value) for item in node.value if isinstance(item, yaml.ScalarNode)]

    def items(self, node: yaml.Node, place: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, place, "expected a list")
            return []
        return list(node.value)

    def movement(self, node: yaml.Node, prefix: str = "") -> MovementSetup:
        setup = MovementSetup(prefix=prefix, lines=self.lines)
        parts = self.mapping(node, prefix, MOVEMENT_KEYS)
        self.required(node, parts, prefix, REQUIRED)
        values = setup.values
        for name, kind in (("slug", str), ("title", str), ("call_text", str), ("time_zone", str)):
            if name in parts:
                values[name] = self.scalar(parts[name], at(prefix, name), kind)
        for name in ("starts_on", "ends_on"):
            if name in parts:
                values[name] = self.scalar(parts[name], at(prefix, name), dt.date)
        if "public" in parts:
            values["is_public"] = self.scalar(parts["public"], at(prefix, "public"), bool)
        for name in ("rank_on_verified", "titles_on_verified"):
            if name in parts:
                values[name] = self.scalar(parts[name], at(prefix, name), bool)
        if "organiser" in parts:
            values["organiser"] = self.scalar(parts["organiser"], at(prefix, "organiser"), str)
        if "scope" in parts:
            values["scope"] = self.codes(parts["scope"], at(prefix, "scope"))
        if "launch" in parts:
            setup.launch = bool(self.scalar(parts["launch"], at(prefix, "launch"), bool))
        if "indicators" in parts:
            self._indicators(parts["indicators"], setup)
        if "periods" in parts:
            self._periods(parts["periods"], setup)
        if "blocks" in parts:
            setup.blocks = self.blocks(parts["blocks"], at(prefix, "blocks"))
        if "plans" in parts:
            self._plans(parts["plans"], setup)
        if "rankings" in parts:
            self._rankings(parts["rankings"], setup)
        if "challenges" in parts:
            self._challenges(parts["challenges"], setup)
        if "reserve_links" in parts:
            self._reserve_links(parts["reserve_links"], setup)
        if "secondments" in parts:
            self._secondments(parts["secondments"], setup)
        if "flag_rules" in parts:
            self._flag_rules(parts["flag_rules"], setup)
        if "donation_drive" in parts:
            setup.donation_drive = self._drive(
                parts["donation_drive"],
                at(prefix, "donation_drive"),
                DONATION_KEYS,
                {"items": ITEM_KEYS, "targets": TARGET_KEYS},
                required=("items",),
            )
        if "volunteer_call" in parts:
            setup.volunteer_call = self._drive(
                parts["volunteer_call"],
                at(prefix, "volunteer_call"),
                CALL_KEYS,
                {"roles": ROLE_KEYS, "places": PLACE_KEYS},
                required=("quota", "opens_at", "closes_at"),
                texts=("skills",),
            )
        if "enlistment" in parts:
            setup.enlistment = self._drive(
                parts["enlistment"],
                at(prefix, "enlistment"),
                ENLISTMENT_KEYS,
                {"roles": ROLE_KEYS},
                required=("reporting_kind", "roles"),
            )
        return setup

    def _drive(
        self,
        node: yaml.Node,
        place: str,
        keys: dict[str, type],
        lists: dict[str, dict[str, type]],
        *,
        required: tuple[str, ...],
        texts: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """A drive's mapping: its scalar fields, its lists of texts (`skills`) and its lists
        of rows (`items`, `roles`, `places`), each row's unknown field named."""
        parts = self.mapping(node, place, {*keys, *lists, *texts})
        self.required(node, parts, place, required)
        drive: dict[str, Any] = {
            name: self.scalar(parts[name], at(place, name), kind)
            for name, kind in keys.items()
            if name in parts
        }
        for name in texts:
            if name in parts:
                drive[name] = [
                    self.scalar(item, at(place, f"{name}[{n}]"), str)
                    for n, item in enumerate(self.items(parts[name], at(place, name)), start=1)
                ]
        for name, row_keys in lists.items():
            rows = []
            items = self.items(parts[name], at(place, name)) if name in parts else []
            for number, item in enumerate(items, start=1):
                here = at(place, f"{name}[{number}]")
                found = self.mapping(item, here, set(row_keys))
                self.required(item, found, here, [k for k in ("code", "name") if k in row_keys])
                if name == "places":
                    self.required(item, found, here, ("unit", "capacity"))
                if name == "targets":
                    self.required(item, found, here, ("item", "price"))
                rows.append(
                    {
                        key: self.scalar(found[key], at(here, key), kind)
                        for key, kind in row_keys.items()
                        if key in found
                    }
                )
            drive[name] = rows
        return drive

    def _rankings(self, node: yaml.Node, setup: MovementSetup) -> None:
        for number, item in enumerate(self.items(node, at(setup.prefix, "rankings")), start=1):
            place = at(setup.prefix, f"rankings[{number}]")
            parts = self.mapping(item, place, RANKING_KEYS)
            self.required(item, parts, place, ("code", "name", "block", "components"))
            ranking: dict[str, Any] = {
                name: self.scalar(parts[name], at(place, name), str)
                for name in ("code", "name", "block")
                if name in parts
            }
            components = []
            for index, component in enumerate(
                self.items(parts["components"], at(place, "components"))
                if "components" in parts
                else [],
                start=1,
            ):
                here = at(place, f"components[{index}]")
                found = self.mapping(component, here, set(COMPONENT_KEYS))
                self.required(component, found, here, ("indicator",))
                components.append(
                    {
                        name: str(found[name].value)
                        for name in found
                        if isinstance(found[name], yaml.ScalarNode)
                    }
                )
            ranking["components"] = components
            setup.rankings.append(ranking)

    def _listed(
        self,
        node: yaml.Node,
        setup: MovementSetup,
        name: str,
        keys: dict[str, type],
        required: tuple[str, ...],
    ) -> list[dict[str, Any]]:
        """A list of flat mappings of `keys` (each with its "place" in the file, whose line
        the action's refusals are named by)."""
        listed = []
        for number, item in enumerate(self.items(node, at(setup.prefix, name)), start=1):
            place = at(setup.prefix, f"{name}[{number}]")
            self.lines[place] = item.start_mark.line + 1
            parts = self.mapping(item, place, set(keys))
            self.required(item, parts, place, required)
            values = {
                key: self.scalar(parts[key], at(place, key), kind)
                for key, kind in keys.items()
                if key in parts
            }
            listed.append({**values, "place": place})
        return listed

    def _reserve_links(self, node: yaml.Node, setup: MovementSetup) -> None:
        setup.reserve_links += self._listed(
            node, setup, "reserve_links", RESERVE_LINK_KEYS, ("kind", "measure", "indicator")
        )

    def _secondments(self, node: yaml.Node, setup: MovementSetup) -> None:
        setup.secondments += self._listed(
            node, setup, "secondments", SECONDMENT_KEYS, ("brigade", "home", "persons")
        )

    def _flag_rules(self, node: yaml.Node, setup: MovementSetup) -> None:
        where = at(setup.prefix, "flag_rules")
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, where, "expected a mapping of flag kinds to their settings")
            return
        for key_node, item in node.value:
            kind = str(key_node.value)
            place = at(where, kind)
            self.lines[place] = key_node.start_mark.line + 1
            if kind in setup.flag_rules:
                self.problem(key_node, place, "given twice")
                continue
            parts = self.mapping(item, place, set(FLAG_RULE_KEYS))
            setup.flag_rules[kind] = {
                **{
                    name: self.scalar(parts[name], at(place, name), kind_of)
                    for name, kind_of in FLAG_RULE_KEYS.items()
                    if name in parts
                },
                "place": place,
            }

    def _challenges(self, node: yaml.Node, setup: MovementSetup) -> None:
        """Each challenge's fields; one of `opponent` (a unit) or `block` (a group)."""
        for number, item in enumerate(self.items(node, at(setup.prefix, "challenges")), start=1):
            place = at(setup.prefix, f"challenges[{number}]")
            self.lines[place] = item.start_mark.line + 1
            parts = self.mapping(item, place, set(CHALLENGE_KEYS))
            self.required(item, parts, place, ("challenger", "indicator", "period", "answer_by"))
            if isinstance(item, yaml.MappingNode) and ("opponent" in parts) == ("block" in parts):
                self.problem(item, at(place, "opponent"), "give either opponent or block")
            challenge = {
                name: self.scalar(parts[name], at(place, name), kind)
                for name, kind in CHALLENGE_KEYS.items()
                if name in parts
            }
            setup.challenges.append({**challenge, "place": place})

    def _indicators(self, node: yaml.Node, setup: MovementSetup) -> None:
        seen: dict[str, int] = {}
        for number, item in enumerate(self.items(node, at(setup.prefix, "indicators")), start=1):
            place = at(setup.prefix, f"indicators[{number}]")
            parts = self.mapping(item, place, set(INDICATOR_KEYS))
            indicator = {
                name: self.scalar(parts[name], at(place, name), kind)
                for name, kind in INDICATOR_KEYS.items()
                if name in parts
            }
            self.required(item, parts, place, INDICATOR_REQUIRED)
            code = indicator.get("code")
            if code in seen:
                self.problem(item, at(place, "code"), f"repeats indicators[{seen[code]}]")
            elif code:
                seen[code] = number
            setup.indicators.append(indicator)

    def _periods(self, node: yaml.Node, setup: MovementSetup) -> None:
        place = at(setup.prefix, "periods")
        if isinstance(node, yaml.ScalarNode):
            if node.value != "monthly":
                self.problem(node, place, PERIODS_EXPECTED)
            setup.every = {"every": "month", "week_starts": "monday"}
            return
        if isinstance(node, yaml.MappingNode):
            parts = self.mapping(node, place, {"every", "week_starts"})
            self.required(node, parts, place, ("every",))
            setup.every = {"every": "", "week_starts": "monday"}
            for name, allowed in (
                ("every", period_series.EVERY),
                ("week_starts", period_series.WEEKDAYS),
            ):
                if name in parts:
                    value = self.scalar(parts[name], at(place, name), str)
                    if value not in allowed:
                        self.problem(parts[name], at(place, name), f"one of {', '.join(allowed)}")
                    setup.every[name] = value
            return
        for number, item in enumerate(self.items(node, at(setup.prefix, "periods")), start=1):
            place = at(setup.prefix, f"periods[{number}]")
            parts = self.mapping(item, place, set(PERIOD_KEYS))
            self.required(item, parts, place, PERIOD_KEYS)
            setup.periods.append(
                {
                    name: self.scalar(
                        parts[name], at(place, name), str if name == "name" else dt.date
                    )
                    for name in PERIOD_KEYS
                    if name in parts
                }
            )

    def _plans(self, node: yaml.Node, setup: MovementSetup) -> None:
        for number, item in enumerate(self.items(node, at(setup.prefix, "plans")), start=1):
            place = at(setup.prefix, f"plans[{number}]")
            parts = self.mapping(item, place, set(PLAN_KEYS))
            self.required(item, parts, place, ("unit", "indicator"))
            values = {
                PLAN_KEYS[name]: ""
                if parts[name].value in ("", "null", "~")
                else str(parts[name].value)
                for name in parts
                if isinstance(parts[name], yaml.ScalarNode)
            }
            if "unit_code" in values and "indicator" in values:
                setup.plans.append(PlanRow(**values))

    def blocks(self, node: yaml.Node, place: str) -> list[dict[str, Any]]:
        found = []
        for number, item in enumerate(self.items(node, place), start=1):
            here = f"{place}[{number}]"
            parts = self.mapping(item, here, BLOCK_KEYS)
            self.required(item, parts, here, ("code", "name"))
            block: dict[str, Any] = {
                name: self.scalar(parts[name], at(here, name), str)
                for name in ("code", "name", "description")
                if name in parts
            }
            block["units"] = (
                self.codes(parts["units"], at(here, "units")) if "units" in parts else []
            )
            found.append(block)
        return found


_KIND_NAMES = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    dt.date: "a date (YYYY-MM-DD, or today, today-6, today+30)",
    dt.datetime: "a date and time (YYYY-MM-DDTHH:MM:SS, an offset optional)",
}


def read_setup(text: str) -> MovementSetup:
    """The file's movement, or ValidationFailed listing every problem by line and place."""
    reader = SetupReader()
    root = reader.compose(text)
    setup = reader.movement(root) if root is not None else MovementSetup()
    raise_problems(reader.problems)
    return setup


def raise_problems(problems: list[SetupProblem], *, outcome: str = "nothing was created") -> None:
    if problems:
        problems.sort(key=lambda p: p.line)
        raise ValidationFailed(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the setup file; "
            f"{outcome}.",
            errors=[p.as_row_error() for p in problems],
        )
