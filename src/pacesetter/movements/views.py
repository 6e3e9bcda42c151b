"""The organiser's pages: call a movement, give it indicators, periods and plans (typed in or
from a file), launch it, close it. Every change goes through `movements.actions`; an organiser
never needs the admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import (
    Capability,
    current_actor,
    require,
    require_on_movement,
)
from pacesetter.core.errors import ActionError, RowError, ValidationFailed
from pacesetter.core.pages import add_row_errors
from pacesetter.core.pagination import slice_of, wants_more
from pacesetter.core.tabular import TabularError
from pacesetter.core.uploads import drop_upload, keep_upload, refusal, stored_upload
from pacesetter.units.models import Unit, tree_order

from . import actions, plan_files
from .actions import PlanRow
from .forms import (
    GeneratePeriodsForm,
    IndicatorForm,
    MovementForm,
    PeriodForm,
    PlanForm,
    PlanUploadForm,
    VerifiedOnlyForm,
)
from .models import Movement, Plan
from .plan_files import PLAN_OPTIONAL, PLAN_REQUIRED, plan_rows

# The plans in the tree's order, a slice at a time with "Show more" (300 counties' plans
# were one long table).
PLANS_SHOWN = 50


@login_required
def movement_create(request: HttpRequest) -> HttpResponse:
    """Call a movement: a draft with its whole period, then set up on its organiser page."""
    actor = current_actor()
    if not actor.paths(Capability.ORGANISE):
        raise Http404("Only organisers call movements.")
    form = MovementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        units = {
            unit.code: unit
            for unit in Unit.objects.filter(code__in=[data["organiser"], *form.scope_codes()])
        }
        organiser = units.get(data["organiser"])
        scope = [units.get(code) for code in form.scope_codes()]
        if organiser is None:
            form.add_error("organiser", f"No unit with code {data['organiser']!r}.")
        missing = [code for code, unit in zip(form.scope_codes(), scope, strict=True) if not unit]
        if missing:
            form.add_error("scope", f"No unit with code {', '.join(missing)}.")
        if not form.errors:
            try:
                for unit in [organiser, *scope]:
                    require(actor, Capability.ORGANISE, unit)
                movement = actions.create_movement(
                    title=data["title"],
                    slug=data["slug"] or None,
                    call_text=data["call_text"],
                    organiser=organiser,
                    scope=scope,
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    time_zone=data["time_zone"].strip(),
                    is_public=data["is_public"],
                    rank_on_verified=data["rank_on_verified"],
                    titles_on_verified=data["titles_on_verified"],
                    created_by=request.user,
                )
            except Http404:
                form.add_error("organiser", "You may not organise in one of these units.")
            except ActionError as exc:
                add_row_errors(form, exc.errors)
                if not exc.errors or exc.status == 403:
                    form.add_error(None, exc.detail)
            else:
                messages.success(
                    request,
                    f"{movement.title} is called, as a draft. Add its indicators, periods and "
                    "plans, then launch it.",
                )
                return redirect("movement-organise", slug=movement.slug)
    return render(
        request,
        "movements/create.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _organised(slug: str) -> tuple[Movement, list[str]]:
    """The movement, if the actor may organise all of its scope (404 / 403 otherwise)."""
    movement = get_object_or_404(Movement.objects.select_related("organiser"), slug=slug)
    scope_paths = list(movement.scope.values_list("path", flat=True)) or [movement.organiser.path]
    require_on_movement(current_actor(), Capability.ORGANISE, movement, scope_paths)
    return movement, scope_paths


def _organise_page(
    request: HttpRequest, movement: Movement, status: int = 200, **forms
) -> HttpResponse:
    plans = slice_of(
        request,
        lambda offset, limit: (
            Plan.objects.filter(indicator__movement=movement)
            .select_related("unit", "indicator", "period")
            .order_by("indicator__position", "period__starts_on", "unit__path")[
                offset : offset + limit
            ]
        ),
        param="plans",
        size=PLANS_SHOWN,
        path=reverse("movement-organise", args=[movement.slug]),
    )
    if request.method == "GET" and wants_more(request, "plans"):
        return render(request, "movements/organise.html#plan-rows", {"plans": plans})
    context = {
        "movement": movement,
        "scope": list(movement.scope.order_by(tree_order())),
        "indicators": list(movement.indicators.all()),
        "periods": list(movement.periods.all()),
        "plans": plans,
        "plan_count": Plan.objects.filter(indicator__movement=movement).count(),
        "is_draft": movement.status == Movement.Status.DRAFT,
        "is_launched": movement.status == Movement.Status.LAUNCHED,
        "indicator_form": forms.get("indicator_form")
        or IndicatorForm(initial={"aggregation": "sum", "direction": "more"}),
        "period_form": forms.get("period_form") or PeriodForm(),
        "generate_form": forms.get("generate_form") or GeneratePeriodsForm(),
        "plan_form": forms.get("plan_form") or PlanForm(movement=movement),
        "upload_form": forms.get("upload_form") or PlanUploadForm(),
        "verified_form": forms.get("verified_form")
        or VerifiedOnlyForm(
            initial={
                "rank_on_verified": movement.rank_on_verified,
                "titles_on_verified": movement.titles_on_verified,
            }
        ),
        "plan_columns": [*PLAN_REQUIRED, *PLAN_OPTIONAL],
    }
    return render(request, "movements/organise.html", context, status=status)


@login_required
def movement_organise(request: HttpRequest, slug: str) -> HttpResponse:
    movement, _ = _organised(slug)
    return _organise_page(request, movement)


def _back(movement: Movement, anchor: str) -> HttpResponse:
    return redirect(reverse("movement-organise", args=[movement.slug]) + f"#{anchor}")


def _acted(form, act) -> tuple[bool, object]:
    """Run `act(cleaned data)` for a valid form: (True, its result), or (False, None) with the
    action's refusals put beside the fields they name."""
    if form.is_valid():
        try:
            return True, act(form.cleaned_data)
        except ActionError as exc:
            add_row_errors(form, exc.errors)
            if not exc.errors:
                form.add_error(None, exc.detail)
    return False, None


