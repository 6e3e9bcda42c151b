"""The emulation API: rankings (current or `as_of` a past day), a unit's position,
overtaking events, notifications, challenges. Errors are problem+json like everywhere."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Query, Router, Status

from pacesetter.accounts.permissions import (
    Capability,
    can,
    can_see_figures,
    current_actor,
    require,
    unit_filter,
)
from pacesetter.core.api import IsoDate
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.api import indicator_for_field, movement_or_404, period_for_field
from pacesetter.movements.models import Movement
from pacesetter.units.api import unit_for_field
from pacesetter.units.models import Block, Unit

from . import actions, domain, selectors
from .models import Challenge, ChallengeResult, Scoring
from .schemas import (
    AnswerIn,
    ChallengeIn,
    ChallengeOut,
    EventOut,
    NotificationOut,
    PositionOut,
    RankingOut,
    ScoringChangeIn,
    ScoringIn,
    ScoringOut,
)

router = Router(tags=["emulation"])
MAX_PAGE = 500
AS_OF = Query(
    None,
    description="A past day (movement time zone): the ranking as the system showed it at the "
    "end of that day. Later reports and corrections, even for earlier days, do not change it. "
    "Default: now.",
)


def _scoring(movement: Movement, code: str) -> Scoring:
    scoring = selectors.scoring_or_none(movement, code)
    if scoring is None:
        raise Http404(f"No scoring {code!r} in this movement.")
    return scoring


def block_for_field(code: str, field: str = "block") -> Block:
    """A block named in a body: one the caller can see a unit of, else the body's fault (422)."""
    visible = Unit.objects.filter(unit_filter(current_actor(), Capability.VIEW, field=""))
    block = Block.objects.filter(code=code, units__in=visible).distinct().first()
    if block is None:
        raise ValidationFailed(
            f"No block {code!r}.", errors=[RowError(1, field, f"no block {code!r}", "not_found")]
        )
    return block


def _scoring_out(scoring: Scoring) -> dict:
    description = selectors.describe(scoring)
    return {
        "code": scoring.code,
        "name": scoring.name,
        "block": scoring.block.code,
        "weighted": description["weighted"],
        "method": description["method"],
        "components": [
            {
                "indicator": c["indicator"].code,
                "normalisation": c["normalisation"],
                "normalisation_text": c["normalisation_text"],
                "weight": c["weight"],
                "weight_percent": c["weight_percent"],
                "direction": c["direction_text"],
            }
            for c in description["components"]
        ],
        "retired_at": scoring.retired_at,
    }


@router.get("/movements/{slug}/scorings", response={200: list[ScoringOut], **READ_REFUSALS})
def list_scorings(request: HttpRequest, slug: str):
    """How the movement's blocks are ranked: indicators, normalisations, weights; retired
    rankings last, with `retired_at`."""
    movement = movement_or_404(slug)
    return [_scoring_out(s) for s in selectors.scorings_of(movement, retired=True)]


@router.post("/movements/{slug}/scorings", response={201: ScoringOut, **WRITE_REFUSALS})
def create_scoring(request: HttpRequest, slug: str, payload: ScoringIn):
    """Rank a block in the movement by one indicator with a normalisation, or by a weighted
    score of several. It is ranked at once from the figures so far; every bad component is
    listed (422)."""
    # The body's parameter is not called `body`: problem+json drops the parameter's name
    # from an error's place, and "body" is dropped as the place itself.
    movement = movement_or_404(slug, Capability.ORGANISE)
    scoring = actions.create_scoring(
        movement=movement,
        block=block_for_field(payload.block),
        code=payload.code,
        name=payload.name,
        components=[
            actions.ComponentSpec(c.indicator, c.normalisation, c.weight)
            for c in payload.components
        ],
    )
    return Status(201, _scoring_out(_scoring(movement, scoring.code)))


@router.patch("/movements/{slug}/scorings/{code}", response={200: ScoringOut, **WRITE_REFUSALS})
def change_scoring(request: HttpRequest, slug: str, code: str, payload: ScoringChangeIn):
    """Rename a ranking; change what it ranks by while the movement is a draft (the
    standings are rebuilt at once). After launch a change of components is refused (409):
    retire the ranking and rank the block anew under another code."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    scoring = actions.update_scoring(
        scoring=_scoring(movement, code),
        name=payload.name,
        components=None
        if payload.components is None
        else [
            actions.ComponentSpec(c.indicator, c.normalisation, c.weight)
            for c in payload.components
        ],
    )
    return _scoring_out(_scoring(movement, scoring.code))


@router.post(
    "/movements/{slug}/scorings/{code}/retire", response={200: ScoringOut, **WRITE_REFUSALS}
)
def retire_scoring(request: HttpRequest, slug: str, code: str):
    """Retire a ranking: ranked no more, left out of the movement's pages, its standings and
    overtakings kept. Its code stays taken. Retiring twice is refused (409)."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    actions.retire_scoring(scoring=_scoring(movement, code))
    return _scoring_out(_scoring(movement, code))


