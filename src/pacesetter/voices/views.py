"""Voice pages (phone first): raise a voice, "my voices", the queue of the unit that answers
with its figures, one voice with its events and the routing rule, the public page of
resolved voices, and "what people ask for" in a movement."""

from __future__ import annotations

import mimetypes
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import (
    Capability,
    can,
    current_actor,
    may_take_part,
    require,
    unit_filter,
)
from pacesetter.core.errors import ActionError, NotAllowed
from pacesetter.core.pages import add_row_errors
from pacesetter.core.tabular import TabularError
from pacesetter.core.uploads import refusal
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit
from pacesetter.units.selectors import visible_unit_or_404

from . import actions, domain, selectors
from .files import read_voice_rows
from .forms import ImportForm, RaiseForm, StepForm, TopicForm
from .models import Route, Status, Topic

PAGE = 50


@login_required
def raise_page(request: HttpRequest, code: str) -> HttpResponse:
    """Raise a voice about the unit: topic, subject, text, a photo, anonymously if wished."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    on_behalf = can(actor, Capability.PLAN, unit)
    if not (on_behalf or may_take_part(actor, unit)):
        require(actor, Capability.PARTICIPATE, unit)
    topics = selectors.topics_open_to(unit)
    form = RaiseForm(
        request.POST or None, request.FILES or None, topics=topics, on_behalf=on_behalf
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        topic = next(t for t in topics if t.code == data["topic"])
        try:
            voice = actions.raise_voice(
                topic=topic,
                unit=unit,
                subject=data["subject"],
                text=data["text"],
                anonymous=data["anonymous"],
                on_behalf_of=data.get("on_behalf_of", ""),
                attachment=data.get("attachment"),
            )
        except ActionError as exc:
            add_row_errors(form, exc.errors or [])
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, "Received. You can follow every step here.")
            return redirect("voices-detail", voice_id=voice.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "voices/raise.html",
        {"unit": unit, "form": form, "topics": topics},
        status=status,
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The voices the viewer raised (or recorded for someone), each with its last step."""
    rows = list(selectors.my_voices(current_actor())[:PAGE])
    return render(request, "voices/mine.html", {"voices": rows})


@login_required
def queue(request: HttpRequest, code: str) -> HttpResponse:
    """The voices routed to the unit's subtree, filtered, and its subtree figures."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    status = request.GET.get("status", "")
    status = status if status in (*Status.values, "open") else ""
    topic = Topic.objects.filter(code=request.GET.get("topic", "")).first()
    overdue = request.GET.get("overdue") == "1"
    rows = list(
        selectors.voices_for(
            actor, routed_within=unit, status=status, topic=topic, overdue=overdue
        )[:PAGE]
    )
    return render(
        request,
        "voices/queue.html",
        {
            "unit": unit,
            "voices": rows,
            "figures": selectors.figures(unit),
            "statuses": [("open", "Open"), *Status.choices],
            "status": status,
            "topics": selectors.topics_open_to(unit),
            "topic": topic,
            "overdue": overdue,
            "may_raise": may_take_part(actor, unit) or can(actor, Capability.PLAN, unit),
            "may_import": can(actor, Capability.PLAN, unit),
            "may_organise": can(actor, Capability.ORGANISE, unit),
        },
    )


def _voice(voice_id: int):
    voice = selectors.voice_for(current_actor(), voice_id)
    if voice is None:
        raise Http404("No such voice here.")
    return voice


@login_required
def voice_page(
    request: HttpRequest, voice_id: int, form: StepForm | None = None, status: int = 200
) -> HttpResponse:
    """One voice: its text, the rule that routed it, every step, and what the viewer may do."""
    actor = current_actor()
    voice = _voice(voice_id)
    return render(
        request,
        "voices/voice.html",
        {
            "voice": voice,
            "events": list(voice.events.all()),
            "steps": selectors.allowed_steps(actor, voice),
            "shows_raiser": selectors.shows_raiser(actor, voice),
            "raiser": selectors.raiser_label(voice),
            "form": form or StepForm(),
        },
        status=status,
    )


@login_required
@require_POST
def step(request: HttpRequest, voice_id: int, verb: str) -> HttpResponse:
    if verb not in domain.VERBS:
        raise Http404("No such step.")
    voice = _voice(voice_id)
    form = StepForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if verb == "assign":
                assignee = (
                    get_user_model()
                    .objects.filter(username=data["assigned_to"], is_active=True)
                    .first()
                )
                if assignee is None:
                    form.add_error("assigned_to", "no such person")
                    return voice_page(request, voice_id, form=form, status=422)
                actions.assign_voice(voice.pk, to=assignee, note=data["note"])
            elif verb == "answer":
                actions.answer_voice(voice.pk, answer=data["note"])
            elif verb == "decline":
                actions.decline_voice(voice.pk, reason=data["note"])
            else:
                actions.STEPS[verb](voice.pk, note=data["note"])
        except NotAllowed:
            raise
        except ActionError as exc:
            aliases = {"reason": "note", "answer": "note", "status": "__all__"}
            add_row_errors(form, exc.errors or [], aliases=aliases)
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, "Done.")
            return redirect("voices-detail", voice_id=voice.pk)
    return voice_page(request, voice_id, form=form, status=422)


@login_required
def attachment(request: HttpRequest, voice_id: int) -> FileResponse:
    """The voice's attachment, to those who see the voice; a download, never inline."""
    voice = _voice(voice_id)
    if not voice.attachment:
        raise Http404("This voice has no attachment.")
    try:
        handle = storages["attachments"].open(voice.attachment, "rb")
    except FileNotFoundError:
        raise Http404("The attachment's file is missing from the storage.") from None
    content_type = mimetypes.guess_type(voice.attachment)[0] or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=True, filename=voice.attachment_name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


