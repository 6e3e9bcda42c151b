"""Emulation pages: leaderboards per block, the overtaking feed, challenges, notifications.
Partials for other apps' pages: the overtaking feed (movement dashboard) and "learn from"
(unit page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import (
    Capability,
    can,
    can_see_movement,
    current_actor,
    unit_filter,
)
from pacesetter.core.errors import ActionError
from pacesetter.core.pages import add_row_errors
from pacesetter.core.pagination import slice_of, wants_more
from pacesetter.movements.models import Movement
from pacesetter.units.models import Block, Unit, tree_order

from . import actions, selectors
from .forms import ChallengeForm
from .models import Challenge, ChallengeParticipant, ChallengeResult, Notification

PAGE = 50
# Overtakings, notifications and challenges, newest first, a slice at a time with "Show more".
FEED_PAGE = 20


def _movement(request: HttpRequest, slug: str) -> Movement | HttpResponse:
    """The movement if the visitor may see it: public, or its scope overlaps a subtree they
    may view (404 otherwise; a sign-in page for an anonymous visitor)."""
    movement = get_object_or_404(Movement.objects.select_related("organiser"), slug=slug)
    if movement.is_public:
        return movement
    actor = current_actor()
    if not actor.is_authenticated:
        return redirect_to_login(request.get_full_path())
    scope_paths = list(movement.scope.values_list("path", flat=True)) or [movement.organiser.path]
    if not can_see_movement(actor, movement, scope_paths):
        raise Http404("No such movement.")
    return movement


def emulation_home(request: HttpRequest, slug: str) -> HttpResponse:
    """The movement's rankings (one per block and scoring) and its latest overtakings."""
    movement = _movement(request, slug)
    if isinstance(movement, HttpResponse):
        return movement
    scorings = selectors.scorings_of(movement)
    return render(
        request,
        "emulation/home.html",
        {
            "movement": movement,
            "scorings": [(s, selectors.describe(s)) for s in scorings],
            "overtakings": selectors.overtaking_feed(movement=movement, limit=10),
            "may_organise": can(current_actor(), Capability.ORGANISE, movement.organiser, movement),
        },
    )


