"""Experience pages: a movement's practices (most adopted, largest measured effect), a
practice (text, the publisher's figures beside it, adopters, effect, chain; adopt and
withdraw for who may), and the publish form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pacesetter.accounts.permissions import (
    Capability,
    can,
    current_actor,
    require,
    unit_filter,
)
from pacesetter.core.errors import ActionError, NotAllowed
from pacesetter.core.files import stored_file_response
from pacesetter.core.pages import add_row_errors
from pacesetter.figures.views import _movement_for
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Unit, tree_order

from . import actions, selectors
from .attachments import Upload
from .forms import AdoptForm, AttachmentForm, PracticeForm
from .models import Adoption, Practice, PracticeAttachment

# Units offered in a form's choice: the first ones the visitor acts for, in tree order.
UNIT_CHOICES = 200


def _units_for(movement: Movement, *, exclude: list[int] = ()) -> list[Unit]:
    """Units the visitor plans for (unit head, organiser), within reach of the movement."""
    actor = current_actor()
    if not actor.is_authenticated:
        return []
    return list(
        Unit.objects.filter(unit_filter(actor, Capability.PLAN, movement, field=""), archived=False)
        .exclude(pk__in=exclude)
        .order_by(tree_order())
        .only("id", "code", "name", "path")[:UNIT_CHOICES]
    )


def practice_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The movement's practices, most adopted first; `?unit=CODE` narrows to one publisher
    (the "learn from" list links here). The largest measured effects among the most adopted."""
    movement = _movement_for(request, slug)
    if isinstance(movement, HttpResponse):
        return movement
    publisher = None
    if request.GET.get("unit"):
        publisher = Unit.objects.filter(code=request.GET["unit"]).first()
        if publisher is None:
            raise Http404("No such unit.")
    practices = list(
        selectors.practices_of(movement, unit=publisher).order_by(
            "-adopted_by", "-published_at", "-pk"
        )[: selectors.LIST_SIZE]
    )
    return render(
        request,
        "experience/list.html",
        {
            "movement": movement,
            "publisher": publisher,
            "practices": practices,
            "largest": selectors.largest_effects(practices),
            "may_publish": bool(current_actor().paths(Capability.PLAN, movement)),
        },
    )