@router.get("/movements/{slug}/rankings/{code}", response={200: RankingOut, **READ_REFUSALS})
def ranking(
    request: HttpRequest,
    slug: str,
    code: str,
    period: str = Query("", description="A period name; default: the whole movement"),
    as_of: IsoDate | None = AS_OF,
    offset: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
):
    """A block's ranking, best first; equal figures share a rank (1, 2, 2, 4)."""
    movement = movement_or_404(slug)
    scoring = _scoring(movement, code)
    actor = current_actor()
    whole = selectors.sees_whole_ranking(actor, scoring, movement)
    chosen = period_for_field(movement, period)
    today = selectors.movement_today(movement)
    if as_of is None or as_of >= today:
        board = selectors.leaderboard(scoring=scoring, period=chosen, offset=offset, limit=limit)
        board.rows = selectors.visible_rows(actor, movement, board.rows, whole=whole)
        rows = [
            {
                "unit": row.unit,
                "rank": row.rank,
                "value": row.value,
                "display": row.display,
                "rank_yesterday": row.rank_yesterday,
                "rank_last_week": row.rank_last_week,
            }
            for row in board.rows
        ]
        ranked, source, day = board.ranked, "current", today
    else:
        found, ranked, source = selectors.ranking_as_of(
            scoring=scoring, period=chosen, as_of=as_of, offset=offset, limit=limit
        )
        units = Unit.objects.in_bulk([r.unit_id for r in found])
        if not whole:
            found = [r for r in found if can_see_figures(actor, units[r.unit_id], movement)]
        rows = [
            {
                "unit": units[r.unit_id],
                "rank": r.rank,
                "value": r.value,
                "display": selectors.display_value(scoring, r.value, r.goodness),
            }
            for r in found
        ]
        day = as_of
    return {
        "scoring": _scoring_out(scoring),
        "period": chosen.name,
        "as_of": day,
        "source": source,
        "ranked": ranked,
        "offset": offset,
        "rows": rows,
    }


@router.get(
    "/movements/{slug}/rankings/{code}/units/{unit}", response={200: PositionOut, **READ_REFUSALS}
)
def unit_position(request: HttpRequest, slug: str, code: str, unit: str, period: str = ""):
    """One unit's place in a block's current ranking."""
    movement = movement_or_404(slug)
    scoring = _scoring(movement, code)
    target = Unit.objects.filter(code=unit).first()
    if target is None or not scoring.block.units.filter(pk=target.pk).exists():
        raise Http404(f"No unit {unit!r} in this block.")
    actor = current_actor()
    if not selectors.sees_whole_ranking(actor, scoring, movement) and not can_see_figures(
        actor, target, movement
    ):
        raise Http404(f"No unit {unit!r} in this block.")
    found = selectors.position(
        scoring=scoring, period=period_for_field(movement, period), unit=target
    )
    return {
        "unit": found.unit,
        "rank": found.rank,
        "of": found.of,
        "value": found.value,
        "display": found.display,
    }


def _event_out(event) -> dict:
    return {
        "id": event.pk,
        "scoring": event.scoring.code,
        "period": event.period.name,
        "ahead": event.ahead,
        "kind": event.kind,
        "behind": event.behind,
        "ahead_rank": event.ahead_rank,
        "behind_rank": event.behind_rank,
        "ahead_value": event.ahead_value,
        "behind_value": event.behind_value,
        "margin": event.margin,
        "cause": event.cause,
        "batch": event.batch,
        "report_ids": event.report_ids,
        "recorded_at": event.recorded_at,
        "figures_day": event.figures_day,
    }


@router.get("/movements/{slug}/overtakings", response={200: list[EventOut], **READ_REFUSALS})
def overtakings(
    request: HttpRequest,
    slug: str,
    unit: str | None = Query(None, description="only events of this unit (code)"),
    before_id: int | None = Query(None, description="the page before this event id"),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
):
    """Overtaking events, newest first: who passed (or drew level with) whom, on which
    ranking, by how much, caused by which reports."""
    movement = movement_or_404(slug)
    target = unit_for_field(unit, field="unit") if unit else None
    events = selectors.overtaking_feed(
        movement=movement, limit=limit, before_id=before_id, unit=target
    )
    return [_event_out(e) for e in events]


