"""The verification queue: a verifier's page of the reports to check in their subtrees,
flagged first, then the random sample; each is confirmed, corrected or rejected in place
(htmx swaps the one report's card), through `ledger.verification.decide` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import current_actor
from pacesetter.core.errors import ActionError
from pacesetter.core.pages import add_row_errors
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit

from .forms import QueueFiltersForm, VerificationForm
from .models import Report, ReportFlag, VerificationDecision
from .verification import decide
from .verification_selectors import (
    QueueItem,
    Verification,
    queue_filter,
    recent_decisions,
    verification_queue,
    verifications_of,
)


def _movement(slug: str) -> Movement:
    return get_object_or_404(Movement.objects.select_related("organiser"), slug=slug)


@login_required
def verification_queue_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The queue of the visitor's subtrees (or one unit's, `?unit=CODE`), one indicator or
    all: flagged reports first, then the sample; the latest decisions below."""
    movement = _movement(slug)
    return _queue_page(request, movement)


def _queue_page(
    request: HttpRequest,
    movement: Movement,
    failed: tuple[QueueItem, VerificationForm] | None = None,
) -> HttpResponse:
    actor = current_actor()
    where = queue_filter(actor, movement)
    indicators = list(movement.indicators.all())
    filters = QueueFiltersForm(request.GET or None, indicators=indicators)
    unit = indicator = None
    if filters.is_valid():
        code = filters.cleaned_data["unit"].strip()
        if code:
            unit = Unit.objects.filter(code=code).first()
            if unit is None:
                raise Http404("No such unit here.")
            where = queue_filter(actor, movement, unit)
        wanted = filters.cleaned_data["indicator"]
        indicator = next((i for i in indicators if i.code == wanted), None)
    queue = verification_queue(movement=movement, where=where, indicator=indicator)
    items = queue.items
    if failed is not None:
        items = [failed[0], *(item for item in items if item.report.pk != failed[0].report.pk)]
    states = verifications_of([item.report for item in items])
    cards = [
        _Card(
            item,
            failed[1]
            if failed is not None and item is failed[0]
            else VerificationForm(prefix=f"r{item.report.pk}"),
            states[item.report.pk],
        )
        for item in items
    ]
    return render(
        request,
        "ledger/verification_queue.html",
        {
            "movement": movement,
            "filters": filters,
            "unit": unit,
            "queue": queue,
            "cards": cards,
            "recent": recent_decisions(movement=movement, where=where),
        },
        status=422 if failed is not None else 200,
    )


@dataclass
class _Card:
    item: QueueItem
    form: VerificationForm | None
    verification: Verification
    decided: VerificationDecision | None = None


@login_required
@require_POST
def verification_decide(request: HttpRequest, slug: str, report_id: int) -> HttpResponse:
    """Decide on one report of the queue. With htmx: its card, decided or with the form's
    errors; without: back to the queue with a message (or the queue with the card's errors,
    422)."""
    movement = _movement(slug)
    where = queue_filter(current_actor(), movement)
    report = (
        Report.objects.select_related("movement", "unit", "indicator", "entered_by", "member")
        .filter(where, pk=report_id, movement=movement)
        .first()
    )
    if report is None:
        raise Http404("No such report here.")
    form = VerificationForm(request.POST, prefix=f"r{report.pk}")
    decided = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            decided = decide(
                report=report,
                decision=data["decision"],
                quantity=data["quantity"] or None,
                reason=data["reason"],
                source=Report.Source.WEB,
            )
        except ActionError as exc:
            add_row_errors(form, exc.errors)
            if not exc.errors:
                form.add_error(None, exc.detail)
    if decided is not None and not request.htmx:
        messages.success(
            request,
            _("Report %(id)s: %(decision)s.")
            % {"id": report.pk, "decision": decided.get_decision_display().lower()},
        )
        return redirect(reverse("verification-queue", args=[movement.slug]))
    item = _item(report)
    if not request.htmx:
        return _queue_page(request, movement, failed=(item, form))
    card = _Card(
        item,
        None if decided is not None else form,
        verifications_of([report])[report.pk],
        decided,
    )
    return render(
        request, "ledger/verification_queue.html#queue-card", {"movement": movement, "card": card}
    )


def _item(report: Report) -> QueueItem:
    """One report as a queue item, read afresh (after a decision): two queries."""
    changes = list(
        Report.objects.filter(corrects_id=report.pk).values_list("quantity_minor", flat=True)
    )
    return QueueItem(
        report=report,
        effective_minor=report.quantity_minor + sum(changes),
        corrections=len(changes),
        flags=list(ReportFlag.objects.filter(report_id=report.pk).order_by("kind")),
    )
