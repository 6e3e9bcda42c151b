"""Facts one app records and another judges, without either importing the other.

The title engine (pacesetter.titles) judges "a recognised initiative, with its scope"; an
initiative may be recorded in titles itself or recognised elsewhere — a verified reserve
(pacesetter.reserves) is one. An app that recognises initiatives registers a provider here
in its AppConfig.ready; the title engine asks every provider once per evaluation (one query
each), for the subjects it judges and the years it looks at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

# The scopes of recognition, narrowest first ("none" is the absence of one).
INITIATIVE_SCOPES = ("none", "unit", "grassroots", "provincial", "national")


@dataclass(frozen=True, slots=True)
class RecognisedInitiative:
    """One initiative recognised at `scope` on `recognised_on`. It is a fact of the member
    when `member_id` is set, and of the unit `unit_id` in every case (a unit's initiative is
    its own whoever proposed it). `label` names it in an explanation; `url` shows it."""

    member_id: int | None
    unit_id: int
    scope: str
    recognised_on: dt.date
    label: str
    url: str = ""


# provider(member_ids=, unit_ids=, scope_path=, first=, last=) → the initiatives of those
# members or units (or of every member and unit under scope_path, when it is given),
# recognised from `first` to `last`.
InitiativeProvider = Callable[..., Iterable[RecognisedInitiative]]
_providers: dict[str, InitiativeProvider] = {}


def register_initiatives(name: str, provider: InitiativeProvider) -> None:
    """Register (or replace) the provider called `name`."""
    _providers[name] = provider


def recognised_initiatives(
    *,
    member_ids: Sequence[int],
    unit_ids: Sequence[int],
    scope_path: str | None,
    first: dt.date,
    last: dt.date,
) -> list[RecognisedInitiative]:
    """Every registered provider's initiatives for these subjects, in registration order."""
    found: list[RecognisedInitiative] = []
    for provider in _providers.values():
        found.extend(
            provider(
                member_ids=member_ids,
                unit_ids=unit_ids,
                scope_path=scope_path,
                first=first,
                last=last,
            )
        )
    return found
