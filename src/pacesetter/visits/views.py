"""Visit pages, phone first: a unit's visits, recording one, a visit with its follow-ups (marked
done in place with HTMX), the viewer's own visits, and a subtree's overdue follow-ups."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import (
    Capability,
    current_actor,
    movement_filter,
    require,
)
from pacesetter.core.errors import ActionError, NotAllowed, RowError
from pacesetter.core.pages import add_row_errors
from pacesetter.core.tabular import TabularError
from pacesetter.core.uploads import refusal
from pacesetter.experience.text import render as render_text
from pacesetter.movements.models import Movement, Period
from pacesetter.units.models import Unit, UnitKind
from pacesetter.units.selectors import visible_unit_or_404
from pacesetter.voices import selectors as voices_selectors

from . import actions, domain, selectors
from .files import read_visit_rows
from .forms import CoverageForm, FollowUpForm, MarkForm, VisitForm, VisitsUploadForm
from .models import FollowUpTask

PAGE = 50


@login_required
def unit_visits(request: HttpRequest, code: str) -> HttpResponse:
    """The visits to a unit's subtree, newest first, and the unit's own visits per year."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    return render(
        request,
        "visits/unit.html",
        {
            "unit": unit,
            "visits": list(selectors.visits_for(actor, unit=unit)[:PAGE]),
            "years": selectors.unit_years(unit),
            "may_record": selectors.may_record(actor, unit),
        },
    )


def _form_errors(form, exc: ActionError, slots=()) -> None:
    errors = []
    for e in exc.errors or []:  # a voice's row is its place among the filled slots
        name = e.field
        if name.startswith("voices.") and 0 < e.row <= len(slots):
            name = f"voice{slots[e.row - 1][0]}_{name.removeprefix('voices.') or 'text'}"
        errors.append(RowError(e.row, name, e.message, e.code))
    exc.errors = errors
    aliases = {
        "follow_ups.what": "follow_up",
        "follow_ups.owner": "follow_up_owner",
        "follow_ups.due_on": "follow_up_due",
        "unit": "__all__",
        "movement": "__all__",
        "key": "__all__",
    }
    add_row_errors(form, exc.errors or [], aliases=aliases)
    if not exc.errors:
        form.add_error(None, exc.detail)


@login_required
def record(request: HttpRequest, code: str) -> HttpResponse:
    """Record a visit to the unit: when, who, why, what was found, and a follow-up."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    require(actor, Capability.VISIT, unit)
    form = VisitForm(
        request.POST or None,
        initial={"visited_on": timezone.localdate(), "i_visited": True},
        topics=voices_selectors.topics_open_to(unit),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        visitors = domain.usernames(data["visitors"])
        if data["i_visited"]:
            visitors.insert(0, request.user.get_username())
        slots = form.voice_rows()
        follow_ups = []
        if data["follow_up"].strip() or data["follow_up_owner"].strip():
            follow_ups.append(
                actions.FollowUpRow(
                    data["follow_up"], data["follow_up_owner"], data["follow_up_due"] or ""
                )
            )
        try:
            visit = actions.record_visit(
                unit=unit.code,
                visited_on=data["visited_on"],
                purpose=data["purpose"],
                findings=data["findings"],
                visitors=list(dict.fromkeys(visitors)),
                guest_names=domain.names(data["guest_names"]),
                follow_ups=follow_ups,
                voices=[
                    actions.VoiceRow(
                        v["topic"], v["subject"], v["text"], v["on_behalf_of"], v["anonymous"]
                    )
                    for _n, v in slots
                ],
            )
        except ActionError as exc:
            _form_errors(form, exc, slots)
        else:
            messages.success(request, _("The visit is recorded."))
            return redirect("visits-detail", visit_id=visit.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "visits/record.html", {"unit": unit, "form": form}, status=status)


def _visit_context(request: HttpRequest, visit_id: int, **extra) -> dict:
    actor = current_actor()
    visit = selectors.visit_detail(actor, visit_id)
    if visit is None:
        raise Http404("No such visit here.")
    tasks = list(visit.follow_ups.all())
    return {
        "visit": visit,
        "findings": render_text(visit.findings) if visit.findings else "",
        "visitors": [v.user for v in visit.visitors.all()],
        "voices": selectors.visit_voices(actor, visit),
        "tasks": [(task, selectors.may_mark(actor, task, visit.unit)) for task in tasks],
        "may_add": selectors.may_record(actor, visit.unit),
        "today": timezone.localdate(),
        "form": extra.pop("form", None) or FollowUpForm(),
        **extra,
    }


@login_required
def visit_page(request: HttpRequest, visit_id: int) -> HttpResponse:
    """One visit: who, when, why, the findings, and its follow-ups."""
    return render(request, "visits/visit.html", _visit_context(request, visit_id))


@login_required
@require_POST
def add_follow_up(request: HttpRequest, visit_id: int) -> HttpResponse:
    form = FollowUpForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_follow_up(
                visit_id, what=data["what"], owner=data["owner"], due_on=data["due_on"]
            )
        except NotAllowed:
            raise
        except ActionError as exc:
            add_row_errors(form, exc.errors or [])
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, _("Follow-up added."))
            return redirect("visits-detail", visit_id=visit_id)
    context = _visit_context(request, visit_id, form=form)
    return render(request, "visits/visit.html", context, status=422)


@login_required
@require_POST
def mark(request: HttpRequest, task_id: int, verb: str) -> HttpResponse:
    """Mark a follow-up done or undone; an HTMX request gets the task's row back."""
    if verb not in ("done", "undone"):
        raise Http404("No such step.")
    form = MarkForm(request.POST)
    note_text = form.cleaned_data["note"] if form.is_valid() else ""
    task = actions.mark_follow_up(task_id, done=verb == "done", note_text=note_text)
    if request.htmx:
        actor = current_actor()
        task = (
            FollowUpTask.objects.select_related("owner", "visit__unit")
            .prefetch_related("events")
            .get(pk=task.pk)
        )
        return render(
            request,
            "visits/visit.html#follow-up",
            {
                "task": task,
                "may": selectors.may_mark(actor, task, task.visit.unit),
                "today": timezone.localdate(),
            },
        )
    return redirect("visits-detail", visit_id=task.visit_id)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The viewer's own visits: how many over a lifetime, how many units, per year."""
    return render(
        request,
        "visits/mine.html",
        {
            "counts": selectors.person_visits(request.user),
            "recent": list(
                selectors.visits_for(current_actor())
                .filter(visitors__user=request.user)
                .distinct()[:20]
            ),
        },
    )


