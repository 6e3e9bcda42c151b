"""The organiser's page of a movement's plausibility flag rules (ledger.flags)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pacesetter.core.errors import ActionError
from pacesetter.movements.selectors import organised_movement_or_404

from . import flag_domain, flags
from .forms import FlagRulesForm
from .models import FlagKind


@login_required
def flag_rules(request: HttpRequest, slug: str) -> HttpResponse:
    """Each kind of flag on or off, with its thresholds; empty settings are the defaults."""
    movement = organised_movement_or_404(slug)
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
