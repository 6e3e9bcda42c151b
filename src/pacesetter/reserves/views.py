"""Reserve pages: a unit's reserves with its subtree figures, the propose form (phone first),
and one reserve with its history and the transitions the viewer may use."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import (
    current_actor,
    may_take_part,
    require_taking_part,
)
from pacesetter.core.errors import ActionError, NotAllowed
from pacesetter.core.pages import add_row_errors
from pacesetter.movements.selectors import organised_movement_or_404
from pacesetter.units.models import Member
from pacesetter.units.selectors import visible_unit_or_404

from . import actions, domain, selectors
from .forms import LinkForm, ProposeForm, TransitionForm
from .models import Kind, Reserve, ReserveLink, Status

PAGE = 50


@login_required
def unit_reserves(request: HttpRequest, code: str) -> HttpResponse:
    """The reserves of a unit's subtree (filter by status, kind) and its figures."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    status = status if status in Status.values else ""
    kind = kind if kind in Kind.values else ""
    rows = list(selectors.reserves_for(actor, unit=unit, status=status, kind=kind)[:PAGE])
    return render(
        request,
        "reserves/unit.html",
        {
            "unit": unit,
            "reserves": rows,
            "figures": selectors.figures(unit),
            "by_kind": selectors.savings_by_kind(unit),
            "statuses": Status.choices,
            "kinds": Kind.choices,
            "status": status,
            "kind": kind,
            "may_propose": may_take_part(actor, unit),
        },
    )


@login_required
def propose(request: HttpRequest, code: str) -> HttpResponse:
    """Propose a reserve for the unit: what, how much, measured in what."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    require_taking_part(actor, unit)
    members = list(Member.objects.filter(unit=unit, active=True)[:200])
    form = ProposeForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = next((m for m in members if str(m.pk) == data.get("member")), None)
        try:
            reserve = actions.propose_reserve(
                unit=unit,
                kind=data["kind"],
                description=data["description"],
                estimated=data["estimated"],
                measure=data["measure"],
                member=member,
            )
        except ActionError as exc:
            add_row_errors(form, exc.errors or [])
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, "Proposed. Thank you.")
            return redirect("reserves-detail", reserve_id=reserve.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "reserves/propose.html", {"unit": unit, "form": form}, status=status)


def _reserve(reserve_id: int) -> Reserve:
    reserve = (
        selectors.reserves_for(current_actor())
        .select_related("movement", "proposed_by")
        .prefetch_related("events")
        .filter(pk=reserve_id)
        .first()
    )
    if reserve is None:
        raise Http404("No such reserve here.")
    return reserve


@login_required
def reserve_page(
    request: HttpRequest, reserve_id: int, form: TransitionForm | None = None, status: int = 200
) -> HttpResponse:
    """One reserve, its history, and the buttons the viewer may use now."""
    actor = current_actor()
    reserve = _reserve(reserve_id)
    return render(
        request,
        "reserves/reserve.html",
        {
            "reserve": reserve,
            "events": list(reserve.events.all()),
            "verbs": selectors.allowed_verbs(actor, reserve),
            "counts": list(reserve.counts.select_related("indicator", "movement")),
            "links": (
                selectors.links_covering(reserve)
                if reserve.status not in (Status.VERIFIED, Status.DECLINED)
                else []
            ),
            "form": form or TransitionForm(initial={"measure": reserve.measure}),
        },
        status=status,
    )


@login_required
@require_POST
def transition(request: HttpRequest, reserve_id: int, verb: str) -> HttpResponse:
    if verb not in domain.VERBS:
        raise Http404("No such transition.")
    reserve = _reserve(reserve_id)
    form = TransitionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if verb == "verify":
                actions.verify_reserve(
                    reserve.pk,
                    verified=data["verified"],
                    measure=data["measure"],
                    note=data["note"],
                    scope=data.get("scope") or "unit",
                )
            elif verb == "decline":
                actions.decline_reserve(reserve.pk, reason=data["note"])
            else:
                actions.ACTIONS[verb](reserve.pk, note=data["note"])
        except NotAllowed:
            raise
        except ActionError as exc:
            add_row_errors(form, exc.errors or [], aliases={"reason": "note", "status": "__all__"})
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, "Done.")
            return redirect("reserves-detail", reserve_id=reserve.pk)
    return reserve_page(request, reserve_id, form=form, status=422)


@login_required
def links(request: HttpRequest, slug: str) -> HttpResponse:
    """The organiser's panel: which verified reserves count toward which indicator, and at
    what factor; set one (or change its indicator and factor), remove one."""
    movement = organised_movement_or_404(slug)
    indicators = list(movement.indicators.all())
    form = LinkForm(request.POST or None, indicators=indicators)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.link_reserves(
                movement=movement,
                kind=data["kind"],
                measure=data["measure"],
                indicator=next(i for i in indicators if i.code == data["indicator"]),
                factor=data["factor"],
            )
        except ActionError as exc:
            add_row_errors(form, exc.errors or [])
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, "Linked.")
            return redirect("reserves-links", slug=movement.slug)
    return render(
        request,
        "reserves/links.html",
        {"movement": movement, "links": selectors.links_of(movement), "form": form},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def unlink(request: HttpRequest, slug: str, link_id: int) -> HttpResponse:
    movement = organised_movement_or_404(slug)
    link = ReserveLink.objects.filter(movement=movement, pk=link_id).first()
    if link is None:
        raise Http404("No such link.")
    actions.unlink_reserves(link=link)
    messages.success(request, "Removed: verifications from now on are not counted.")
    return redirect("reserves-links", slug=movement.slug)