def practice_publish(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish a practice for a unit the visitor plans for."""
    movement = _movement_for(request, slug)
    if isinstance(movement, HttpResponse):
        return movement
    if not current_actor().is_authenticated:
        return redirect_to_login(request.get_full_path())
    units = _units_for(movement)
    if not units:
        raise NotAllowed(_("You plan for no unit of this movement."))
    indicators = list(movement.indicators.all())
    periods = list(movement.periods.all())
    practices = list(selectors.practices_of(movement)[: selectors.LIST_SIZE])
    initial = {"adapted_from": request.GET.get("adapted_from", "")}
    form = PracticeForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        units=units,
        indicators=indicators,
        periods=periods,
        practices=practices,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            practice = actions.publish_practice(
                movement=movement,
                unit=next(u for u in units if u.code == data["unit"]),
                title=data["title"],
                text=data["text"],
                indicator=next(i for i in indicators if i.code == data["indicator"]),
                indicators=[i for i in indicators if i.code in data["more_indicators"]],
                period=next(p for p in periods if str(p.pk) == data["period"]),
                adapted_from=next(
                    (p for p in practices if str(p.pk) == data["adapted_from"]), None
                ),
                attachments=[_upload(f) for f in data["attachments"]],
            )
        except ActionError as exc:
            add_row_errors(form, exc.errors)
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, _("The practice is published."))
            return redirect("practice-detail", practice_id=practice.pk)
    return render(
        request,
        "experience/publish.html",
        {"movement": movement, "form": form},
        status=422 if form.errors else 200,
    )


def _upload(uploaded, caption: str = "") -> Upload:
    return Upload(name=uploaded.name or "", content=uploaded, size=uploaded.size, caption=caption)


def _visible_practice(request: HttpRequest, practice_id: int) -> Practice | HttpResponse:
    """The practice, if the visitor may see its movement (else 404, or sign in first)."""
    practice = selectors.practice_or_none(practice_id)
    if practice is None:
        raise Http404("No such practice.")
    movement = _movement_for(request, practice.movement.slug)
    return movement if isinstance(movement, HttpResponse) else practice


def practice_detail(request: HttpRequest, practice_id: int) -> HttpResponse:
    """A practice with everything measured about it; adopt and withdraw for who may."""
    practice = _visible_practice(request, practice_id)
    if isinstance(practice, HttpResponse):
        return practice
    movement = practice.movement
    # Published to the movement: whoever may see the movement reads its practices, with the
    # publisher's figures on its indicators over its period, which publishing shares.
    actor = current_actor()
    adoptions = selectors.standing_adoptions(practice)
    adopt_form = None
    if request.method == "POST":
        return _act(request, practice, adoptions)
    candidates = _units_for(movement, exclude=[practice.unit_id, *(a.unit_id for a in adoptions)])
    if candidates:
        adopt_form = AdoptForm(units=candidates, initial={"adopted_on": movement_today(movement)})
    return render(
        request,
        "experience/detail.html",
        _detail_context(practice, adoptions, adopt_form, actor),
    )


def _detail_context(
    practice: Practice, adoptions: list[Adoption], adopt_form, actor, attach_form=None
) -> dict:
    movement = practice.movement
    may_attach = can(actor, Capability.PLAN, practice.unit, movement)
    indicators = selectors.indicators_of(practice)
    figures = selectors.figures_beside(practice)
    by_indicator = {f.indicator.pk: f for f in figures}
    return {
        "movement": movement,
        "practice": practice,
        "text": selectors.rendered(practice),
        "figures": figures,
        "per_indicator": [
            {"indicator": i, "figures": by_indicator.get(i.pk), "effect": effect}
            for i, effect in selectors.indicator_effects(practice, adoptions, indicators)
        ],
        "indicator_names": ", ".join(i.name for i in indicators),
        "adoptions": adoptions,
        "withdrawable": {a.pk for a in adoptions if can(actor, Capability.PLAN, a.unit, movement)},
        "withdrawn": selectors.withdrawn_adoptions(practice),
        "chain": selectors.chain_of(practice),
        "adopt_form": adopt_form,
        "attachments": selectors.attachments_of(practice),
        "attach_form": (attach_form or AttachmentForm()) if may_attach else None,
        "may_adapt": bool(actor.paths(Capability.PLAN, movement)),
    }


def _act(request: HttpRequest, practice: Practice, adoptions: list[Adoption]) -> HttpResponse:
    """Adopt (a form) or withdraw (a button per standing adoption)."""
    movement = practice.movement
    if not current_actor().is_authenticated:
        return redirect_to_login(request.get_full_path())
    if "withdraw" in request.POST:
        adoption = next((a for a in adoptions if str(a.pk) == request.POST["withdraw"]), None)
        if adoption is None:
            raise Http404("No such adoption.")
        adoption.practice = practice
        require(current_actor(), Capability.PLAN, adoption.unit, movement)  # 403 or 404
        try:
            actions.withdraw_adoption(adoption=adoption)
        except ActionError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request, _("%(unit)s no longer follows it.") % {"unit": adoption.unit.name}
            )
        return redirect("practice-detail", practice_id=practice.pk)
    if not current_actor().paths(Capability.PLAN, movement):
        raise NotAllowed(_("You plan for no unit of this movement."))
    candidates = _units_for(movement, exclude=[practice.unit_id, *(a.unit_id for a in adoptions)])
    form = AdoptForm(request.POST, units=candidates)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.adopt_practice(
                practice=practice,
                unit=next(u for u in candidates if u.code == data["unit"]),
                adopted_on=data["adopted_on"],
                note_text=data["note"],
            )
        except ActionError as exc:
            add_row_errors(form, exc.errors)
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, _("The adoption is recorded."))
            return redirect("practice-detail", practice_id=practice.pk)
    return render(
        request,
        "experience/detail.html",
        _detail_context(practice, adoptions, form, current_actor()),
        status=422,
    )


def practice_attach(request: HttpRequest, practice_id: int) -> HttpResponse:
    """Add a picture or a PDF to a practice (who may publish for its unit); POST only."""
    practice = _visible_practice(request, practice_id)
    if isinstance(practice, HttpResponse):
        return practice
    movement = practice.movement
    if not current_actor().is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method != "POST":
        return redirect("practice-detail", practice_id=practice.pk)
    require(current_actor(), Capability.PLAN, practice.unit, movement)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = _upload(form.cleaned_data["file"], form.cleaned_data["caption"])
        try:
            actions.add_attachments(practice=practice, attachments=[upload])
        except ActionError as exc:
            add_row_errors(form, exc.errors)
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, _("Added %(name)s.") % {"name": upload.name})
            return redirect("practice-detail", practice_id=practice.pk)
    adoptions = selectors.standing_adoptions(practice)
    return render(
        request,
        "experience/detail.html",
        _detail_context(practice, adoptions, None, current_actor(), attach_form=form),
        status=422,
    )


def attachment_file(request: HttpRequest, attachment_id: int) -> FileResponse:
    """An attachment's file, for whoever may see the practice's movement: a picture shown
    inline (the practice page's `<img>`), a PDF as a download."""
    attachment = (
        PracticeAttachment.objects.select_related("practice__movement")
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment.")
    movement = _movement_for(request, attachment.practice.movement.slug)
    if isinstance(movement, HttpResponse):
        return movement
    return stored_file_response(
        stored_as=attachment.stored_as,
        name=attachment.name,
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
    )
