"""Challenges: one unit challenges another, or a group, on an indicator over a period."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, ValidationFailed
from pacesetter.movements.models import Indicator, Movement, Period
from pacesetter.movements.selectors import unit_in_movement
from pacesetter.units.models import Block, Unit

from .. import domain
from ..models import Challenge, ChallengeParticipant, ChallengeResult, Notification
from ..selectors import challenge_standings
from ._shared import _today


def _notify(unit_id: int, kind: str, challenge: Challenge, message: str) -> Notification:
    return Notification(
        unit_id=unit_id,
        kind=kind,
        movement_id=challenge.movement_id,
        challenge=challenge,
        message=message,
        created_at=timezone.now(),
    )


@audited("emulation.propose_challenge")
def propose_challenge(
    *,
    movement: Movement,
    challenger: Unit,
    indicator: Indicator,
    period: Period,
    answer_by: dt.date,
    opponent: Unit | None = None,
    group: Block | None = None,
    normalisation: str = domain.RAW,
    stake: str = "",
    created_by=None,
) -> Challenge:
    """`challenger` challenges `opponent` (a unit) or `group` (every other unit of a block)
    on an indicator over a period. Each challenged unit accepts or declines until `answer_by`;
    the challenge runs once one accepts and ends with the period."""
    require(current_actor(), Capability.PLAN, challenger, movement)
    if movement.status != Movement.Status.LAUNCHED:
        raise StateError(f"Movement {movement.slug!r} is {movement.status}: no new challenges.")
    today = _today(movement)
    errors: list[RowError] = []
    if (opponent is None) == (group is None):
        errors.append(RowError(1, "opponent", "challenge one unit or one group", "invalid"))
    if indicator.movement_id != movement.pk:
        errors.append(RowError(1, "indicator", "not an indicator of this movement", "invalid"))
    if period.movement_id != movement.pk:
        errors.append(RowError(1, "period", "not a period of this movement", "invalid"))
    elif period.ends_on < today:
        errors.append(RowError(1, "period", f"{period.name} has ended", "ended"))
    elif not today <= answer_by <= period.ends_on:
        errors.append(
            RowError(
                1,
                "answer_by",
                f"a day from today ({today}) to the period's end ({period.ends_on})",
                "invalid",
            )
        )
    if normalisation not in domain.NORMALISATIONS:
        errors.append(RowError(1, "normalisation", "unknown normalisation", "invalid"))
    if not unit_in_movement(unit=challenger, movement=movement):
        errors.append(RowError(1, "challenger", "outside the movement's scope", "out_of_scope"))
    challenged: list[Unit] = []
    if opponent is not None:
        if opponent.pk == challenger.pk:
            errors.append(RowError(1, "opponent", "a unit cannot challenge itself", "invalid"))
        elif not unit_in_movement(unit=opponent, movement=movement):
            errors.append(RowError(1, "opponent", "outside the movement's scope", "out_of_scope"))
        challenged = [opponent]
    elif group is not None:
        challenged = [u for u in group.units.filter(archived=False) if u.pk != challenger.pk]
        if not challenged:
            errors.append(RowError(1, "group", "the group has no other unit", "empty"))
    if errors:
        raise ValidationFailed("The challenge is not valid; nothing was created.", errors=errors)
    challenge = Challenge.objects.create(
        movement=movement,
        challenger=challenger,
        group=group,
        indicator=indicator,
        normalisation=normalisation,
        period=period,
        stake=stake.strip(),
        answer_by=answer_by,
        created_by=created_by,
    )
    ChallengeParticipant.objects.bulk_create(
        [ChallengeParticipant(challenge=challenge, unit=challenger, answer="challenger")]
        + [
            ChallengeParticipant(challenge=challenge, unit=unit, answer="pending")
            for unit in challenged
        ]
    )
    Notification.objects.bulk_create(
        _notify(
            unit.pk,
            Notification.Kind.CHALLENGED,
            challenge,
            f"{challenger.name} challenges you on {indicator.name} ({period.name}); "
            f"answer by {answer_by:%d %b %Y}.",
        )
        for unit in challenged
    )
    note(unit=challenger, movement=movement)
    return challenge


def _answer(challenge: Challenge, unit: Unit, answer: str) -> Challenge:
    require(current_actor(), Capability.PLAN, unit, challenge.movement)
    challenge = (
        Challenge.objects.select_for_update()
        .select_related("movement", "challenger")
        .get(pk=challenge.pk)
    )
    participant = ChallengeParticipant.objects.filter(challenge=challenge, unit=unit).first()
    if participant is None or participant.answer == "challenger":
        raise StateError(f"{unit.name} was not challenged in this challenge.")
    if challenge.status not in (Challenge.Status.PROPOSED, Challenge.Status.RUNNING):
        raise StateError(f"The challenge is {challenge.get_status_display().lower()}.")
    if participant.answer != ChallengeParticipant.Answer.PENDING:
        raise StateError(f"{unit.name} has already answered: {participant.get_answer_display()}.")
    if _today(challenge.movement) > challenge.answer_by:
        raise StateError(f"The answer was due by {challenge.answer_by}; it has expired.")
    participant.answer = answer
    participant.answered_at = timezone.now()
    participant.save(update_fields=["answer", "answered_at"])
    answers = set(
        ChallengeParticipant.objects.filter(challenge=challenge).values_list("answer", flat=True)
    )
    if answer == ChallengeParticipant.Answer.ACCEPTED:
        challenge.status = Challenge.Status.RUNNING
    elif answers <= {"challenger", ChallengeParticipant.Answer.DECLINED}:
        challenge.status = Challenge.Status.DECLINED
        challenge.ended_at = timezone.now()
    challenge.save(update_fields=["status", "ended_at"])
    verb = "accepted" if answer == ChallengeParticipant.Answer.ACCEPTED else "declined"
    _notify(
        challenge.challenger_id,
        Notification.Kind.CHALLENGE_ANSWERED,
        challenge,
        f"{unit.name} {verb} your challenge on {challenge.indicator.name}.",
    ).save()
    note(unit=unit, movement=challenge.movement)
    return challenge


@audited("emulation.accept_challenge")
def accept_challenge(*, challenge: Challenge, unit: Unit) -> Challenge:
    """The challenged unit takes the challenge up; it runs from now to the period's end."""
    return _answer(challenge, unit, ChallengeParticipant.Answer.ACCEPTED)


