"""Title pages: rule packs (load, edit, export), a title's rules and evaluation runs, a run's
candidates with the cap and ranking, a candidate's explanation, nominations and votes, awards
with their certificate and revocation, recorded facts, and the public verification page."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import Capability, can, current_actor, require, unit_filter
from pacesetter.core.errors import ActionError, ValidationFailed
from pacesetter.core.pages import add_row_errors
from pacesetter.core.pagination import slice_of, wants_more
from pacesetter.core.tabular import TabularError
from pacesetter.units.models import Member, Unit

from . import actions, selectors
from . import revocation as revoking
from .access import nomination_or_404, require_organiser, run_or_404
from .certificates import certificate_pdf
from .files import read_fact_rows
from .forms import DecisionForm, FactForm, FactsUploadForm, PackForm, RevokeForm, RunForm
from .history import require_final
from .models import Award, Candidate, Nomination, RulePack, Title

PACKS_DIR = Path(__file__).resolve().parent / "packs"
# Long lists a slice at a time with "Show more": evaluations and awards newest first,
# nominations in the order they were made, candidates by outcome and rank.
LIST_SLICE = 20
CANDIDATES_SLICE = 50


def shipped_packs() -> list[tuple[str, str]]:
    return [(path.stem, path.read_text()) for path in sorted(PACKS_DIR.glob("*.yaml"))]


def _may_organise_somewhere() -> bool:
    return bool(current_actor().paths(Capability.ORGANISE))


@login_required
def pack_list(request: HttpRequest) -> HttpResponse:
    actor = current_actor()
    may_organise = bool(actor.paths(Capability.ORGANISE))
    form = PackForm()
    if request.method == "POST":
        require_organiser()
        form = PackForm(request.POST)
        shipped = request.POST.get("shipped")
        if shipped:
            text = dict(shipped_packs()).get(shipped)
            if text is None:
                raise Http404("No such shipped pack.")
            form = PackForm({"text": text})
        if form.is_valid():
            try:
                revision = actions.load_pack(text=form.cleaned_data["text"])
            except ValidationFailed as exc:
                form.problems = exc.errors
            else:
                messages.success(
                    request, f"Loaded {revision.pack.name}, revision {revision.number}."
                )
                return redirect("titles:pack", revision.pack.slug)
    return render(
        request,
        "titles/pack_list.html",
        {
            "packs": list(selectors.packs()),
            "shipped": [name for name, _ in shipped_packs()],
            "form": form,
            "may_organise": may_organise,
        },
    )


@login_required
def pack_detail(request: HttpRequest, slug: str) -> HttpResponse:
    actor = current_actor()
    pack = get_object_or_404(RulePack.objects.select_related("current"), slug=slug)
    form = PackForm(initial={"text": pack.current.text if pack.current else ""})
    if request.method == "POST":
        require_organiser()
        form = PackForm(request.POST)
        if form.is_valid():
            try:
                revision = actions.load_pack(text=form.cleaned_data["text"])
            except ValidationFailed as exc:
                form.problems = exc.errors
            else:
                if revision.pack_id != pack.pk:
                    messages.success(request, f"Loaded as another pack: {revision.pack.name}.")
                else:
                    messages.success(request, f"Saved revision {revision.number}.")
                return redirect("titles:pack", revision.pack.slug)
    rules = selectors.parsed(pack.current) if pack.current else None
    return render(
        request,
        "titles/pack_detail.html",
        {
            "pack": pack,
            "rules": rules,
            "titles": selectors.titles_of(pack),
            "revisions": list(pack.revisions.defer("text").order_by("-number")[:20]),
            "language": (PACKS_DIR / "README.md").read_text(),
            "form": form,
            "may_organise": bool(actor.paths(Capability.ORGANISE)),
        },
    )


@login_required
def pack_export(request: HttpRequest, slug: str) -> HttpResponse:
    pack = get_object_or_404(RulePack.objects.select_related("current"), slug=slug)
    if pack.current is None:
        raise Http404("This pack has no text.")
    response = HttpResponse(pack.current.text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{pack.slug}-r{pack.current.number}.yaml"'
    )
    return response


def _title(slug: str, code: str) -> Title:
    return get_object_or_404(
        Title.objects.select_related("pack__current"), pack__slug=slug, code=code
    )


@login_required
def title_detail(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    actor = current_actor()
    title = _title(slug, code)
    rule = selectors.parsed(title.pack.current).title(title.code) if title.pack.current else None
    per_period = rule is not None and rule.per_period
    form = RunForm(initial={"year": timezone.localdate().year - 1}, per_period=per_period)
    if request.method == "POST":
        form = RunForm(request.POST, per_period=per_period)
        if form.is_valid():
            scope = form.cleaned_data["scope"]
            movement = form.cleaned_data["movement"]
            require(actor, Capability.ORGANISE, scope, movement)
            try:
                run = actions.run_evaluation(
                    title=title,
                    year=form.cleaned_data.get("year"),
                    scope=scope,
                    movement=movement,
                    period=form.cleaned_data.get("period"),
                )
            except ActionError as exc:
                form.add_error(None, exc.detail)
            else:
                return redirect("titles:run", run.pk)
    fetch = {
        "runs": lambda offset, limit: selectors.runs_of(
            title, unit_filter(actor, Capability.VIEW, field="scope")
        )[offset : offset + limit],
        "awards": lambda offset, limit: selectors.awards_of(
            title, unit_filter(actor, Capability.VIEW), offset=offset, limit=limit
        ),
    }
    for param, partial in (("runs", "run-rows"), ("awards", "award-items")):
        if wants_more(request, param):
            shown = slice_of(request, fetch[param], param=param, size=LIST_SLICE)
            return render(request, f"titles/title_detail.html#{partial}", {param: shown})
    runs = slice_of(request, fetch["runs"], param="runs", size=LIST_SLICE)
    awards = slice_of(request, fetch["awards"], param="awards", size=LIST_SLICE)
    return render(
        request,
        "titles/title_detail.html",
        {
            "title": title,
            "rule": rule,
            "form": form,
            "runs": runs,
            "awards": awards,
            "may_organise": bool(actor.paths(Capability.ORGANISE)),
        },
    )


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = current_actor()
    run = run_or_404(run_id)
    show = request.GET.get("show", "all")
    show = show if show in ("all", "eligible", "not_eligible", "close") else "all"
    rule, version = selectors.rule_of(run)
    candidates = slice_of(
        request,
        lambda offset, limit: selectors.candidates_of(run, show=show, offset=offset, limit=limit),
        param="candidates",
        size=CANDIDATES_SLICE,
    )
    if wants_more(request, "candidates"):
        return render(request, "titles/run_detail.html#candidate-rows", {"candidates": candidates})
    nominations = slice_of(
        request,
        lambda offset, limit: selectors.nominations_of(run, offset=offset, limit=limit),
        param="nominations",
        size=LIST_SLICE,
    )
    voted = set(
        Nomination.objects.filter(
            candidate__run=run, votes__voter_id=getattr(actor.user, "pk", None)
        ).values_list("pk", flat=True)
    )
    # The next nominations need the same votes and rights as the page: only the rows are sent.
    partial = "#nomination-rows" if wants_more(request, "nominations") else ""
    return render(
        request,
        f"titles/run_detail.html{partial}",
        {
            "run": run,
            "rule": rule,
            "version": version,
            "show": show,
            "candidates": candidates,
            "nominations": nominations,
            "voted": voted,
            "may_organise": can(actor, Capability.ORGANISE, run.scope, run.movement),
            "may_vote": can(actor, Capability.VOTE, run.scope, run.movement),
            **run.results.filter(nomination__isnull=True, award__isnull=True).aggregate(
                unnominated=Count("pk", filter=Q(selected=True)),
                competing=Count("pk", filter=Q(eligible=True, competing_for__isnull=False)),
            ),
        },
    )


@login_required
@require_POST
def run_nominate(request: HttpRequest, run_id: int) -> HttpResponse:
    run = run_or_404(run_id, Capability.ORGANISE)
    _, version = selectors.rule_of(run)
    # One candidate (from its page): the council or awarding body's choice among those
    # competing for the places of a cap without an order.
    picked = request.POST.get("candidate", "")
    chosen = run.results.filter(pk=int(picked)).first() if picked.isdigit() else None
    try:
        if chosen is not None and version.vote is None:
            award = actions.award_without_vote(candidate=chosen)
            messages.success(request, f"{chosen}: awarded ({award.code}).")
        elif chosen is not None:
            actions.nominate(run=run, candidates=[chosen])
            messages.success(request, f"{chosen}: nominated to the council.")
        elif version.vote is None:
            awarded = [
                actions.award_without_vote(candidate=c)
                for c in run.results.filter(selected=True, award__isnull=True)
            ]
            messages.success(request, f"Awarded {len(awarded)} (this title needs no council vote).")
        else:
            made = actions.nominate(run=run)
            messages.success(request, f"Nominated {len(made)} to the council.")
    except ActionError as exc:
        messages.error(request, exc.detail)
    return redirect("titles:run", run.pk)


@login_required
@require_POST
def vote(request: HttpRequest, nomination_id: int) -> HttpResponse:
    nomination = nomination_or_404(nomination_id, Capability.VOTE)
    run = nomination.candidate.run
    try:
        actions.cast_vote(nomination=nomination, choice=request.POST.get("choice", ""))
        messages.success(request, f"Your vote on {nomination.candidate} is recorded.")
    except ActionError as exc:
        messages.error(request, exc.detail)
    if request.POST.get("back") == "dossier":  # voted from the nomination's dossier page
        return redirect("titles:dossier", nomination.pk)
    return redirect("titles:run", run.pk)


@login_required
@require_POST
def decide(request: HttpRequest, nomination_id: int) -> HttpResponse:
    nomination = nomination_or_404(nomination_id, Capability.ORGANISE)
    run = nomination.candidate.run
    try:
        decided = actions.decide(nomination=nomination)
        messages.success(request, f"{nomination.candidate}: {decided.result}.")
    except ActionError as exc:
        messages.error(request, exc.detail)
    return redirect("titles:run", run.pk)


@login_required
def candidate_detail(request: HttpRequest, candidate_id: int) -> HttpResponse:
    candidate = get_object_or_404(
        Candidate.objects.select_related(
            "run__title__pack", "run__scope", "run__movement", "member", "unit"
        ),
        pk=candidate_id,
    )
    actor = current_actor()
    require(actor, Capability.VIEW, candidate.unit, candidate.run.movement)
    run = candidate.run
    # Competing for a place: the organiser puts this candidate forward (nominates, or awards
    # a title without a vote); the cap is kept at the award.
    forward = (
        candidate.competing_for is not None
        and can(actor, Capability.ORGANISE, run.scope, run.movement)
        and not Nomination.objects.filter(candidate=candidate).exists()
        and not Award.objects.filter(candidate=candidate).exists()
    )
    return render(
        request,
        "titles/candidate_detail.html",
        {
            "candidate": candidate,
            "run": run,
            "tree": candidate.explanation,
            "forward": forward,
            "needs_vote": forward and selectors.rule_of(run)[1].vote is not None,
        },
    )


def _award(award_id: int) -> Award:
    award = get_object_or_404(
        Award.objects.select_related(
            "title__pack",
            "member",
            "unit",
            "movement",
            "period",
            "revision__pack",
            "nomination",
            "decision",
            "imported_by",
        ),
        pk=award_id,
    )
    require(current_actor(), Capability.VIEW, award.unit, award.movement)
    return award


@login_required
def award_detail(request: HttpRequest, award_id: int) -> HttpResponse:
    actor = current_actor()
    award = _award(award_id)
    form = RevokeForm(initial={"revoked_on": timezone.localdate()})
    if request.method == "POST":
        require(actor, Capability.ORGANISE, award.unit, award.movement)
        form = RevokeForm(request.POST)
        if form.is_valid():
            try:
                made = revoking.revoke_award(
                    award=award,
                    reason=form.cleaned_data["reason"],
                    revoked_on=form.cleaned_data["revoked_on"],
                )
            except ActionError as exc:
                form.add_error(None, exc.detail)
            else:
                extra = (
                    f" and {len(made) - 1} award(s) that depended on it" if len(made) > 1 else ""
                )
                messages.success(request, f"Revoked {award.title_name} {award.year}{extra}.")
                return redirect("titles:award", award.pk)
    revocation = getattr(award, "revocation", None)
    return render(
        request,
        "titles/award_detail.html",
        {
            "award": award,
            "revocation": revocation,
            "caused": list(award.caused_revocations.select_related("award__member", "award__unit")),
            "form": form,
            "may_organise": can(actor, Capability.ORGANISE, award.unit, award.movement),
            "verify_url": request.build_absolute_uri(reverse("titles:verify", args=[award.code])),
            "decision": getattr(award, "decision", None),
            "decision_form": DecisionForm(initial={"awarding_body": award.awarding_body}),
        },
    )


@login_required
def certificate(request: HttpRequest, award_id: int) -> HttpResponse:
    award = _award(award_id)
    try:
        require_final(award)
    except ActionError as exc:
        messages.error(request, exc.detail)
        return redirect("titles:award", award.pk)
    verify_url = request.build_absolute_uri(reverse("titles:verify", args=[award.code]))
    response = HttpResponse(
        certificate_pdf(award, verify_url=verify_url), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="certificate-{award.code}.pdf"'
    return response


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding a certificate may check it; shows a revocation."""
    award = selectors.award_by_code(code)
    status = 200 if award is not None else 404
    return render(
        request,
        "titles/verify.html",
        {
            "award": award,
            "code": code,
            "revocation": getattr(award, "revocation", None) if award else None,
            "decision": getattr(award, "decision", None) if award else None,
        },
        status=status,
    )


