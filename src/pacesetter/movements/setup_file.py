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
    periods: monthly              # or a list of {name, starts_on, ends_on}
    blocks:
      - {code: kiln-teams, name: Kiln teams, units: [BT-N, BT-S]}
    launch: true
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.db import transaction

from pacesetter.accounts.permissions import Capability, can, current_actor
from pacesetter.core.errors import ActionError, RowError, ValidationFailed
from pacesetter.units import actions as unit_actions
from pacesetter.units.models import Block, Unit

from . import actions
from .models import Indicator, Movement

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
    "indicators",
    "periods",
    "blocks",
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
BLOCK_KEYS = {"code", "name", "description", "units"}


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
    monthly: bool = False
    periods: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    launch: bool = False
    lines: dict[str, int] = field(default_factory=dict)  # place → line, for the actions' errors


class _Reader:
    def __init__(self) -> None:
        self.problems: list[SetupProblem] = []
        self.setup = MovementSetup()

    def problem(self, node: yaml.Node, place: str, message: str) -> None:
        self.problems.append(SetupProblem(node.start_mark.line + 1, place, message))

    def mapping(self, node: yaml.Node, place: str, keys: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, place, "expected a mapping of names to values")
            return {}
        found: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            key = str(key_node.value)
            here = f"{place}.{key}" if place else key
            if key not in keys:
                self.problem(
                    key_node, here, f"unknown field; expected one of {', '.join(sorted(keys))}"
                )
            elif key in found:
                self.problem(key_node, here, "given twice")
            else:
                found[key] = value
                self.setup.lines[here] = key_node.start_mark.line + 1
        return found

    def scalar(self, node: yaml.Node, place: str, kind: type) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, place, f"expected {_KIND_NAMES[kind]}")
            return None
        value = yaml.safe_load(yaml.serialize(node))
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            value = node.value  # a code like 042 stays as written
        if kind is dt.date and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = dt.date.fromisoformat(value)
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

    def read(self, text: str) -> MovementSetup:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            self.problems.append(
                SetupProblem(line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")
            )
            return self.setup
        if root is None:
            self.problems.append(SetupProblem(1, "", "the file is empty"))
            return self.setup
        parts = self.mapping(root, "", MOVEMENT_KEYS)
        for name in REQUIRED:
            if name not in parts and isinstance(root, yaml.MappingNode):
                self.problem(root, name, "required")
        values = self.setup.values
        for name, kind in (("slug", str), ("title", str), ("call_text", str), ("time_zone", str)):
            if name in parts:
                values[name] = self.scalar(parts[name], name, kind)
        for name in ("starts_on", "ends_on"):
            if name in parts:
                values[name] = self.scalar(parts[name], name, dt.date)
        if "public" in parts:
            values["is_public"] = self.scalar(parts["public"], "public", bool)
        if "organiser" in parts:
            values["organiser"] = self.scalar(parts["organiser"], "organiser", str)
        if "scope" in parts:
            values["scope"] = self.codes(parts["scope"], "scope")
        if "launch" in parts:
            self.setup.launch = bool(self.scalar(parts["launch"], "launch", bool))
        if "indicators" in parts:
            self._indicators(parts["indicators"])
        if "periods" in parts:
            self._periods(parts["periods"])
        if "blocks" in parts:
            self._blocks(parts["blocks"])
        return self.setup

    def _items(self, node: yaml.Node, place: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, place, "expected a list")
            return []
        return list(node.value)

    def _indicators(self, node: yaml.Node) -> None:
        seen: dict[str, int] = {}
        for number, item in enumerate(self._items(node, "indicators"), start=1):
            place = f"indicators[{number}]"
            parts = self.mapping(item, place, set(INDICATOR_KEYS))
            indicator = {
                name: self.scalar(parts[name], f"{place}.{name}", kind)
                for name, kind in INDICATOR_KEYS.items()
                if name in parts
            }
            for name in INDICATOR_REQUIRED:
                if name not in parts:
                    self.problem(item, f"{place}.{name}", "required")
            code = indicator.get("code")
            if code in seen:
                self.problem(item, f"{place}.code", f"repeats indicators[{seen[code]}]")
            elif code:
                seen[code] = number
            self.setup.indicators.append(indicator)

    def _periods(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode):
            if node.value != "monthly":
                self.problem(node, "periods", "expected 'monthly' or a list of periods")
            self.setup.monthly = True
            return
        for number, item in enumerate(self._items(node, "periods"), start=1):
            place = f"periods[{number}]"
            parts = self.mapping(item, place, set(PERIOD_KEYS))
            period = {}
            for name in PERIOD_KEYS:
                if name not in parts:
                    self.problem(item, f"{place}.{name}", "required")
                else:
                    kind = str if name == "name" else dt.date
                    period[name] = self.scalar(parts[name], f"{place}.{name}", kind)
            self.setup.periods.append(period)

    def _blocks(self, node: yaml.Node) -> None:
        for number, item in enumerate(self._items(node, "blocks"), start=1):
            place = f"blocks[{number}]"
            parts = self.mapping(item, place, BLOCK_KEYS)
            block: dict[str, Any] = {}
            for name in ("code", "name", "description"):
                if name in parts:
                    block[name] = self.scalar(parts[name], f"{place}.{name}", str)
                elif name != "description":
                    self.problem(item, f"{place}.{name}", "required")
            block["units"] = (
                self.codes(parts["units"], f"{place}.units") if "units" in parts else []
            )
            self.setup.blocks.append(block)


_KIND_NAMES = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    dt.date: "a date (YYYY-MM-DD)",
}