@audited("emulation.decline_challenge")
def decline_challenge(*, challenge: Challenge, unit: Unit) -> Challenge:
    """The challenged unit declines; when every challenged unit has declined, so has the
    challenge."""
    return _answer(challenge, unit, ChallengeParticipant.Answer.DECLINED)


@audited("emulation.settle_challenges")
def settle_challenges(*, today: dt.date | None = None) -> list[Challenge]:
    """What the clock decides, for every movement: answers not given by `answer_by` expire
    (and so does a challenge nobody accepted); a running challenge whose period has ended
    finishes, its result kept in each participant's record. Safe to run any number of times."""
    changed: list[Challenge] = []
    open_challenges = Challenge.objects.filter(
        status__in=[Challenge.Status.PROPOSED, Challenge.Status.RUNNING]
    ).select_related("movement", "period", "indicator", "challenger")
    for challenge in open_challenges:
        day = today or _today(challenge.movement)
        if day > challenge.answer_by:
            expired = ChallengeParticipant.objects.filter(
                challenge=challenge, answer=ChallengeParticipant.Answer.PENDING
            ).update(answer=ChallengeParticipant.Answer.EXPIRED)
            if challenge.status == Challenge.Status.PROPOSED:
                challenge.status = Challenge.Status.EXPIRED
                challenge.ended_at = timezone.now()
                challenge.save(update_fields=["status", "ended_at"])
                changed.append(challenge)
                continue
            if expired:
                changed.append(challenge)
        if challenge.status == Challenge.Status.RUNNING and day > challenge.period.ends_on:
            _finish(challenge)
            changed.append(challenge)
    return changed


def _finish(challenge: Challenge) -> None:
    standings = challenge_standings(challenge)
    now = timezone.now()
    best = min((row.rank for row in standings if row.rank is not None), default=None)
    ChallengeResult.objects.bulk_create(
        ChallengeResult(
            challenge=challenge,
            unit=row.unit,
            rank=row.rank,
            value=domain.as_decimal(row.value),
            won=row.rank is not None and row.rank == best,
            recorded_at=now,
        )
        for row in standings
    )
    challenge.status = Challenge.Status.FINISHED
    challenge.ended_at = now
    challenge.save(update_fields=["status", "ended_at"])
    winners = ", ".join(row.unit.name for row in standings if row.rank == best) or "nobody"
    Notification.objects.bulk_create(
        _notify(
            row.unit.pk,
            Notification.Kind.CHALLENGE_ENDED,
            challenge,
            f"The challenge on {challenge.indicator.name} ({challenge.period.name}) has ended: "
            f"won by {winners}; you finished {row.rank or 'unranked'}.",
        )
        for row in standings
    )
