"""A movement's `reserve_links:` in a setup file: verified reserves counted toward an
indicator, set through the reserves' `link_reserves`, as on the organiser's panel and
through the API.

    reserve_links:
      - kind: material          # material, time, energy, money or indicator
        measure: t of steel     # as the reserves give it
        indicator: flats        # an indicator of this movement
        factor: 0.05            # what one unit of saving counts as (1 if not given)

A link is known by its kind and measure: one the movement has with the same indicator and
factor is left as it is, one that differs is set again (from then on), one it lacks is
set. Links the file does not name are left alone (removing one is done on the panel or
through the API). `export` writes the movement's links.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pacesetter.movements.models import Movement
from pacesetter.movements.setup_file import MovementSetup, SetupProblem, at
from pacesetter.reserves import actions as reserve_actions
from pacesetter.reserves import selectors as reserve_selectors
from pacesetter.setup import creating


def _refuse(setup: MovementSetup, place: str, message: str) -> None:
    raise creating.Refused([SetupProblem(setup.lines.get(place, 1), place, message)])


def _same_factor(stored: Decimal, given: str) -> bool:
    try:
        return stored == Decimal(given)
    except (InvalidOperation, ValueError):
        return False


def apply_reserve_links(setup: MovementSetup, movement: Movement) -> list[str]:
    """Set each link of the file the movement lacks or has otherwise; a line per change.
    An indicator the movement lacks, a bad kind, measure or factor is refused at its place
    in the file (the whole file is rolled back)."""
    if not setup.reserve_links:
        return []
    stored = {(link.kind, link.measure): link for link in reserve_selectors.links_of(movement)}
    indicators = {i.code: i for i in movement.indicators.all()}
    listed: dict[tuple[str, str], str] = {}
    changes: list[str] = []
    for spec in setup.reserve_links:
        place = spec["place"]
        key = (spec.get("kind") or "", (spec.get("measure") or "").strip())
        if key in listed:
            _refuse(setup, place, f"the same link as {listed[key]}")
        listed[key] = place
        indicator = indicators.get(spec.get("indicator"))
        if indicator is None:
            _refuse(
                setup,
                at(place, "indicator"),
                f"no indicator {spec.get('indicator')!r} in {movement.slug}",
            )
        factor = str(spec.get("factor") or "1")
        link = stored.get(key)
        if link and link.indicator_id == indicator.pk and _same_factor(link.factor, factor):
            continue
        changes.append(
            f"{'change' if link else 'set'} reserve link: {key[0]} {key[1]} → "
            f"{indicator.code} × {factor}"
        )
        creating.step(
            MovementSetup(lines=setup.lines),
            place,
            lambda key=key, indicator=indicator, factor=factor: reserve_actions.link_reserves(
                movement=movement,
                kind=key[0],
                measure=key[1],
                indicator=indicator,
                factor=factor,
            ),
        )
    return changes


def reserve_links_document(movement: Movement) -> list[dict[str, Any]]:
    """The movement's links, as the `reserve_links:` list writes them."""
    return [
        {
            "kind": link.kind,
            "measure": link.measure,
            "indicator": link.indicator.code,
            "factor": format(link.factor.normalize(), "f"),
        }
        for link in reserve_selectors.links_of(movement)
    ]
