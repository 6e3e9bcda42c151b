"""A movement made whole from its setup file (`pacesetter create-movement`, and `apply` for a
movement that does not exist yet): the movement, its indicators, periods, blocks, plans and
rankings, through the same actions as the pages and the API, in one transaction — all of it or
nothing. The file's reading is `movements.setup_file`; this sits above every app, because a
movement's rankings are the emulation's.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.http import Http404

from pacesetter.accounts.permissions import Capability, can, current_actor
from pacesetter.core.errors import ActionError
from pacesetter.drives import actions as drive_actions
from pacesetter.drives.models import DonationDrive
from pacesetter.emulation import actions as emulation_actions
from pacesetter.emulation.models import Scoring
from pacesetter.movements import actions
from pacesetter.movements.models import Indicator, Movement
from pacesetter.movements.setup_file import MovementSetup, SetupProblem, at, raise_problems
from pacesetter.setup import challenges as setup_challenges
from pacesetter.setup import flag_rules as setup_flag_rules
from pacesetter.setup import reserve_links as setup_reserve_links
from pacesetter.setup import secondments as setup_secondments
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
    # a line per challenge proposed and per reserve link set
    challenges: list[str] = field(default_factory=list)


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
                step(
                    setup,
                    "periods",
                    lambda: actions.generate_periods(movement=movement, **setup.every),
                ).created
                if setup.every
                else [
                    step(
                        setup,
                        f"periods[{n}]",
                        lambda spec=spec: actions.add_period(movement=movement, **spec),
                    )
                    for n, spec in enumerate(setup.periods, start=1)
                ]
            )
            create_drives(setup, movement)
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
            # A challenge is proposed in a launched movement: after the launch.
            challenges = setup_challenges.propose_challenges(setup, movement)
            challenges += setup_reserve_links.apply_reserve_links(setup, movement)
            challenges += setup_secondments.apply_secondments(setup, movement)
            challenges += setup_flag_rules.apply_flag_rules(setup, movement)
    except Refused as refused:
        raise_problems(refused.problems)
    return Created(movement, indicators, len(periods), blocks, challenges)


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


# A drive's lists of rows, as its actions name them in a refusal ("2 of 3 role rows…")
DRIVE_ROWS = (("item", "items"), ("role", "roles"), ("place", "places"))
DRIVE_NAMES = {
    "donation_drive": "donation drive",
    "volunteer_call": "volunteer call",
    "enlistment": "enlistment",
}
# What create_drives may have made besides the drives.
MADE_NAMES = {**DRIVE_NAMES, "donation_targets": "donation targets"}


def create_drives(setup: MovementSetup, movement: Movement) -> list[str]:
    """The drives the file names that the movement has not yet (a drive is made only while
    its movement is a draft: the actions refuse it after); their names, as made."""
    made = []
    if setup.donation_drive is not None and not hasattr(movement, "donation_drive"):
        spec = setup.donation_drive
        drive_step(
            setup,
            "donation_drive",
            lambda: drive_actions.create_donation_drive(
                movement=movement,
                items=[drive_actions.ItemSpec(**item) for item in spec["items"]],
                estimate_currency=spec.get("estimate_currency") or "",
            ),
        )
        made.append("donation_drive")
    if setup.donation_drive is not None and add_targets(setup, movement):
        made.append("donation_targets")
    if setup.volunteer_call is not None and not hasattr(movement, "volunteer_call"):
        spec = setup.volunteer_call
        drive_step(
            setup,
            "volunteer_call",
            lambda: drive_actions.create_volunteer_call(
                movement=movement,
                quota=spec["quota"],
                opens_at=in_zone(spec["opens_at"], movement),
                closes_at=in_zone(spec["closes_at"], movement),
                **{k: spec[k] for k in CALL_OPTIONS if k in spec},
                roles=[(role["code"], role["name"]) for role in spec["roles"]],
                places=[drive_actions.PlaceSpec(**place) for place in spec["places"]],
            ),
        )
        made.append("volunteer_call")
    if setup.enlistment is not None and not hasattr(movement, "enlistment_drive"):
        spec = setup.enlistment
        drive_step(
            setup,
            "enlistment",
            lambda: drive_actions.create_enlistment_drive(
                movement=movement,
                reporting_kind=spec["reporting_kind"],
                roles=[(role["code"], role["name"]) for role in spec["roles"]],
            ),
        )
        made.append("enlistment")
    return made


def add_targets(setup: MovementSetup, movement: Movement) -> int:
    """The donation drive's named targets the file lists after those stored (per item, in
    order); how many were added. A stored target the file names otherwise is refused: a
    target, once named, stays as it was."""
    wanted = (setup.donation_drive or {}).get("targets") or []
    drive = DonationDrive.objects.filter(movement=movement).first()
    if not wanted or drive is None:
        return 0
    place = at("donation_drive", "targets")
    stored: dict[str, list[tuple[str, Decimal]]] = {}
    for target in drive.targets.select_related("item").order_by("item_id", "position"):
        stored.setdefault(target.item.code, []).append(
            (target.name, target.item.quantity(target.price_minor))
        )
    seen: dict[str, int] = {}
    new = []
    for number, spec in enumerate(wanted, start=1):
        item = str(spec.get("item") or "")
        index = seen[item] = seen.get(item, -1) + 1
        have = stored.get(item, [])
        if index >= len(have):
            new.append(
                drive_actions.TargetSpec(
                    item=item, name=str(spec.get("name") or ""), price=spec.get("price") or ""
                )
            )
            continue
        name, price = have[index]
        try:
            same = name == spec.get("name") and Decimal(str(spec.get("price"))) == price
        except ArithmeticError:
            same = False
        if not same:
            where = at(setup.prefix, f"{place}[{number}]")
            raise Refused(
                [
                    SetupProblem(
                        setup.lines.get(where) or setup.lines.get(at(setup.prefix, place)) or 1,
                        where,
                        f"a target cannot change once named (stored: {name}, {price})",
                    )
                ]
            )
    if new:
        step(setup, place, lambda: drive_actions.add_donation_targets(drive=drive, targets=new))
    return len(new)


CALL_OPTIONS = ("at_quota", "min_age", "max_age", "skills", "asks_gender", "asks_age_band")


def in_zone(moment: dt.datetime, movement: Movement) -> dt.datetime:
    """A moment from the file: without an offset, in the movement's time zone (as the API)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zoneinfo.ZoneInfo(movement.time_zone))
    return moment


def drive_step(setup: MovementSetup, place: str, act):
    """`step` for a drive's action: a refusal of its rows is named by the row of the list it
    names (`volunteer_call.roles[2].code`), any other by the drive's field."""
    try:
        return act()
    except ActionError as exc:
        refusal = exc
    rows = next(
        (at(place, name) for what, name in DRIVE_ROWS if f" {what} row" in refusal.detail), ""
    )

    def again():
        raise refusal

    return step(setup, place, again, rows=rows)


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