def _apply(request, movement, form, *, act, done, anchor: str, form_name: str) -> HttpResponse:
    """Run `act(cleaned data)` for a valid form: on success say `done(result)` and go back to
    the page's section; otherwise show the page again, the errors beside their fields."""
    ok, result = _acted(form, act)
    if ok:
        messages.success(request, done(result))
        return _back(movement, anchor)
    return _organise_page(request, movement, 422, **{form_name: form})


@login_required
@require_POST
def verified_only_set(request: HttpRequest, slug: str) -> HttpResponse:
    """Rank and judge titles on verified figures only, or on all of them."""
    movement, _ = _organised(slug)
    return _apply(
        request,
        movement,
        VerifiedOnlyForm(request.POST),
        act=lambda data: actions.update_movement(movement=movement, **data),
        done=lambda changed: gettext("Rankings on {ranks}, titles on {titles} figures.").format(
            ranks=gettext("verified") if changed.rank_on_verified else gettext("all"),
            titles=gettext("verified") if changed.titles_on_verified else gettext("all"),
        ),
        anchor="verified-only",
        form_name="verified_form",
    )


@login_required
@require_POST
def indicator_add(request: HttpRequest, slug: str) -> HttpResponse:
    movement, _ = _organised(slug)
    return _apply(
        request,
        movement,
        IndicatorForm(request.POST),
        act=lambda data: actions.add_indicator(movement=movement, **data),
        done=lambda indicator: f"Indicator {indicator.name} added.",
        anchor="indicators",
        form_name="indicator_form",
    )


def _periods_answer(
    request: HttpRequest, movement: Movement, form, *, act, done, form_name: str
) -> HttpResponse:
    """The periods forms: a plain POST goes back to the page (or shows it with the errors);
    with htmx the periods panel is swapped in place, errors inside it (htmx swaps only
    successful answers, so those come with 200)."""
    if not request.htmx:
        return _apply(
            request, movement, form, act=act, done=done, anchor="periods", form_name=form_name
        )
    ok, result = _acted(form, act)
    context = {
        "movement": movement,
        "periods": list(movement.periods.all()),
        "is_draft": movement.status == Movement.Status.DRAFT,
        "period_form": PeriodForm(),
        "generate_form": GeneratePeriodsForm(),
        "periods_saved": done(result) if ok else "",
    }
    if not ok:
        context[form_name] = form
    return render(request, "movements/organise.html#periods-panel", context)


@login_required
@require_POST
def period_add(request: HttpRequest, slug: str) -> HttpResponse:
    movement, _ = _organised(slug)
    return _periods_answer(
        request,
        movement,
        PeriodForm(request.POST),
        act=lambda data: actions.add_period(movement=movement, **data),
        done=lambda period: gettext("Period %(name)s added.") % {"name": period.name},
        form_name="period_form",
    )


def _generated(generated: actions.GeneratedPeriods) -> str:
    added, kept = len(generated.created), len(generated.periods) - len(generated.created)
    message = ngettext("%(count)d period added", "%(count)d periods added", added) % {
        "count": added
    }
    if kept:
        message += ngettext(
            "; %(count)d was there already", "; %(count)d were there already", kept
        ) % {"count": kept}
    return message + "."


@login_required
@require_POST
def periods_generate(request: HttpRequest, slug: str) -> HttpResponse:
    movement, _ = _organised(slug)
    return _periods_answer(
        request,
        movement,
        GeneratePeriodsForm(request.POST),
        act=lambda data: actions.generate_periods(movement=movement, **data),
        done=_generated,
        form_name="generate_form",
    )