def read_setup(text: str) -> MovementSetup:
    """The file's movement, or ValidationFailed listing every problem by line and place."""
    reader = _Reader()
    setup = reader.read(text)
    _raise(reader.problems)
    return setup


def _raise(problems: list[SetupProblem]) -> None:
    if problems:
        problems.sort(key=lambda p: p.line)
        raise ValidationFailed(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the setup file; "
            "nothing was created.",
            errors=[p.as_row_error() for p in problems],
        )


@dataclass
class Created:
    movement: Movement
    indicators: list[Indicator]
    periods: int
    blocks: list[Block]


def create_from_setup(setup: MovementSetup) -> Created:
    """Make the movement the file describes, all or nothing, through the movements' and the
    units' actions (each checks the acting person's rights and writes its audit row)."""
    problems: list[SetupProblem] = []
    codes = {setup.values.get("organiser"), *setup.values.get("scope", [])}
    codes |= {code for block in setup.blocks for code in block["units"]}
    units = {u.code: u for u in Unit.objects.filter(code__in=[c for c in codes if c])}

    actor = current_actor()

    def unit(code: str, place: str, capability: Capability = Capability.VIEW) -> Unit | None:
        found = units.get(code)
        line = setup.lines.get(place.split("[")[0], 1)
        if found is None or not can(actor, Capability.VIEW, found):
            # What the actor may not see does not exist for them.
            problems.append(SetupProblem(line, place, f"no unit with code {code!r}"))
            return None
        if not can(actor, capability, found):
            problems.append(SetupProblem(line, place, f"you may not organise movements for {code}"))
        return found

    organiser = unit(setup.values["organiser"], "organiser", Capability.ORGANISE)
    scope = [unit(code, "scope", Capability.ORGANISE) for code in setup.values.get("scope", [])]
    blocks_units = [
        [unit(code, f"blocks[{n}].units") for code in block["units"]]
        for n, block in enumerate(setup.blocks, start=1)
    ]
    _raise(problems)
    values = {k: v for k, v in setup.values.items() if k not in ("organiser", "scope")}
    try:
        with transaction.atomic():
            movement = _step(
                setup,
                "",
                lambda: actions.create_movement(organiser=organiser, scope=scope, **values),
            )
            indicators = [
                _step(
                    setup,
                    f"indicators[{n}]",
                    lambda spec=spec: actions.add_indicator(movement=movement, **spec),
                )
                for n, spec in enumerate(setup.indicators, start=1)
            ]
            periods = (
                actions.add_monthly_periods(movement=movement)
                if setup.monthly
                else [
                    _step(
                        setup,
                        f"periods[{n}]",
                        lambda spec=spec: actions.add_period(movement=movement, **spec),
                    )
                    for n, spec in enumerate(setup.periods, start=1)
                ]
            )
            blocks = [
                _step(
                    setup,
                    f"blocks[{n}]",
                    lambda spec=spec, members=members: unit_actions.create_block(
                        code=spec["code"],
                        name=spec["name"],
                        description=spec.get("description") or "",
                        units=members,
                    ),
                )
                for n, (spec, members) in enumerate(
                    zip(setup.blocks, blocks_units, strict=True), start=1
                )
            ]
            if setup.launch:
                movement = _step(
                    setup, "launch", lambda: actions.launch_movement(movement=movement)
                )
    except _Refused as refused:
        _raise([refused.problem])
    return Created(movement, indicators, len(periods), blocks)


class _Refused(Exception):
    def __init__(self, problem: SetupProblem):
        self.problem = problem


def _step(setup: MovementSetup, place: str, act):
    """Run one action; its refusal rolls the whole file back and is named by the file's place."""
    try:
        return act()
    except ActionError as exc:
        error = exc.errors[0] if exc.errors else None
        where = ".".join(p for p in (place, error.field if error else "") if p)
        line = setup.lines.get(where) or setup.lines.get(place) or 1
        raise _Refused(SetupProblem(line, where, error.message if error else exc.detail)) from None
