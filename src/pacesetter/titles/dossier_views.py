"""A nomination's dossier page (what a council member reads before voting: the candidate, the
title and its rule version, the explanation of eligibility, the documents, the votes so far,
the vote), its documents served to those who may see the nomination, and the council's
minutes of a run as a PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import Capability, can, current_actor, require
from pacesetter.core.errors import ActionError, ValidationFailed
from pacesetter.core.files import stored_file_response
from pacesetter.core.pages import add_row_errors

from . import dossiers, selectors
from .access import run_or_404
from .forms import AttachmentForm, WithdrawAttachmentForm
from .minutes import minutes_pdf
from .models import Nomination, NominationAttachment


def nomination_for_dossier(nomination_id: int) -> Nomination:
    """The nomination with what its dossier shows, for those who may see its run (else 404)."""
    nomination = get_object_or_404(
        Nomination.objects.select_related(
            "candidate__run__title__pack",
            "candidate__run__scope",
            "candidate__run__movement",
            "candidate__run__revision",
            "candidate__member",
            "candidate__unit",
            "award",
        ),
        pk=nomination_id,
    )
    run = nomination.candidate.run
    require(current_actor(), Capability.VIEW, run.scope, run.movement)
    return nomination


@login_required
def dossier(request: HttpRequest, nomination_id: int) -> HttpResponse:
    actor = current_actor()
    nomination = nomination_for_dossier(nomination_id)
    candidate = nomination.candidate
    run = candidate.run
    may_organise = can(actor, Capability.ORGANISE, run.scope, run.movement)
    form = AttachmentForm()
    if request.method == "POST":
        require(actor, Capability.ORGANISE, run.scope, run.movement)
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                added = dossiers.add_attachment(
                    nomination=nomination,
                    kind=form.cleaned_data["kind"],
                    name=upload.name,
                    content=upload,
                    size=upload.size,
                )
            except ValidationFailed as exc:
                add_row_errors(form, exc.errors)
            except ActionError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, _("Added %(name)s to the dossier.") % {"name": added})
                return redirect("titles:dossier", nomination.pk)
    _rule, version = selectors.rule_of(run)
    user_id = getattr(actor.user, "pk", None)
    votes = list(nomination.votes.select_related("voter").order_by("cast_at", "id"))
    on_council = nomination.council.filter(pk=user_id).exists() if user_id else False
    mine = next((v for v in votes if v.voter_id == user_id), None)
    counts = {
        choice: sum(1 for v in votes if v.choice == choice) for choice in ("yes", "no", "abstain")
    }
    return render(
        request,
        "titles/dossier.html",
        {
            "nomination": nomination,
            "candidate": candidate,
            "run": run,
            "movement": run.movement,
            "version": version,
            "tree": candidate.explanation,
            "attachments": selectors.attachments_of(nomination),
            "counts": counts,
            "present": len(votes),
            # who voted how: for the organisers, who close the vote; a member sees their own
            "votes": votes if may_organise else [],
            "mine": mine,
            "may_vote": on_council
            and mine is None
            and nomination.status == Nomination.Status.OPEN
            and can(actor, Capability.VOTE, run.scope, run.movement),
            "may_organise": may_organise,
            "form": form,
            "withdraw_form": WithdrawAttachmentForm(),
        },
        status=422 if form.errors else 200,
    )


def _attachment(attachment_id: int) -> NominationAttachment:
    attachment = get_object_or_404(
        NominationAttachment.objects.select_related(
            "nomination__candidate__run__scope", "nomination__candidate__run__movement"
        ),
        pk=attachment_id,
    )
    run = attachment.nomination.candidate.run
    require(current_actor(), Capability.VIEW, run.scope, run.movement)
    return attachment


def attachment_response(attachment: NominationAttachment) -> FileResponse:
    """The document as a download, never shown inline: the type read from its content, no
    sniffing, and a sandbox in case a browser renders it anyway."""
    return stored_file_response(
        stored_as=attachment.stored_as, name=attachment.name, content_type=attachment.content_type
    )


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    return attachment_response(_attachment(attachment_id))


@login_required
@require_POST
def attachment_withdraw(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = _attachment(attachment_id)
    run = attachment.nomination.candidate.run
    require(current_actor(), Capability.ORGANISE, run.scope, run.movement)
    form = WithdrawAttachmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for withdrawing the document."))
    else:
        try:
            dossiers.withdraw_attachment(attachment=attachment, reason=form.cleaned_data["reason"])
        except ActionError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Withdrew %(name)s.") % {"name": attachment})
    return redirect("titles:dossier", attachment.nomination_id)


@login_required
def run_minutes(request: HttpRequest, run_id: int) -> HttpResponse:
    run = run_or_404(run_id)
    response = HttpResponse(minutes_pdf(run), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="minutes-{run.title.code}-{run.year}-{run.pk}.pdf"'
    )
    return response
