"""A movement's `flag_rules:` in a setup file: the plausibility flags' rules, set through the
ledger's `set_flag_rules`, as on the organiser's page and through the API.

    flag_rules:
      over_capacity: {threshold: 2}        # twice the rated capacity per day
      jump: {threshold: 4, window_days: 14, minimum: 5}
      late: {enabled: false}

Each kind named is set as given (a setting left out is the kind's default); kinds the file
does not name are left as they are. A kind whose rule is already as given is left alone.
`export` writes the rules the movement has set.
"""

from __future__ import annotations

from typing import Any

from pacesetter.core.errors import ActionError
from pacesetter.ledger import flag_domain, flags
from pacesetter.movements.models import Movement
from pacesetter.movements.setup_file import MovementSetup, SetupProblem, at
from pacesetter.setup import creating


def apply_flag_rules(setup: MovementSetup, movement: Movement) -> list[str]:
    """Set the rules of the file the movement has otherwise; a line per change. An unknown
    kind or a setting out of range is refused at its place in the file."""
    if not setup.flag_rules:
        return []
    current = flags.rules_of(movement).by_kind
    wanted: dict[str, dict[str, Any]] = {}
    for kind, spec in setup.flag_rules.items():
        settings = {name: value for name, value in spec.items() if name != "place"}
        if kind not in flag_domain.DEFAULTS:
            raise creating.Refused(
                [
                    SetupProblem(
                        setup.lines.get(spec["place"], 1),
                        spec["place"],
                        f"no flag kind {kind!r}; expected one of {', '.join(flag_domain.KINDS)}",
                    )
                ]
            )
        try:
            rule = flag_domain.rule_of(
                kind,
                enabled=settings.get("enabled", True),
                threshold=settings.get("threshold"),
                window_days=settings.get("window_days"),
                minimum=settings.get("minimum"),
            )
        except ArithmeticError:
            rule = None  # set_flag_rules names the bad threshold
        if rule is None or rule != current[kind]:
            wanted[kind] = settings
    if not wanted:
        return []
    try:
        flags.set_flag_rules(movement=movement, rules=wanted)
    except ActionError as exc:
        kinds = list(wanted)
        problems = []
        for error in exc.errors or []:
            where = setup.flag_rules[kinds[error.row - 1]]["place"]
            name = error.field.partition(".")[2]
            problems.append(
                SetupProblem(
                    setup.lines.get(where, 1), at(where, name) if name else where, error.message
                )
            )
        raise creating.Refused(problems or [SetupProblem(1, "flag_rules", exc.detail)]) from None
    return [f"set flag rule: {kind}" for kind in wanted]


def flag_rules_document(movement: Movement) -> dict[str, dict[str, Any]]:
    """The rules the movement has set, as the `flag_rules:` mapping writes them."""
    return flags.rules_document(movement, stored_only=True)