def public(request: HttpRequest) -> HttpResponse:
    """Resolved voices of the topics whose organisers show them, with no names."""
    rows = list(selectors.public_voices()[:PAGE])
    return render(request, "voices/public.html", {"voices": rows})


def movement_topics(request: HttpRequest, slug: str) -> HttpResponse:
    """What people ask for in a movement: its topics, fastest growing first (public counts
    only: no voice is shown here)."""
    movement = get_object_or_404(Movement.objects.select_related("organiser"), slug=slug)
    if not movement.is_public:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not current_actor().paths(Capability.VIEW, movement):
            raise Http404("No such movement here.")
    return render(
        request,
        "voices/movement.html",
        {"movement": movement, "growth": selectors.what_people_ask_for(movement)},
    )


@login_required
def import_page(request: HttpRequest, code: str) -> HttpResponse:
    """Upload voices heard by officials: every row checked first, all or nothing; the errors
    by row, field and message."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    require(actor, Capability.PLAN, unit)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list = []
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        problem = refusal(uploaded)
        if problem:
            form.add_error("file", problem)
        else:
            suffix = Path(uploaded.name or "").suffix.lower()
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"voices{suffix}"
                with path.open("wb") as target:
                    for chunk in uploaded.chunks():
                        target.write(chunk)
                try:
                    numbers, rows = read_voice_rows(
                        path, name=uploaded.name, max_rows=settings.UPLOAD_MAX_ROWS
                    )
                    result = actions.import_voices(rows=rows)
                except TabularError as exc:
                    form.add_error("file", str(exc))
                except ActionError as exc:
                    form.add_error(None, exc.detail)
                    errors = [
                        {"row": numbers[e.row - 1], "field": e.field, "message": e.message}
                        for e in exc.errors
                    ]
                else:
                    messages.success(
                        request,
                        f"Raised {result.raised} voices; {result.already_there} were there "
                        "already.",
                    )
                    return redirect("voices-queue", code=unit.code)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "voices/import.html",
        {"unit": unit, "form": form, "errors": errors},
        status=status,
    )


@login_required
def topics_page(request: HttpRequest, code: str) -> HttpResponse:
    """The topics the unit organises, and a form to add or change one (by its code)."""
    actor = current_actor()
    unit = visible_unit_or_404(code)
    require(actor, Capability.ORGANISE, unit)
    form = TopicForm(request.POST or None, routes=Route.choices, initial={"deadline_days": 14})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        route_unit = None
        if data["route_unit"]:
            route_unit = Unit.objects.filter(
                unit_filter(actor, Capability.VIEW, field=""), code=data["route_unit"]
            ).first()
            if route_unit is None:
                form.add_error("route_unit", "no such unit here")
        if form.is_valid():
            try:
                actions.set_topic(
                    code=data["code"],
                    name=data["name"],
                    organiser=unit,
                    deadline_days=data["deadline_days"],
                    route=data["route"],
                    route_kind=data["route_kind"],
                    route_unit=route_unit,
                    public=data["public"],
                )
            except ActionError as exc:
                add_row_errors(form, exc.errors or [])
                if not exc.errors:
                    form.add_error(None, exc.detail)
            else:
                messages.success(request, "Saved.")
                return redirect("voices-topics", code=unit.code)
    topics = list(
        Topic.objects.filter(organiser=unit).select_related("movement", "route_kind", "route_unit")
    )
    status = 422 if request.method == "POST" else 200
    return render(
        request, "voices/topics.html", {"unit": unit, "topics": topics, "form": form}, status=status
    )