@login_required
def member_facts(request: HttpRequest, member_id: int, year: int) -> HttpResponse:
    member = get_object_or_404(Member.objects.select_related("unit"), pk=member_id)
    require(current_actor(), Capability.VIEW, member.unit)
    return render(
        request,
        "titles/facts.html",
        {
            "subject": member,
            "unit": member.unit,
            "year": year,
            **selectors.subject_facts(member=member, year=year),
        },
    )


@login_required
def unit_facts(request: HttpRequest, unit_id: int, year: int) -> HttpResponse:
    unit = get_object_or_404(Unit, pk=unit_id)
    require(current_actor(), Capability.VIEW, unit)
    return render(
        request,
        "titles/facts.html",
        {
            "subject": unit,
            "unit": unit,
            "year": year,
            **selectors.subject_facts(unit=unit, year=year),
        },
    )


@login_required
def facts_upload(request: HttpRequest) -> HttpResponse:
    """Import facts from a CSV or XLSX file: every row checked, all recorded or none."""
    form = FactsUploadForm()
    problems = []
    if request.method == "POST":
        require_organiser()
        form = FactsUploadForm(request.POST, request.FILES)
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            upload = form.cleaned_data["file"]
            try:
                numbers, rows = _read_upload(upload, kind)
                count = actions.record_facts(
                    kind=kind, rows=rows, source=upload.name, row_numbers=numbers
                )
            except TabularError as exc:
                form.add_error("file", str(exc))
            except ValidationFailed as exc:
                form.add_error(None, exc.detail)
                # rows as the file numbers them (the header is row 1)
                problems = [dataclasses.replace(e, row=numbers[e.row - 1]) for e in exc.errors]
            else:
                messages.success(request, f"Recorded {count} {kind} from {upload.name}.")
                return redirect("titles:facts-upload")
    return render(
        request,
        "titles/facts_upload.html",
        {"form": form, "problems": problems, "columns": _column_help()},
    )


