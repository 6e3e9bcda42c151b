"""Revoking an award: the record stays, struck, and every award that depended on it is
judged again by the rule version that gave it, revoked in turn when it no longer qualifies."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, ValidationFailed

from . import domain
from .actions import _facts, _user
from .facts import Subject, period_text
from .models import Award, Revocation
from .selectors import parsed, rule_of


@audited("titles.revoke_award")
def revoke_award(*, award: Award, reason: str, revoked_on: dt.date) -> list[Revocation]:
    """Strike an award (its record stays) and re-evaluate every award that depended on it — a
    title whose rules refer to this one, held by the same person, or by the collective the
    person belongs to — revoking those that no longer qualify, and so on down the chain.
    Returns every revocation made, this one first."""
    if not reason.strip():
        raise ValidationFailed(
            "Give the reason for the revocation.",
            errors=[RowError(row=1, field="reason", message="required")],
        )
    require(current_actor(), Capability.ORGANISE, award.unit, award.movement)
    note(unit=award.unit)
    if revoked_on < award.awarded_on:
        raise ValidationFailed(
            f"The award was made on {award.awarded_on:%-d %B %Y}; it cannot be revoked before that.",
            errors=[
                RowError(
                    row=1, field="revoked_on", message=f"on or after {award.awarded_on.isoformat()}"
                )
            ],
        )
    if Revocation.objects.filter(award=award).exists():
        raise StateError("This award is already revoked.")
    made = [
        Revocation.objects.create(
            award=award, reason=reason.strip(), revoked_on=revoked_on, revoked_by=_user()
        )
    ]
    queue = [award]
    while queue:
        cause = queue.pop(0)
        for dependant in _dependants(cause):
            if _still_qualifies(dependant):
                continue
            revocation = Revocation.objects.create(
                award=dependant,
                reason=f"It required {cause.title_name} {cause.year} ({cause.code}), which was revoked: {reason.strip()}",
                revoked_on=revoked_on,
                cause=cause,
                revoked_by=_user(),
            )
            made.append(revocation)
            queue.append(dependant)
    return made


def _dependants(award: Award) -> list[Award]:
    pack = parsed(award.title.pack.current)
    codes = [t.code for t in pack.titles if award.title.code in t.depends_on()]
    if not codes:
        return []
    holders = (
        Q(member_id=award.member_id)
        if award.member_id
        else Q(unit_id=award.unit_id, member__isnull=True)
    )
    if award.member_id:
        holders |= Q(unit_id=award.unit_id, member__isnull=True)  # the collective (member shares)
    return list(
        Award.objects.filter(
            holders,
            title__pack=award.title.pack,
            title__code__in=codes,
            year__gte=award.year,
            revocation__isnull=True,
        ).select_related("title", "revision", "candidate__run")
    )


def _still_qualifies(award: Award) -> bool:
    """Judge the award again by the rule version that gave it, on today's facts (revoked
    awards no longer count)."""
    if award.candidate_id is None:
        # An imported award was decided by the rules of its time, outside the product: the
        # pack may hold no version for its year, so it is not judged again (revoke it by hand).
        return True
    _rule, version = rule_of(award)
    subject = Subject(award.member_id, award.unit_id, str(award.subject))
    run = award.candidate.run
    facts = _facts(award.title.pack, version, [subject], award.year, run.movement, None, run.period)
    judged = period_text(run.period) if run.period_id else ""
    return domain.evaluate(version, facts, subject, award.year, judged).eligible
