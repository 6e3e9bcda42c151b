"""The organiser's page of a movement's secondments: which brigades draw persons from which
home units (`actions.second_persons`, the same as the API and the setup file's section).

A plain form (POST, redirect, GET) and, with htmx, the panel swapped in place, its errors
inside it (htmx swaps only successful answers, so those come with 200)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pacesetter.accounts.permissions import Capability, current_actor, unit_filter
from pacesetter.core.errors import ActionError, RowError, ValidationFailed
from pacesetter.core.pages import add_row_errors
from pacesetter.units.models import Unit

from . import actions, selectors
from .forms import SecondmentForm
from .models import Movement, Secondment


def _units(brigade: str, home: str) -> tuple[Unit, Unit]:
    """The brigade and the home unit by code, in 1 query; a code unknown (or out of the
    organiser's sight) is refused beside its field."""
    found = {
        unit.code: unit
        for unit in Unit.objects.filter(
            unit_filter(current_actor(), Capability.VIEW, field=""), code__in=[brigade, home]
        )
    }
    missing = [
        RowError(1, field, _("no unit with code %(code)s") % {"code": code}, "not_found")
        for field, code in (("brigade", brigade), ("home", home))
        if code not in found
    ]
    if missing:
        raise ValidationFailed(_("Unknown unit code."), errors=missing)
    return found[brigade], found[home]


def _second(movement: Movement, form: SecondmentForm) -> Secondment | None:
    """The secondment the form asks for, or None with the refusal put beside its field."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        brigade, home = _units(data["brigade"], data["home"])
        return actions.second_persons(
            movement=movement,
            brigade=brigade,
            home=home,
            persons=data["persons"],
            note=data["note"],
        )
    except ActionError as exc:
        if not exc.errors:
            raise  # a closed movement: its error page (409), not a form it no longer shows
        add_row_errors(form, exc.errors)
        return None


def _saved(secondment: Secondment) -> str:
    return _("Saved: %(persons)d of %(home)s seconded to %(brigade)s.") % {
        "persons": secondment.persons,
        "home": secondment.home.code,
        "brigade": secondment.brigade.code,
    }


@login_required
def secondments(request: HttpRequest, slug: str) -> HttpResponse:
    """The movement's secondments and the form that records one (set again, the number and
    note of a brigade's home unit are replaced)."""
    movement = selectors.organised_movement_or_404(slug)
    form = SecondmentForm(request.POST or None)
    saved = ""
    if request.method == "POST":
        secondment = _second(movement, form)
        if secondment is not None:
            if not request.htmx:
                messages.success(request, _saved(secondment))
                return redirect("movement-secondments", slug=movement.slug)
            saved, form = _saved(secondment), SecondmentForm()
    context = {
        "movement": movement,
        "secondments": selectors.secondments_of(movement),
        "form": form,
        "saved": saved,
        "editable": movement.status != Movement.Status.CLOSED,
    }
    if request.htmx:
        return render(request, "movements/secondments.html#secondments-panel", context)
    return render(
        request,
        "movements/secondments.html",
        context,
        status=422 if request.method == "POST" else 200,
    )