@router.get("/notifications", response={200: list[NotificationOut], **READ_REFUSALS})
def notifications(request: HttpRequest, limit: int = Query(50, ge=1, le=MAX_PAGE)):
    """Notifications of the units the caller may view, newest first."""
    return [
        {
            "id": n.pk,
            "unit": n.unit,
            "movement": n.movement.slug,
            "kind": n.kind,
            "message": n.message,
            "event_id": n.event_id,
            "challenge_id": n.challenge_id,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in selectors.notifications_for(actor=current_actor(), limit=limit)
    ]


def _challenge_out(challenge: Challenge) -> dict:
    results = ChallengeResult.objects.filter(challenge=challenge).select_related("unit")
    return {
        "id": challenge.pk,
        "movement": challenge.movement.slug,
        "challenger": challenge.challenger,
        "group": challenge.group.code if challenge.group else None,
        "indicator": challenge.indicator.code,
        "normalisation": challenge.normalisation,
        "period": challenge.period.name,
        "stake": challenge.stake,
        "answer_by": challenge.answer_by,
        "status": challenge.status,
        "standings": [
            {
                "unit": row.unit,
                "answer": row.answer,
                "rank": row.rank,
                "value": domain.as_decimal(row.value),
                "display": row.display,
            }
            for row in selectors.challenge_standings(challenge)
        ],
        "results": [
            {"unit": r.unit, "rank": r.rank, "value": r.value, "won": r.won} for r in results
        ],
    }


def _challenge_or_404(challenge_id: int) -> Challenge:
    challenge = (
        Challenge.objects.select_related("movement", "challenger", "group", "indicator", "period")
        .filter(pk=challenge_id)
        .first()
    )
    if challenge is None:
        raise Http404(f"No challenge {challenge_id}.")
    movement = movement_or_404(challenge.movement.slug)
    # In a private movement, a challenge is seen by those who may view one of its units.
    if not movement.is_public and not any(
        can(current_actor(), Capability.VIEW, p.unit, movement)
        for p in challenge.participants.select_related("unit")
    ):
        raise Http404(f"No challenge {challenge_id}.")
    return challenge


@router.get("/movements/{slug}/challenges", response={200: list[ChallengeOut], **READ_REFUSALS})
def list_challenges(request: HttpRequest, slug: str):
    """The movement's challenges that involve a unit the caller may view."""
    movement = movement_or_404(slug)
    return [
        _challenge_out(c) for c in selectors.challenges_of(movement=movement, actor=current_actor())
    ]


@router.post("/movements/{slug}/challenges", response={201: ChallengeOut, **WRITE_REFUSALS})
def create_challenge(request: HttpRequest, slug: str, body: ChallengeIn):
    """Challenge a unit (`opponent`) or a group (`group`, a block) on an indicator over a
    period, with an optional stake; the challenged answer by `answer_by`."""
    movement = movement_or_404(slug)
    challenger = unit_for_field(body.challenger, field="challenger")
    # The challenged is a peer: named by its code, whether or not the caller may see its
    # figures (the action checks it is in the movement's scope).
    opponent = None
    if body.opponent:
        opponent = Unit.objects.filter(code=body.opponent).first()
        if opponent is None:
            raise ValidationFailed(
                f"No unit {body.opponent!r}.",
                errors=[RowError(1, "opponent", f"no unit {body.opponent!r}", "not_found")],
            )
    group = None
    if body.group:
        group = Block.objects.filter(code=body.group).first()
        if group is None:
            raise ValidationFailed(
                f"No block {body.group!r}.",
                errors=[RowError(1, "group", f"no block {body.group!r}", "not_found")],
            )
    challenge = actions.propose_challenge(
        movement=movement,
        challenger=challenger,
        opponent=opponent,
        group=group,
        indicator=indicator_for_field(movement, body.indicator),
        period=period_for_field(movement, body.period),
        normalisation=body.normalisation,
        answer_by=body.answer_by,
        stake=body.stake,
        created_by=request.user if request.user.is_authenticated else None,
    )
    return Status(201, _challenge_out(_challenge_or_404(challenge.pk)))


@router.get("/challenges/{challenge_id}", response={200: ChallengeOut, **READ_REFUSALS})
def challenge_detail(request: HttpRequest, challenge_id: int):
    """A challenge with its live standings, and its result once finished."""
    return _challenge_out(_challenge_or_404(challenge_id))


def _answer(challenge_id: int, body: AnswerIn, accept: bool):
    challenge = _challenge_or_404(challenge_id)
    unit = unit_for_field(body.unit, field="unit")
    require(current_actor(), Capability.PLAN, unit, challenge.movement)
    action = actions.accept_challenge if accept else actions.decline_challenge
    action(challenge=challenge, unit=unit)
    return _challenge_out(_challenge_or_404(challenge_id))


@router.post("/challenges/{challenge_id}/accept", response={200: ChallengeOut, **WRITE_REFUSALS})
def accept(request: HttpRequest, challenge_id: int, body: AnswerIn):
    """The challenged unit accepts (409 if it already answered, or the time ran out)."""
    return _answer(challenge_id, body, accept=True)


@router.post("/challenges/{challenge_id}/decline", response={200: ChallengeOut, **WRITE_REFUSALS})
def decline(request: HttpRequest, challenge_id: int, body: AnswerIn):
    """The challenged unit declines (409 if it already answered, or the time ran out)."""
    return _answer(challenge_id, body, accept=False)
