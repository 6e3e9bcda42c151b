"""The organiser's ranking set-up page: the movement's rankings, a form to make a block of
comparable units and a form to rank a block. Every write goes through `units.actions.
create_block` and `emulation.actions.create_scoring` / `update_scoring` / `retire_scoring`,
as the API does."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import (
    Capability,
    current_actor,
    unit_filter,
)
from pacesetter.core.errors import ActionError
from pacesetter.core.pages import add_row_errors
from pacesetter.movements.api import movement_or_404
from pacesetter.units import actions as unit_actions
from pacesetter.units.api import units_for_field
from pacesetter.units.models import Block, Unit

from . import actions, selectors
from .setup_forms import (
    COMPONENT_FIELDS,
    BlockForm,
    ScoringChangeForm,
    ScoringForm,
    ScoringRetireForm,
)


def _blocks() -> list[Block]:
    """Blocks the organiser can see a unit of, with those units."""
    visible = Unit.objects.filter(unit_filter(current_actor(), Capability.VIEW, field=""))
    return list(Block.objects.filter(units__in=visible).distinct().order_by("name", "id"))


def _page(
    request, movement, status=200, *, block_form=None, scoring_form=None, bound=None
) -> HttpResponse:
    """`bound`: a ranking's change or retire form that was refused, shown in its place."""
    blocks = _blocks()
    indicators = list(movement.indicators.all())
    scorings = []
    for scoring in selectors.scorings_of(movement, retired=True):
        scoring.change_form = ScoringChangeForm(code=scoring.code, initial={"name": scoring.name})
        scoring.retire_form = ScoringRetireForm(code=scoring.code)
        if bound is not None and bound[0] == scoring.code:
            setattr(scoring, bound[1], bound[2])
            scoring.open = True
        scorings.append((scoring, selectors.describe(scoring)))
    return render(
        request,
        "emulation/set_up.html",
        {
            "movement": movement,
            "scorings": scorings,
            "blocks": blocks,
            "indicators": indicators,
            "block_form": block_form or BlockForm(),
            "scoring_form": scoring_form or ScoringForm(blocks=blocks, indicators=indicators),
        },
        status=status,
    )


@login_required
def set_up(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, movement_or_404(slug, Capability.ORGANISE))


def _refused(form, exc: ActionError) -> None:
    """The action's errors beside their fields (a scoring's component errors beside that
    row's field: indicator_2…), or on the form when they name none."""
    for error in exc.errors:
        if error.field in COMPONENT_FIELDS and f"{error.field}_{error.row}" in form.fields:
            form.add_error(f"{error.field}_{error.row}", error.message)
        else:
            add_row_errors(form, [error])
    if not exc.errors:
        form.add_error(None, exc.detail)


@login_required
@require_POST
def block_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Make a block from unit codes: the organiser needs to manage every unit in it."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    form = BlockForm(request.POST)
    if form.is_valid():
        try:
            block = unit_actions.create_block(
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                units=units_for_field(
                    form.unit_codes(), field="units", capability=Capability.MANAGE_UNITS
                ),
            )
        except ActionError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Block %(name)s is made.") % {"name": block.name})
            return redirect(reverse("emulation-set-up", args=[movement.slug]) + "#rank")
    return _page(request, movement, 422, block_form=form)


@login_required
@require_POST
def scoring_create(request: HttpRequest, slug: str) -> HttpResponse:
    movement = movement_or_404(slug, Capability.ORGANISE)
    blocks = _blocks()
    form = ScoringForm(request.POST, blocks=blocks, indicators=list(movement.indicators.all()))
    if form.is_valid():
        try:
            scoring = actions.create_scoring(
                movement=movement,
                block=next(b for b in blocks if b.code == form.cleaned_data["block"]),
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                components=[actions.ComponentSpec(*row) for row in form.components()],
            )
        except ActionError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("%(name)s is ranked.") % {"name": scoring.name})
            return redirect("emulation-leaderboard", slug=movement.slug, code=scoring.code)
    return _page(request, movement, 422, scoring_form=form)


def _live_scoring(movement, code: str):
    scoring = selectors.scoring_or_none(movement, code)
    if scoring is None or scoring.retired_at is not None:
        raise Http404("No such ranking.")
    return scoring


@login_required
@require_POST
def scoring_change(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """Rename a ranking (`emulation.actions.update_scoring`, as `PATCH …/scorings/{code}`)."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    scoring = _live_scoring(movement, code)
    form = ScoringChangeForm(request.POST, code=code)
    if form.is_valid():
        try:
            actions.update_scoring(scoring=scoring, name=form.cleaned_data["name"])
        except ActionError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("The ranking is renamed."))
            return redirect("emulation-set-up", slug=movement.slug)
    return _page(request, movement, 422, bound=(code, "change_form", form))


@login_required
@require_POST
def scoring_retire(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """Retire a ranking once confirmed (`emulation.actions.retire_scoring`, as
    `POST …/scorings/{code}/retire`)."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    scoring = _live_scoring(movement, code)
    form = ScoringRetireForm(request.POST, code=code)
    if form.is_valid():
        try:
            actions.retire_scoring(scoring=scoring)
        except ActionError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("%(name)s is retired.") % {"name": scoring.name})
            return redirect("emulation-set-up", slug=movement.slug)
    return _page(request, movement, 422, bound=(code, "retire_form", form))