@login_required
def fact_entry(request: HttpRequest) -> HttpResponse:
    """One fact typed in a form: the same action as a file of one row (a member the reader
    cannot see is unknown, as in a file; one they see but may not organise is refused)."""
    form = FactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        row = form.row()
        try:
            actions.record_facts(
                kind=form.cleaned_data["kind"],
                rows=[row],
                source=f"form: {form.cleaned_data['source']}",
            )
        except ValidationFailed as exc:
            add_row_errors(form, exc.errors)
        else:
            messages.success(request, f"Recorded one {form.cleaned_data['kind']} fact.")
            return redirect("titles:fact-entry")
    return render(
        request, "titles/fact_entry.html", {"form": form}, status=422 if form.errors else 200
    )


def _column_help() -> list[tuple[str, str]]:
    return [
        (
            kind,
            ", ".join(
                ["member or unit", *required, *(f"[{o}]" for o in actions.FACT_OPTIONAL[kind])]
            ),
        )
        for kind, required in actions.FACT_KINDS.items()
    ]


def _read_upload(upload, kind: str) -> tuple[list[int], list[dict[str, str]]]:
    """The upload's rows, within the web upload limits (UPLOAD_MAX_BYTES, UPLOAD_MAX_ROWS) that
    every upload page keeps; larger files go through `pacesetter import-title-facts`."""
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise TabularError(
            f"The file has {upload.size:,} bytes; at most {settings.UPLOAD_MAX_BYTES:,} are "
            "accepted here. Split it, or use `pacesetter import-title-facts`."
        )
    suffix = Path(upload.name).suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        return read_fact_rows(
            Path(handle.name), kind, name=upload.name, max_rows=settings.UPLOAD_MAX_ROWS
        )
