"""A movement's `challenges:` in a setup file: challenges proposed through the emulation's
`propose_challenge`, as on the challenges page and through the API.

    challenges:
      - challenger: BT-N
        opponent: BT-S          # a unit, or `block: kiln-teams` for every other unit of it
        indicator: repairs
        normalisation: raw      # the default; per_head, ...
        period: Week 1          # a period of the movement, by its name
        stake: The losers bake the bread
        answer_by: 2025-10-03

A challenge is known by its challenger, its opponent (or block), its indicator and its
period: one the movement has (in any state) is left as it is — accepting or declining is the
challenged units' business, on the pages — and one it lacks is proposed. Applying a file twice
therefore proposes once. The acting person must be allowed to challenge for the challenger
(the action checks it, as on the page). `export` writes the challenges that are proposed or
running; answers and results are not part of a setup file.
"""

from __future__ import annotations

import functools
from typing import Any

from pacesetter.accounts.permissions import Capability, can, current_actor
from pacesetter.emulation import actions as emulation_actions
from pacesetter.emulation.domain import RAW
from pacesetter.emulation.models import Challenge
from pacesetter.movements.models import Movement
from pacesetter.movements.setup_file import MovementSetup, SetupProblem, at
from pacesetter.setup import creating
from pacesetter.units.models import Block, Unit

Key = tuple[str, str, str, str]


def _key(challenger: str, opponent: str | None, block: str | None, indicator: str, period: str):
    return (challenger, f"unit {opponent}" if opponent else f"block {block}", indicator, period)


def _stored(movement: Movement) -> dict[Key, Challenge]:
    challenges = (
        movement.challenges.select_related("challenger", "group", "indicator", "period")
        .prefetch_related("participants__unit")
        .order_by("id")
    )
    found: dict[Key, Challenge] = {}
    for challenge in challenges:
        opponent = None
        if challenge.group_id is None:
            opponent = next(
                (
                    p.unit.code
                    for p in challenge.participants.all()
                    if p.unit_id != challenge.challenger_id
                ),
                "",
            )
        key = _key(
            challenge.challenger.code,
            opponent,
            challenge.group.code if challenge.group_id else None,
            challenge.indicator.code,
            challenge.period.name,
        )
        found.setdefault(key, challenge)
    return found


def _refuse(setup: MovementSetup, place: str, message: str) -> None:
    raise creating.Refused([SetupProblem(setup.lines.get(place, 1), place, message)])


def propose_challenges(setup: MovementSetup, movement: Movement) -> list[str]:
    """Propose each challenge of the file the movement lacks; return a line per proposal.
    A unit, block, indicator or period the file names and the database lacks is refused at
    its place in the file, as is a challenge listed twice."""
    if not setup.challenges:
        return []
    actor = current_actor()
    stored = _stored(movement)
    indicators = {i.code: i for i in movement.indicators.all()}
    periods = {p.name: p for p in movement.periods.all()}
    codes = {spec.get(name) for spec in setup.challenges for name in ("challenger", "opponent")}
    units = {u.code: u for u in Unit.objects.filter(code__in=[c for c in codes if c])}
    blocks = {
        b.code: b
        for b in Block.objects.filter(
            code__in=[s["block"] for s in setup.challenges if "block" in s]
        )
    }
    listed: dict[Key, str] = {}
    changes: list[str] = []
    for spec in setup.challenges:
        place = spec["place"]
        challenger = units.get(spec.get("challenger"))
        if challenger is None or not can(actor, Capability.VIEW, challenger):
            # What the actor may not see does not exist for them.
            _refuse(setup, at(place, "challenger"), f"no unit with code {spec.get('challenger')!r}")
        # The challenged is a peer, named by its code whether or not the actor sees its
        # figures (as on the page and in the API); the action checks it is in the scope.
        opponent = units.get(spec["opponent"]) if spec.get("opponent") else None
        if spec.get("opponent") and opponent is None:
            _refuse(setup, at(place, "opponent"), f"no unit with code {spec['opponent']!r}")
        block = blocks.get(spec["block"]) if spec.get("block") else None
        if spec.get("block") and block is None:
            _refuse(setup, at(place, "block"), f"no block with code {spec['block']!r}")
        indicator = indicators.get(spec.get("indicator"))
        if indicator is None:
            _refuse(
                setup,
                at(place, "indicator"),
                f"no indicator {spec.get('indicator')!r} in {movement.slug}",
            )
        period = periods.get(spec.get("period"))
        if period is None:
            _refuse(
                setup, at(place, "period"), f"no period {spec.get('period')!r} in {movement.slug}"
            )
        key = _key(
            challenger.code, spec.get("opponent"), spec.get("block"), indicator.code, period.name
        )
        if key in listed:
            _refuse(setup, place, f"the same challenge as {listed[key]}")
        listed[key] = place
        if key in stored:
            continue
        changes.append(
            f"propose challenge: {challenger.code} challenges {key[1]} on {indicator.code} "
            f"({period.name}), answer by {spec['answer_by']:%Y-%m-%d}"
        )
        propose = functools.partial(
            emulation_actions.propose_challenge,
            movement=movement,
            challenger=challenger,
            opponent=opponent,
            group=block,
            indicator=indicator,
            period=period,
            normalisation=spec.get("normalisation") or RAW,
            stake=spec.get("stake") or "",
            answer_by=spec["answer_by"],
            created_by=None if actor.is_system else actor.user,
        )
        creating.step(MovementSetup(lines=setup.lines), place, propose, fields={"group": "block"})
    return changes


def challenges_document(movement: Movement) -> list[dict[str, Any]]:
    """The movement's proposed and running challenges, as the `challenges:` list writes them."""
    written = []
    for (challenger, against, indicator, period), challenge in _stored(movement).items():
        if challenge.status not in (Challenge.Status.PROPOSED, Challenge.Status.RUNNING):
            continue
        kind, code = against.split(" ", 1)
        written.append(
            {
                "challenger": challenger,
                ("opponent" if kind == "unit" else "block"): code,
                "indicator": indicator,
                "normalisation": challenge.normalisation,
                "period": period,
                **({"stake": challenge.stake} if challenge.stake else {}),
                "answer_by": challenge.answer_by.isoformat(),
            }
        )
    return written
