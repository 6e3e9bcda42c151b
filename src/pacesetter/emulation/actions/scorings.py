"""Scorings: a block's ranking in a movement, created and re-ranked as a whole."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.movements.models import Movement
from pacesetter.units.models import Block

from .. import domain
from ..models import OvertakingEvent, Scoring, ScoringComponent, Standing
from ..selectors import with_components
from .standings import _Batch, _block_members, _rescore

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
# The address of the ranking set-up page sits where a leaderboard's code would.
RESERVED_CODE = "set-up"


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """One indicator of a scoring, as a client gives it."""

    indicator: str
    normalisation: str = domain.RAW
    weight: Decimal | str | int = 1


@audited("emulation.create_scoring")
def create_scoring(
    *,
    movement: Movement,
    block: Block,
    code: str,
    name: str,
    components: Sequence[ComponentSpec],
) -> Scoring:
    """A block's ranking in a movement, by one indicator with a normalisation or by a weighted
    score over several. Its standings are computed at once from the aggregates (nobody
    overtakes anybody by being ranked for the first time) and kept current by every ingest."""
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    errors: list[RowError] = []
    indicators = {i.code: i for i in movement.indicators.all()}
    if not code.strip():
        errors.append(RowError(1, "code", "a code is required", "required"))
    elif not _SLUG.match(code) or len(code) > 64 or code == RESERVED_CODE:
        errors.append(
            RowError(
                1,
                "code",
                f"letters, digits, - and _ only, at most 64 characters, not {RESERVED_CODE!r}",
            )
        )
    elif Scoring.objects.filter(movement=movement, code=code).exists():
        errors.append(RowError(1, "code", f"the movement has a scoring {code!r}", "exists"))
    if not name.strip():
        errors.append(RowError(1, "name", "a name is required", "required"))
    if not components:
        errors.append(RowError(1, "components", "at least one indicator", "required"))
    seen = set()
    for number, spec in enumerate(components, start=1):
        if spec.indicator not in indicators:
            errors.append(
                RowError(number, "indicator", f"no indicator {spec.indicator!r} here", "not_found")
            )
        if spec.normalisation not in domain.NORMALISATIONS:
            errors.append(
                RowError(
                    number,
                    "normalisation",
                    f"one of {', '.join(domain.NORMALISATIONS)}",
                    "invalid",
                )
            )
        try:
            weight = Decimal(str(spec.weight))
            if not weight.is_finite() or weight <= 0 or weight.as_tuple().exponent < -3:
                raise ValueError
        except (ArithmeticError, ValueError):
            errors.append(
                RowError(number, "weight", "a positive number, at most 3 decimals", "invalid")
            )
        if (spec.indicator, spec.normalisation) in seen:
            errors.append(RowError(number, "indicator", "given twice", "duplicate"))
        seen.add((spec.indicator, spec.normalisation))
    if errors:
        raise ValidationFailed("The scoring is not valid; nothing was created.", errors=errors)
    scoring = Scoring.objects.create(movement=movement, block=block, code=code, name=name)
    ScoringComponent.objects.bulk_create(
        ScoringComponent(
            scoring=scoring,
            indicator=indicators[spec.indicator],
            normalisation=spec.normalisation,
            weight=Decimal(str(spec.weight)),
            position=position,
        )
        for position, spec in enumerate(components)
    )
    _rescore_all(scoring, movement, touched=None)
    note(movement=movement)
    return scoring


@audited("emulation.refresh_scoring")
def refresh_scoring(*, scoring: Scoring) -> Scoring:
    """Re-rank a scoring from the aggregates and today's plans and headcounts (after plans,
    capacities, headcounts or the block changed). Changes of order are overtaking events like
    any other, caused by the re-ranking."""
    movement = scoring.movement
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    _rescore_all(scoring, movement, touched=None)
    note(movement=movement)
    return scoring


def _rescore_all(scoring: Scoring, movement: Movement, *, touched: set[int] | None) -> None:
    """Re-rank `touched` (None: every unit of the block) in every period, as a re-ranking.
    A whole re-ranking first drops the standings of units that have left the block: they are
    ranked no more (their past places stay in the snapshots), and the others' order among
    themselves is unchanged by it, so it is no overtaking."""
    if touched is None:
        Standing.objects.filter(scoring=scoring).exclude(
            unit_id__in=_block_members(scoring.block_id, None)
        ).delete()
    periods = list(movement.periods.all())
    _rescore(
        with_components([scoring])[0],
        periods,
        touched=None if touched is None else {p.pk: touched for p in periods},
        batch=_Batch.new(movement, OvertakingEvent.Cause.RESCORING),
    )
