"""The organiser's page of a movement's plausibility flag rules (ledger.flags)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pacesetter.accounts.permissions import Capability, current_actor, require_on_movement
from pacesetter.core.errors import ActionError
from pacesetter.movements.models import Movement

from . import flag_domain, flags
from .forms import FlagRulesForm
from .models import FlagKind


def _organised(slug: str) -> Movement:
    movement = Movement.objects.select_related("organiser").filter(slug=slug).first()
    if movement is None:
        raise Http404("No such movement.")
    scope = [u.path for u in movement.scope.all()] or [movement.organiser.path]
    require_on_movement(current_actor(), Capability.ORGANISE, movement, scope)
    return movement


@login_required
def flag_rules(request: HttpRequest, slug: str) -> HttpResponse:
    """Each kind of flag on or off, with its thresholds; empty settings are the defaults."""
    movement = _organised(slug)
    form = FlagRulesForm(
        request.POST or None,
        rules=flags.rules_of(movement).by_kind,
        kinds=FlagKind.choices,
        defaults=flag_domain.DEFAULTS,
        uses=flag_domain.USES,
    )
    if request.method == "POST" and form.is_valid():
        try:
            flags.set_flag_rules(movement=movement, rules=form.rules())
        except ActionError as exc:
            for error in exc.errors or []:
                name = error.field.replace(".", "-")
                if name in form.fields:
                    form.add_error(name, error.message)
                else:
                    form.add_error(None, f"{error.field}: {error.message}")
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, _("Saved: the rules apply to reports recorded from now on."))
            return redirect("ledger-flag-rules", slug=movement.slug)
    return render(
        request,
        "ledger/flag_rules.html",
        {"movement": movement, "form": form},
        status=422 if request.method == "POST" else 200,
    )