@login_required
def overdue(request: HttpRequest, code: str) -> HttpResponse:
    """Follow-ups of visits in the subtree past their due date and not done."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    today = timezone.localdate()
    return render(
        request,
        "visits/overdue.html",
        {
            "unit": unit,
            "today": today,
            "tasks": list(selectors.overdue(actor, unit=unit, today=today)[:200]),
        },
    )


def default_kind(unit: Unit, kinds: list[UnitKind]) -> UnitKind | None:
    """The kind asked about when none is: the kind most of the unit's children have (a
    province's counties, not its one project), else the unit's own."""
    common = (
        Unit.objects.filter(parent=unit)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by("-n", "kind")
        .first()
    )
    wanted = common["kind"] if common is not None else unit.kind_id
    return next((k for k in kinds if k.pk == wanted), kinds[0] if kinds else None)


@login_required
def coverage(request: HttpRequest, code: str) -> HttpResponse:
    """The share of the subtree's units of a kind visited at least once in a period, per child
    subtree (a heat table), and the units not visited."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    kinds = list(UnitKind.objects.order_by("name"))
    periods = list(
        Period.objects.filter(movement__in=Movement.objects.filter(movement_filter(actor)))
        .select_related("movement")
        .order_by("-starts_on", "movement__title")[:100]
    )
    today = timezone.localdate()
    form = CoverageForm(request.GET or None, kinds=kinds, periods=periods)
    kind = default_kind(unit, kinds)
    start, end = today.replace(month=1, day=1), today
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        kind = next(k for k in kinds if k.code == data["kind"])
        chosen = next((p for p in periods if str(p.pk) == data["period"]), None)
        if chosen is not None:
            start, end = chosen.starts_on, chosen.ends_on
        else:
            start, end = data["start"] or start, data["end"] or end
    elif not form.is_bound:
        form = CoverageForm(
            initial={"kind": kind.code if kind else "", "start": start, "end": end},
            kinds=kinds,
            periods=periods,
        )
    result = (
        selectors.coverage(unit, kind=kind, start=start, end=end)
        if kind is not None and not form.errors
        else None
    )
    return render(
        request,
        "visits/coverage.html",
        {"unit": unit, "form": form, "coverage": result},
        status=422 if form.errors else 200,
    )


def _upload_page(request, form, *, file_errors=(), status=200) -> HttpResponse:
    return render(
        request,
        "visits/import.html",
        {"form": form, "file_errors": list(file_errors)},
        status=status,
    )


@login_required
def import_visits(request: HttpRequest) -> HttpResponse:
    """Record visits from a file, all rows or none; every bad row is listed by its row in the
    file. For officials (VISIT somewhere); each row's unit is checked as the action does."""
    if not current_actor().paths(Capability.VISIT):
        raise NotAllowed("Only officials who record visits upload them.")
    if request.method != "POST":
        return _upload_page(request, VisitsUploadForm())
    form = VisitsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=422)
    uploaded = form.cleaned_data["file"]
    refused = refusal(uploaded)
    if refused:
        form.add_error("file", refused)
        return _upload_page(request, form, status=422)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"visits{Path(uploaded.name).suffix.lower()}"
        with path.open("wb") as target:
            for chunk in uploaded.chunks():
                target.write(chunk)
        try:
            numbered = read_visit_rows(path, max_rows=settings.UPLOAD_MAX_ROWS)
        except TabularError as exc:
            form.add_error("file", str(exc).replace(path.name, uploaded.name))
            return _upload_page(request, form, file_errors=exc.errors, status=422)
    if not numbered:
        form.add_error("file", _("The file has no rows below its header."))
        return _upload_page(request, form, status=422)
    try:
        result = actions.record_visits(
            rows=[row for _, row in numbered], row_numbers=[number for number, _ in numbered]
        )
    except ActionError as exc:
        form.add_error(
            "file",
            exc.detail
            if not exc.errors
            else _("Nothing was recorded: correct the rows listed below."),
        )
        file_errors = [
            RowError(numbered[e.row - 1][0], e.field, e.message, e.code)
            if 1 <= e.row <= len(numbered)
            else e
            for e in exc.errors
        ]
        return _upload_page(request, form, file_errors=file_errors, status=422)
    messages.success(
        request,
        _("%(created)d visits recorded, %(replayed)d already there.")
        % {"created": result.created, "replayed": result.replayed},
    )
    return redirect("visits-import")
