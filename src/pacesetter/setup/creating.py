"""A movement made whole from its setup file (`pacesetter create-movement`, and `apply` for a
movement that does not exist yet): the movement, its indicators, periods, blocks, plans and
rankings, through the same actions as the pages and the API, in one transaction — all of it or
nothing. The file's reading is `movements.setup_file`; this sits above every app, because a
movement's rankings are the emulation's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.http import Http404

from pacesetter.accounts.permissions import Capability, can, current_actor
from pacesetter.core.errors import ActionError
from pacesetter.emulation import actions as emulation_actions
from pacesetter.emulation.models import Scoring
from pacesetter.movements import actions
from pacesetter.movements.models import Indicator, Movement
from pacesetter.movements.setup_file import MovementSetup, SetupProblem, at, raise_problems
from pacesetter.units import actions as unit_actions
from pacesetter.units.models import Block, Unit

# What a refused capability is called in a problem: "you may not organise movements for P1".
MAY = {
    Capability.VIEW: "see",
    Capability.ORGANISE: "organise movements for",
    Capability.MANAGE_UNITS: "manage units under",
}


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
        line = setup.lines.get(at(setup.prefix, place.split("[")[0]), 1)
        if found is None or not can(actor, Capability.VIEW, found):
            # What the actor may not see does not exist for them.
            problems.append(SetupProblem(line, place, f"no unit with code {code!r}"))
            return None
        if not can(actor, capability, found):
            problems.append(SetupProblem(line, place, f"you may not {MAY[capability]} {code}"))
        return found

    organiser = unit(setup.values["organiser"], "organiser", Capability.ORGANISE)
    scope = [unit(code, "scope", Capability.ORGANISE) for code in setup.values.get("scope", [])]
    blocks_units = [
        [unit(code, f"blocks[{n}].units", Capability.MANAGE_UNITS) for code in block["units"]]
        for n, block in enumerate(setup.blocks, start=1)
    ]
    raise_problems(problems)
    values = {k: v for k, v in setup.values.items() if k not in ("organiser", "scope")}
    try:
        with transaction.atomic():
            movement = step(
                setup,
                "",
                lambda: actions.create_movement(organiser=organiser, scope=scope, **values),
            )
            indicators = [
                step(
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
                    step(
                        setup,
                        f"periods[{n}]",
                        lambda spec=spec: actions.add_period(movement=movement, **spec),
                    )
                    for n, spec in enumerate(setup.periods, start=1)
                ]
            )
            blocks = [
                step(
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
            if setup.plans:
                step(
                    setup,
                    "plans",
                    lambda: actions.set_plans(movement=movement, rows=setup.plans),
                    rows="plans",
                    fields={"unit_code": "unit"},
                )
            create_rankings(setup, movement)
            if setup.launch:
                movement = step(setup, "launch", lambda: actions.launch_movement(movement=movement))
    except Refused as refused:
        raise_problems(refused.problems)
    return Created(movement, indicators, len(periods), blocks)


class Refused(Exception):
    """An action refused a step of the file: the problems it names."""

    def __init__(self, problems: list[SetupProblem]):
        self.problems = problems


def step(setup: MovementSetup, place: str, act, *, rows: str = "", fields: dict | None = None):
    """Run one action; its refusal rolls the whole file back and is named by the file's place
    (with `rows`, the action's row errors are the file's `rows[n]`, each named)."""
    try:
        return act()
    except ActionError as exc:
        problems = []
        for error in exc.errors or [None]:
            base = at(setup.prefix, f"{rows}[{error.row}]" if rows and error else place)
            field_name = (fields or {}).get(error.field, error.field) if error else ""
            where = at(base, field_name) if field_name else base
            line = (
                setup.lines.get(where)
                or setup.lines.get(base)
                or setup.lines.get(at(setup.prefix, rows or place))
                or 1
            )
            problems.append(SetupProblem(line, where, error.message if error else exc.detail))
            if not rows:
                break
        raise Refused(problems) from None
    except Http404 as exc:
        where = at(setup.prefix, place)
        raise Refused(
            [SetupProblem(setup.lines.get(where) or 1, where, str(exc) or "not found")]
        ) from None


def create_rankings(setup: MovementSetup, movement: Movement) -> list[Scoring]:
    """The file's rankings of the movement that it has not yet (by code)."""
    have = set(movement.scorings.values_list("code", flat=True))
    blocks = {
        b.code: b for b in Block.objects.filter(code__in=[r.get("block") for r in setup.rankings])
    }
    made = []
    for number, spec in enumerate(setup.rankings, start=1):
        if spec.get("code") in have:
            continue
        place = f"rankings[{number}]"
        block = blocks.get(spec.get("block"))
        if block is None:
            raise Refused(
                [
                    SetupProblem(
                        setup.lines.get(at(setup.prefix, at(place, "block"))) or 1,
                        at(setup.prefix, at(place, "block")),
                        f"no block with code {spec.get('block')!r}",
                    )
                ]
            )
        made.append(
            step(
                setup,
                place,
                lambda spec=spec, block=block: emulation_actions.create_scoring(
                    movement=movement,
                    block=block,
                    code=spec["code"],
                    name=spec["name"],
                    components=[
                        emulation_actions.ComponentSpec(**component)
                        for component in spec["components"]
                    ],
                ),
            )
        )
    return made