@login_required
@require_POST
def periods_monthly(request: HttpRequest, slug: str) -> HttpResponse:
    """One period per month (the page now offers any length through `periods_generate`)."""
    movement, _ = _organised(slug)
    try:
        generated = actions.generate_periods(movement=movement, every="month")
    except ActionError as exc:
        messages.error(request, "; ".join(e.message for e in exc.errors) or exc.detail)
    else:
        messages.success(request, _generated(generated))
    return _back(movement, "periods")


@login_required
@require_POST
def plan_set(request: HttpRequest, slug: str) -> HttpResponse:
    movement, _ = _organised(slug)
    form = PlanForm(request.POST, movement=movement)
    return _apply(
        request,
        movement,
        form,
        act=lambda data: actions.set_plans(movement=movement, rows=[form.plan_row()]),
        done=lambda _: f"Plan of {form.cleaned_data['unit_code']} saved.",
        anchor="plans",
        form_name="plan_form",
    )


SESSION_PLAN_UPLOADS = "plan_uploads"  # upload token → {movement, name, suffix}
PREVIEW_CHANGES = 200


@login_required
@require_POST
def plans_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """A CSV or XLSX file of plans, kept until its preview is confirmed."""
    movement, _ = _organised(slug)
    form = PlanUploadForm(request.POST, request.FILES)
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        refused = refusal(uploaded)
        if refused:
            form.add_error("file", refused)
        else:
            token = keep_upload(
                request, kind=SESSION_PLAN_UPLOADS, movement_id=movement.pk, uploaded=uploaded
            )
            return redirect("movement-plans-preview", slug=movement.slug, token=token)
    return _organise_page(request, movement, 422, upload_form=form)


def _file_errors(exc: ValidationFailed, numbered: list[tuple[int, PlanRow]]) -> list[RowError]:
    """The action numbers rows 1, 2, 3… as given; the page names the file's rows."""
    return [
        RowError(numbered[e.row - 1][0], e.field, e.message, e.code)
        if 1 <= e.row <= len(numbered)
        else e
        for e in exc.errors
    ]


@login_required
def plans_preview(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET: every bad row of the file, or the plans it creates and changes (before → after).
    POST: confirm — set every plan or none."""
    movement, _ = _organised(slug)
    upload = stored_upload(request, kind=SESSION_PLAN_UPLOADS, movement_id=movement.pk, token=token)
    try:
        numbered = plan_rows(upload.path, movement, max_rows=settings.UPLOAD_MAX_ROWS)
    except TabularError as exc:
        drop_upload(request, kind=SESSION_PLAN_UPLOADS, upload=upload)
        messages.error(request, f"{upload.name}: {str(exc).replace(upload.path.name, upload.name)}")
        return _back(movement, "plans")
    rows = [row for _, row in numbered]
    errors: list[RowError] = []
    problem = ""
    status = 200
    changes = None
    try:
        changes = plan_files.apply_plans(
            movement=movement,
            rows=rows,
            dry_run=request.method != "POST",
            row_numbers=[number for number, _ in numbered],
        )
    except ValidationFailed as exc:
        errors, status = _file_errors(exc, numbered), 422
    except ActionError as exc:
        problem, status = exc.detail, 422
    if request.method == "POST" and changes is not None:
        drop_upload(request, kind=SESSION_PLAN_UPLOADS, upload=upload)
        messages.success(
            request,
            f"{upload.name}: {len(changes.created)} plans created, {len(changes.changed)} changed, "
            f"{changes.unchanged} as they were.",
        )
        return _back(movement, "plans")
    return render(
        request,
        "movements/plans_preview.html",
        {
            "movement": movement,
            "upload": upload,
            "rows": len(rows),
            "errors": errors,
            "bad_rows": len({e.row for e in errors}),
            "problem": problem,
            "changes": changes,
            "shown": ([*changes.created, *changes.changed][:PREVIEW_CHANGES] if changes else []),
        },
        status=status,
    )


@login_required
def plans_template(request: HttpRequest, slug: str) -> HttpResponse:
    movement, _ = _organised(slug)
    response = HttpResponse(
        ",".join([*PLAN_REQUIRED, *PLAN_OPTIONAL]) + "\r\n", content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{movement.slug}-plans.csv"'
    return response


@login_required
@require_POST
def movement_launch(request: HttpRequest, slug: str) -> HttpResponse:
    movement, _ = _organised(slug)
    try:
        actions.launch_movement(movement=movement)
    except ActionError as exc:
        messages.error(request, exc.detail)
        return _back(movement, "lifecycle")
    messages.success(request, f"{movement.title} is launched: reports are accepted from now on.")
    return redirect("movement-detail", slug=movement.slug)


@login_required
@require_POST
def movement_close(request: HttpRequest, slug: str) -> HttpResponse:
    movement, _ = _organised(slug)
    try:
        actions.close_movement(movement=movement)
    except ActionError as exc:
        messages.error(request, exc.detail)
        return _back(movement, "lifecycle")
    messages.success(request, f"{movement.title} is closed; its figures stay as they are.")
    return redirect("movement-detail", slug=movement.slug)
