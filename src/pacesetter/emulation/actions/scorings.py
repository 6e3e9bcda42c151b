"""Scorings: a block's ranking in a movement, created, renamed (and changed while a draft),
re-ranked as a whole, and retired."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, ValidationFailed
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
    errors += _component_errors(components, indicators)
    if errors:
        raise ValidationFailed("The scoring is not valid; nothing was created.", errors=errors)
    scoring = Scoring.objects.create(movement=movement, block=block, code=code, name=name)
    _set_components(scoring, components, indicators)
    _rescore_all(scoring, movement, touched=None)
    note(movement=movement)
    return scoring


def _component_errors(components: Sequence[ComponentSpec], indicators: dict) -> list[RowError]:
    errors: list[RowError] = []
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
    return errors


def _set_components(
    scoring: Scoring, components: Sequence[ComponentSpec], indicators: dict
) -> None:
    ScoringComponent.objects.filter(scoring=scoring).delete()
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


def _same_components(scoring: Scoring, components: Sequence[ComponentSpec]) -> bool:
    """Whether `components` say what the scoring ranks by already (order included)."""
    stored = [
        (c.indicator.code, c.normalisation, c.weight)
        for c in scoring.components.select_related("indicator").order_by("position", "id")
    ]
    try:
        wanted = [(c.indicator, c.normalisation, Decimal(str(c.weight))) for c in components]
    except ArithmeticError:
        return False
    return stored == wanted


@audited("emulation.update_scoring")
def update_scoring(
    *,
    scoring: Scoring,
    name: str | None = None,
    components: Sequence[ComponentSpec] | None = None,
) -> Scoring:
    """Rename a ranking, or (while its movement is a draft) change what it ranks by.

    Guarantees: a name changes in place at any time (it explains nothing the standings
    hold). The components change only while the movement is a draft, and the standings are
    then rebuilt from the aggregates at once; after launch they are refused, because the
    standings' snapshots and the overtakings were kept by the old rule and would no longer be
    explained by the ranking that claims them: retire the ranking and rank the block anew
    under another code. A retired ranking changes no more."""
    movement = scoring.movement
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    if scoring.retired_at is not None:
        raise StateError("This ranking is retired; it changes no more.")
    errors: list[RowError] = []
    if name is not None and not name.strip():
        errors.append(RowError(1, "name", "a name is required", "required"))
    elif name is not None and len(name.strip()) > 200:
        errors.append(RowError(1, "name", "at most 200 characters", "too_long"))
    change_components = components is not None and not _same_components(scoring, components)
    indicators = {i.code: i for i in movement.indicators.all()}
    if change_components:
        errors += _component_errors(components, indicators)
    if errors:
        raise ValidationFailed("The change is not valid; nothing was changed.", errors=errors)
    if change_components and movement.status != Movement.Status.DRAFT:
        raise StateError(
            "What a ranking ranks by is fixed once its movement is launched (its standings "
            "and overtakings were kept by it): retire it and rank the block anew under "
            "another code."
        )
    note(before=scoring, movement=movement)
    if name is not None and name.strip() != scoring.name:
        scoring.name = name.strip()
        scoring.save(update_fields=["name"])
    if change_components:
        _set_components(scoring, components, indicators)
        _rescore_all(scoring, movement, touched=None)
    return scoring


@audited("emulation.retire_scoring")
def retire_scoring(*, scoring: Scoring) -> Scoring:
    """Retire a ranking: ingests rank it no more, no overtaking or notification comes of it,
    the movement's pages and lists leave it out (the set-up page and the API list mark it);
    its standings, snapshots and overtakings stay as the record of what it showed. Its code
    stays taken in the movement: a new ranking takes another.

    Guarantees: only the movement's organisers retire it; retiring twice is refused."""
    movement = scoring.movement
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    if scoring.retired_at is not None:
        raise StateError("This ranking was already retired.")
    note(before=scoring, movement=movement)
    scoring.retired_at = timezone.now()
    scoring.save(update_fields=["retired_at"])
    return scoring


@audited("emulation.refresh_scoring")
def refresh_scoring(*, scoring: Scoring) -> Scoring:
    """Re-rank a scoring from the aggregates and today's plans and headcounts (after plans,
    capacities, headcounts or the block changed). Changes of order are overtaking events like
    any other, caused by the re-ranking."""
    movement = scoring.movement
    require(current_actor(), Capability.ORGANISE, movement.organiser, movement)
    if scoring.retired_at is not None:
        raise StateError("This ranking is retired; it is ranked no more.")
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
