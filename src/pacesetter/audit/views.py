"""The audit trail page: events about the units where the reader may audit, filterable."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pacesetter.accounts.permissions import Capability, current_actor, unit_filter
from pacesetter.core.forms import PlainTextForm
from pacesetter.core.pagination import slice_of, wants_more
from pacesetter.units.models import Unit

from . import selectors

# Newest first, twenty at a time with "Show more": no count of the whole trail is needed.
PAGE_SIZE = 20


class AuditFilterForm(PlainTextForm):
    unit = forms.CharField(required=False, label="Unit code", help_text="It and its subtree.")
    action = forms.CharField(required=False, help_text="An action or its start, e.g. ledger.")
    user = forms.CharField(required=False, label="Username")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Before"
    )


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    actor = current_actor()
    form = AuditFilterForm(request.GET or None)
    unit_path = None
    if form.is_valid() and form.cleaned_data["unit"]:
        unit = (
            Unit.objects.filter(unit_filter(actor, Capability.AUDIT, field=""))
            .filter(code=form.cleaned_data["unit"])
            .first()
        )
        if unit is None:
            form.add_error("unit", "No unit by this code where you may read the trail.")
        else:
            unit_path = unit.path
    data = form.cleaned_data if form.is_valid() else {}
    events = selectors.events_visible_to(
        actor,
        unit_path=unit_path,
        action=data.get("action") or None,
        username=data.get("user") or None,
        since=data.get("since"),
        until=data.get("until"),
    )
    shown = slice_of(
        request,
        lambda offset, limit: events[offset : offset + limit],
        param="page",
        size=PAGE_SIZE,
    )
    if wants_more(request, "page"):
        return render(request, "audit/trail.html#event-rows", {"events": shown})
    return render(request, "audit/trail.html", {"form": form, "events": shown})