def leaderboard(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """A block's leaderboard: ranks (ties shown as ties), figures, how the ranking is made,
    and each unit's rank change since yesterday and since last week."""
    movement = _movement(request, slug)
    if isinstance(movement, HttpResponse):
        return movement
    scoring = selectors.scoring_or_none(movement, code)
    if scoring is None:
        raise Http404("No such ranking.")
    periods = list(movement.periods.all())
    period = next((p for p in periods if str(p.pk) == request.GET.get("period")), None) or next(
        p for p in periods if p.is_whole
    )
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    board = selectors.leaderboard(
        scoring=scoring, period=period, offset=(page - 1) * PAGE, limit=PAGE
    )
    actor = current_actor()
    board.rows = selectors.visible_rows(
        actor, movement, board.rows, whole=selectors.sees_whole_ranking(actor, scoring, movement)
    )
    return render(
        request,
        "emulation/leaderboard.html",
        {
            "movement": movement,
            "scoring": scoring,
            "board": board,
            "periods": periods,
            "period": period,
            "page": page,
            "has_next": board.offset + len(board.rows) < board.ranked,
        },
    )


def overtakings(request: HttpRequest, slug: str) -> HttpResponse:
    """Every overtaking of the movement, newest first, a page at a time."""
    movement = _movement(request, slug)
    if isinstance(movement, HttpResponse):
        return movement
    events = slice_of(
        request,
        lambda offset, limit: selectors.overtaking_feed(
            movement=movement, offset=offset, limit=limit
        ),
        param="page",
        size=FEED_PAGE,
    )
    context = {"movement": movement, "overtakings": events.items, "more": events}
    if wants_more(request, "page"):
        return render(request, "emulation/_overtaking_feed.html#feed-items", context)
    return render(request, "emulation/overtakings.html", context)


def _challenge_form(request: HttpRequest, movement: Movement) -> ChallengeForm | None:
    """The form, if the actor plans for some unit of the movement's scope."""
    actor = current_actor()
    if movement.status != Movement.Status.LAUNCHED or not actor.is_authenticated:
        return None
    paths = actor.paths(Capability.PLAN, movement)
    if not paths:
        return None
    scope = list(movement.scope.values_list("path", flat=True)) or [movement.organiser.path]
    challengers = [
        unit
        for unit in Unit.objects.filter(unit_filter(actor, Capability.PLAN, movement, field=""))
        .filter(archived=False)
        .order_by(tree_order())[:200]
        if any(unit.path.startswith(p) for p in scope)
    ]
    if not challengers:
        return None
    return ChallengeForm(
        request.POST or None,
        challengers=challengers,
        blocks=Block.objects.filter(
            scorings__movement=movement, scorings__retired_at__isnull=True
        ).distinct(),
        indicators=movement.indicators.all(),
        periods=movement.periods.all(),
    )


def challenges(request: HttpRequest, slug: str) -> HttpResponse:
    """The movement's challenges the visitor may see, and the form to make one."""
    movement = _movement(request, slug)
    if isinstance(movement, HttpResponse):
        return movement
    actor = current_actor()
    challenges = slice_of(
        request,
        lambda offset, limit: selectors.challenges_of(
            movement=movement, actor=actor, offset=offset, limit=limit
        ),
        param="page",
        size=FEED_PAGE,
    )
    if request.method == "GET" and wants_more(request, "page"):
        return render(
            request, "emulation/challenges.html#challenge-rows", {"challenges": challenges}
        )
    form = _challenge_form(request, movement)
    if request.method == "POST":
        if form is None:
            raise Http404("You may not challenge in this movement.")
        if form.is_valid():
            data = form.cleaned_data
            challenger = Unit.objects.get(code=data["challenger"])
            opponent = None
            if data["opponent"]:
                opponent = Unit.objects.filter(code=data["opponent"].strip()).first()
                if opponent is None:
                    form.add_error("opponent", f"No unit with code {data['opponent']!r}.")
            if not form.errors:
                try:
                    challenge = actions.propose_challenge(
                        movement=movement,
                        challenger=challenger,
                        opponent=opponent,
                        group=Block.objects.filter(code=data["group"]).first()
                        if data["group"]
                        else None,
                        indicator=movement.indicators.get(code=data["indicator"]),
                        period=movement.periods.get(name=data["period"]),
                        normalisation=data["normalisation"],
                        answer_by=data["answer_by"],
                        stake=data["stake"],
                        created_by=request.user,
                    )
                except ActionError as exc:
                    add_row_errors(form, exc.errors)
                    if not exc.errors:
                        form.add_error(None, exc.detail)
                else:
                    messages.success(request, "The challenge is sent.")
                    return redirect("challenge-detail", challenge_id=challenge.pk)
    return render(
        request,
        "emulation/challenges.html",
        {
            "movement": movement,
            "challenges": challenges,
            "form": form,
        },
        status=422 if form is not None and form.errors else 200,
    )


def challenge_detail(request: HttpRequest, challenge_id: int) -> HttpResponse:
    """A challenge: who, on what, the stake, the answers, live standings, the result;
    accept and decline for the challenged units the visitor plans for."""
    challenge = get_object_or_404(
        Challenge.objects.select_related("movement", "challenger", "group", "indicator", "period"),
        pk=challenge_id,
    )
    movement = _movement(request, challenge.movement.slug)
    if isinstance(movement, HttpResponse):
        return movement
    actor = current_actor()
    participants = list(
        ChallengeParticipant.objects.filter(challenge=challenge).select_related("unit")
    )
    if not movement.is_public and not any(
        can(actor, Capability.VIEW, p.unit, movement) for p in participants
    ):
        raise Http404("No such challenge.")
    if request.method == "POST":
        unit = get_object_or_404(Unit, code=request.POST.get("unit", ""))
        action = (
            actions.accept_challenge
            if request.POST.get("answer") == "accept"
            else actions.decline_challenge
        )
        try:
            action(challenge=challenge, unit=unit)
        except ActionError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"{unit.name}: answer recorded.")
        return redirect("challenge-detail", challenge_id=challenge.pk)
    answerable = [
        p.unit
        for p in participants
        if p.answer == ChallengeParticipant.Answer.PENDING
        and challenge.status in (Challenge.Status.PROPOSED, Challenge.Status.RUNNING)
        and can(actor, Capability.PLAN, p.unit, movement)
    ]
    return render(
        request,
        "emulation/challenge_detail.html",
        {
            "movement": movement,
            "challenge": challenge,
            "participants": participants,
            "standings": selectors.challenge_standings(challenge),
            "results": list(
                ChallengeResult.objects.filter(challenge=challenge).select_related("unit")
            ),
            "answerable": answerable,
        },
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """What happened to the units the signed-in person may view: overtaken, challenged,
    answers, results. "Mark all read" marks what this page showed."""
    actor = current_actor()
    if request.method == "POST":
        return _mark_read(request, actor)
    shown = slice_of(
        request,
        lambda offset, limit: selectors.notifications_for(actor=actor, offset=offset, limit=limit),
        param="page",
        size=FEED_PAGE,
    )
    if wants_more(request, "page"):
        return render(request, "emulation/notifications.html#notification-items", {"more": shown})
    return render(
        request,
        "emulation/notifications.html",
        {
            "more": shown,
            "up_to": max((n.pk for n in shown.items), default=0),
        },
    )


@require_POST
def _mark_read(request: HttpRequest, actor) -> HttpResponse:
    try:
        up_to = int(request.POST.get("up_to", "0"))
    except ValueError:
        up_to = 0
    unit_ids = (
        Notification.objects.filter(unit_filter(actor, Capability.VIEW), pk__lte=up_to)
        .values_list("unit_id", flat=True)
        .distinct()
    )
    actions.mark_notifications_read(unit_ids=list(unit_ids), up_to_id=up_to)
    return redirect("emulation-notifications")
