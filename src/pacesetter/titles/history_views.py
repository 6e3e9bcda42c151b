"""Pages for a body's history and its decisions: the upload of past awards (previewed, then
confirmed, as the plans upload is) and the awarding body's decision recorded on an award."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.core.errors import ActionError, RowError, ValidationFailed
from pacesetter.core.pages import add_row_errors
from pacesetter.core.tabular import TabularError
from pacesetter.core.uploads import drop_upload, keep_upload, refusal, stored_upload

from . import history
from .access import require_organiser
from .files import read_award_rows
from .forms import AwardsUploadForm, DecisionForm
from .models import Award, RulePack

SESSION_AWARD_UPLOADS = "title_award_uploads"
PREVIEW_AWARDS = 200  # awards listed on a preview; the count says how many more


def award_columns() -> str:
    return ", ".join(
        [
            "member or unit",
            *history.AWARD_REQUIRED,
            *(f"[{name}]" for name in history.AWARD_OPTIONAL),
        ]
    )


@login_required
def awards_import(request: HttpRequest) -> HttpResponse:
    """A CSV or XLSX file of past awards, kept until its preview is confirmed."""
    form = AwardsUploadForm()
    status = 200
    if request.method == "POST":
        require_organiser()
        form = AwardsUploadForm(request.POST, request.FILES)
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            refused = refusal(uploaded)
            if refused:
                form.add_error("file", refused)
            else:
                pack = form.cleaned_data["pack"]
                # the upload belongs to one pack (`keep_upload` names it a movement)
                token = keep_upload(
                    request, kind=SESSION_AWARD_UPLOADS, movement_id=pack.pk, uploaded=uploaded
                )
                return redirect("titles:awards-import-preview", slug=pack.slug, token=token)
        status = 422
    return render(
        request,
        "titles/awards_import.html",
        {"form": form, "columns": award_columns()},
        status=status,
    )


@login_required
def awards_import_preview(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET: every bad row of the file, or the awards it imports. POST: confirm — import every
    award or none."""
    require_organiser()
    pack = get_object_or_404(RulePack.objects.select_related("current"), slug=slug)
    upload = stored_upload(request, kind=SESSION_AWARD_UPLOADS, movement_id=pack.pk, token=token)
    try:
        numbers, rows = read_award_rows(
            upload.path, name=upload.name, max_rows=settings.UPLOAD_MAX_ROWS
        )
    except TabularError as exc:
        drop_upload(request, kind=SESSION_AWARD_UPLOADS, upload=upload)
        messages.error(request, f"{upload.name}: {str(exc).replace(upload.path.name, upload.name)}")
        return redirect("titles:awards-import")
    errors: list[RowError] = []
    problem = ""
    status = 200
    done = None
    run = history.import_awards if request.method == "POST" else history.preview_awards
    try:
        done = run(pack=pack, rows=rows, source=upload.name, row_numbers=numbers)
    except ValidationFailed as exc:
        # the action numbers rows 1, 2, 3… as given; the page names the file's rows
        errors = [dataclasses.replace(e, row=numbers[e.row - 1]) for e in exc.errors]
        problem = "" if errors else exc.detail
        status = 422
    except ActionError as exc:
        problem, status = exc.detail, exc.status
    if request.method == "POST" and done is not None:
        drop_upload(request, kind=SESSION_AWARD_UPLOADS, upload=upload)
        messages.success(
            request,
            _("%(name)s: %(created)s awards imported, %(unchanged)s already recorded.")
            % {"name": upload.name, "created": len(done.created), "unchanged": done.unchanged},
        )
        return redirect("titles:awards-import")
    return render(
        request,
        "titles/awards_preview.html",
        {
            "pack": pack,
            "upload": upload,
            "rows": len(rows),
            "errors": errors,
            "bad_rows": len({e.row for e in errors}),
            "problem": problem,
            "done": done,
            "shown": done.created[:PREVIEW_AWARDS] if done else [],
        },
        status=status,
    )


@login_required
@require_POST
def award_decision(request: HttpRequest, award_id: int) -> HttpResponse:
    """Record the awarding body's decision on an award (the award page's form; with htmx the
    decision section alone is answered)."""
    award = get_object_or_404(
        Award.objects.select_related("title", "unit", "movement"), pk=award_id
    )
    require(current_actor(), Capability.VIEW, award.unit, award.movement)
    require(current_actor(), Capability.ORGANISE, award.unit, award.movement)
    form = DecisionForm(request.POST)
    decision = None
    if form.is_valid():
        try:
            decision = history.record_decision(award=award, **form.cleaned_data)
        except ActionError as exc:
            add_row_errors(form, exc.errors)
            if not exc.errors:
                form.add_error(None, exc.detail)
    if decision is not None and not request.htmx:
        messages.success(request, _("The decision is recorded: the award is final."))
        return redirect("titles:award", award.pk)
    if not request.htmx:
        messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
        return redirect("titles:award", award.pk)
    return render(
        request,
        "titles/award_detail.html#decision",
        {
            "award": award,
            "decision": decision,
            "decision_form": form,
            "may_organise": True,
            "saved": decision is not None,
        },
    )  # 200 with the errors beside the fields too: htmx swaps only a 2xx answer
