"""A movement's `secondments:` in a setup file: persons of home units seconded to a brigade
(a temporary unit formed for the movement, in the tree under its organiser), set through
`movements.actions.second_persons`, as through the API.

    secondments:
      - {brigade: DEPOT-BRIGADE, home: DEPOT-1, persons: 12, note: engine drivers}

A secondment is known by its brigade and home unit: one the movement has with the same
persons and note is left as it is, one that differs is set again, one it lacks is set.
Secondments the file does not name are left alone. `export` writes the movement's.
"""

from __future__ import annotations

from typing import Any

from pacesetter.movements import actions
from pacesetter.movements.models import Movement, Secondment
from pacesetter.movements.setup_file import MovementSetup, SetupProblem, at
from pacesetter.setup import creating
from pacesetter.units.models import Unit


def _refuse(setup: MovementSetup, place: str, message: str) -> None:
    raise creating.Refused([SetupProblem(setup.lines.get(place, 1), place, message)])


def apply_secondments(setup: MovementSetup, movement: Movement) -> list[str]:
    """Set each secondment of the file the movement lacks or has otherwise; a line per
    change. An unknown unit, or a refusal of the action, is named at its place in the file
    (the whole file is rolled back)."""
    if not setup.secondments:
        return []
    codes = {s.get(k) for s in setup.secondments for k in ("brigade", "home")}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    stored = {(s.brigade_id, s.home_id): s for s in Secondment.objects.filter(movement=movement)}
    changes: list[str] = []
    for spec in setup.secondments:
        place = spec["place"]
        found = {}
        for name in ("brigade", "home"):
            found[name] = units.get(spec.get(name))
            if found[name] is None:
                _refuse(setup, at(place, name), f"no unit with code {spec.get(name)!r}")
        brigade, home = found["brigade"], found["home"]
        persons, note = spec.get("persons"), (spec.get("note") or "").strip()
        have = stored.get((brigade.pk, home.pk))
        if have is not None and (have.persons, have.note) == (persons, note):
            continue
        changes.append(
            f"{'change' if have else 'set'} secondment: {persons} of {home.code} to {brigade.code}"
        )
        creating.step(
            setup,
            place,
            lambda brigade=brigade, home=home, persons=persons, note=note: actions.second_persons(
                movement=movement, brigade=brigade, home=home, persons=persons, note=note
            ),
        )
    return changes


def secondments_document(movement: Movement) -> list[dict[str, Any]]:
    """The movement's secondments, as the `secondments:` list writes them."""
    return [
        {
            "brigade": s.brigade.code,
            "home": s.home.code,
            "persons": s.persons,
            **({"note": s.note} if s.note else {}),
        }
        for s in Secondment.objects.filter(movement=movement)
        .select_related("brigade", "home")
        .order_by("brigade__path", "home__path")
    ]
