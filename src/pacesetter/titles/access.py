"""Who may reach what, for the titles pages and API alike: a run or nomination is found only
by those who may see its unit (else 404), acted on only with the capability (else 403)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.core.errors import NotAllowed

from .models import EvaluationRun, Nomination


def require_organiser() -> None:
    """Rule packs and facts are the organisers' (an organiser of any subtree)."""
    if not current_actor().paths(Capability.ORGANISE):
        raise NotAllowed("Only organisers load rule packs and record facts.")


def run_or_404(run_id: int, capability: Capability = Capability.VIEW) -> EvaluationRun:
    run = get_object_or_404(
        EvaluationRun.objects.select_related(
            "title__pack", "scope", "movement", "revision", "period"
        ),
        pk=run_id,
    )
    require(current_actor(), Capability.VIEW, run.scope, run.movement)
    if capability is not Capability.VIEW:
        require(current_actor(), capability, run.scope, run.movement)
    return run


def nomination_or_404(nomination_id: int, capability: Capability) -> Nomination:
    nomination = get_object_or_404(
        Nomination.objects.select_related("candidate__run__scope", "candidate__run__movement"),
        pk=nomination_id,
    )
    run = nomination.candidate.run
    require(current_actor(), capability, run.scope, run.movement)
    return nomination
