"""The titles API: rule packs, facts, evaluation runs and their explanations, nominations,
votes, decisions, revocations, and certificate verification. Every write goes through
`titles.actions`."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from pacesetter.accounts.permissions import (
    Capability,
    can,
    current_actor,
    movement_filter,
    require,
)
from pacesetter.core.api_boundary import accept_uploads
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit

from . import actions, dossiers, history, revocation, selectors
from .access import nomination_or_404, require_organiser, run_or_404
from .dossier_views import attachment_response
from .facts import period_text
from .minutes import minutes_pdf
from .models import (
    Award,
    Candidate,
    EvaluationRun,
    Nomination,
    NominationAttachment,
    RulePack,
    Title,
)
from .schemas import (
    AttachmentOut,
    AwardsImportIn,
    AwardsImportOut,
    CandidateDetailOut,
    CandidateOut,
    DecisionIn,
    DecisionOut,
    FactsIn,
    FactsWritten,
    NominationOut,
    PackIn,
    PackOut,
    RevocationOut,
    RevokeIn,
    RunIn,
    RunOut,
    VerifyOut,
    VoteIn,
    WithdrawAttachmentIn,
)

router = Router(tags=["titles"])
# A nomination's documents arrive as files: the one multipart body of the titles API.
accept_uploads(r"/api/v1/titles/nominations/\d+/attachments")


def _pack_out(pack: RulePack) -> dict:
    return {
        "slug": pack.slug,
        "name": pack.name,
        "description": pack.description,
        "revision": pack.current.number if pack.current else None,
        "titles": list(pack.titles.all()),
    }


@router.get("/titles/packs", response={200: list[PackOut], **READ_REFUSALS})
def list_packs(request: HttpRequest):
    """The loaded rule packs and their titles."""
    return [_pack_out(pack) for pack in selectors.packs().prefetch_related("titles")]


@router.post("/titles/packs", response={201: PackOut, **WRITE_REFUSALS})
def load_pack(request: HttpRequest, payload: PackIn):
    """Load a pack (YAML or JSON). A new text of a known pack becomes its next revision; every
    problem is a row error whose `row` is the line of the text."""
    require_organiser()
    revision = actions.load_pack(text=payload.text)
    return Status(201, _pack_out(revision.pack))


@router.get("/titles/packs/{slug}/export", response={200: None, **READ_REFUSALS})
def export_pack(request: HttpRequest, slug: str):
    """The pack's current text, as loaded."""
    pack = get_object_or_404(RulePack.objects.select_related("current"), slug=slug)
    if pack.current is None:
        raise Http404("This pack has no text.")
    return HttpResponse(pack.current.text, content_type="application/yaml; charset=utf-8")


@router.post("/titles/facts/{kind}", response={201: FactsWritten, **WRITE_REFUSALS})
def record_facts(request: HttpRequest, kind: str, payload: FactsIn):
    """Record facts of one kind (evaluations, discipline, initiatives, judgements); every row
    is checked first and all are recorded or none."""
    return Status(
        201, {"recorded": actions.record_facts(kind=kind, rows=payload.rows, source=payload.source)}
    )


def _run_out(run: EvaluationRun) -> dict:
    return {
        "id": run.pk,
        "pack": run.title.pack.slug,
        "title": run.title.code,
        "year": run.year,
        "scope": run.scope.code,
        "movement": run.movement.slug if run.movement else None,
        "period": period_text(run.period) if run.period_id else None,
        "pack_revision": run.revision.number,
        "rule_version": run.rule_version,
        "candidates": run.candidates,
        "eligible": run.eligible,
        "selected": run.selected,
        "cap": [{**group, "group": str(group["group"])} for group in run.cap_summary],
        "seconds": str(run.seconds),
    }


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[RowError(1, field, message, "not_found")])


@router.post("/titles/runs", response={201: RunOut, **WRITE_REFUSALS})
def run_evaluation(request: HttpRequest, payload: RunIn):
    """Judge every candidate in the unit for the title and year; the cap and the ranking
    within it are applied."""
    actor = current_actor()
    title = (
        Title.objects.select_related("pack__current")
        .filter(pack__slug=payload.pack, code=payload.title)
        .first()
    )
    if title is None:
        raise _field_error("title", f"No title {payload.title!r} in pack {payload.pack!r}.")
    scope = Unit.objects.filter(code=payload.scope).first()
    if scope is None or not can(actor, Capability.VIEW, scope):
        # a unit the caller may not see is unknown to them, as in every body that names one
        raise _field_error("scope", f"No unit {payload.scope!r}.")
    movement = None
    if payload.movement:
        movement = Movement.objects.filter(movement_filter(actor), slug=payload.movement).first()
        if movement is None:
            raise _field_error("movement", f"No movement {payload.movement!r}.")
    period = None
    if payload.period:
        period = (
            movement.periods.filter(name=payload.period.strip(), is_whole=False).first()
            if movement
            else None
        )
        if period is None:
            raise _field_error("period", f"No period {payload.period!r} in the movement.")
    require(actor, Capability.ORGANISE, scope, movement)
    run = actions.run_evaluation(
        title=title, year=payload.year, scope=scope, movement=movement, period=period
    )
    return Status(201, _run_out(run))


@router.get("/titles/runs/{run_id}", response={200: RunOut, **READ_REFUSALS})
def get_run(request: HttpRequest, run_id: int):
    return _run_out(run_or_404(run_id))


def _candidate_out(candidate: Candidate) -> dict:
    return {
        "id": candidate.pk,
        "member": candidate.member.external_id if candidate.member_id else None,
        "name": str(candidate),
        "unit": candidate.unit.code,
        "eligible": candidate.eligible,
        "selected": candidate.selected,
        "position": candidate.position,
        "competing_for": candidate.competing_for,
        "why_not": candidate.why_not.splitlines(),
        "conditions": candidate.conditions,
        "conditions_missed": candidate.conditions_missed,
    }


@router.get("/titles/runs/{run_id}/candidates", response={200: list[CandidateOut], **READ_REFUSALS})
def list_candidates(
    request: HttpRequest,
    run_id: int,
    show: str = Query(
        "all",
        description="all, eligible, not_eligible, or close (not eligible, having met more "
        "than half of the conditions; the fewest missed first)",
    ),
    limit: int = Query(200, ge=1, le=1000),
):
    """Candidates, selected first then by their place in the ranking."""
    return [
        _candidate_out(c)
        for c in selectors.candidates_of(run_or_404(run_id), show=show, limit=limit)
    ]


@router.get(
    "/titles/candidates/{candidate_id}", response={200: CandidateDetailOut, **READ_REFUSALS}
)
def get_candidate(request: HttpRequest, candidate_id: int):
    """A candidate's whole explanation: every condition, the facts it used with links to the
    records behind them, pass or fail, and for a failure what was missed and by how much."""
    candidate = get_object_or_404(
        Candidate.objects.select_related("run__movement", "member", "unit"), pk=candidate_id
    )
    require(current_actor(), Capability.VIEW, candidate.unit, candidate.run.movement)
    return {
        **_candidate_out(candidate),
        "run": candidate.run_id,
        "explanation": candidate.explanation,
    }


def _nomination_out(nomination: Nomination) -> dict:
    counts = selectors.tally(nomination)
    award = Award.objects.filter(nomination=nomination).values_list("code", flat=True).first()
    return {
        "id": nomination.pk,
        "candidate": nomination.candidate_id,
        "status": nomination.status,
        "council_size": nomination.council_size,
        **counts,
        "result": nomination.result,
        "award": award,
    }


@router.post(
    "/titles/runs/{run_id}/nominations", response={201: list[NominationOut], **WRITE_REFUSALS}
)
def nominate(request: HttpRequest, run_id: int):
    """Nominate every selected candidate not yet nominated; the council is fixed now."""
    run = run_or_404(run_id, Capability.ORGANISE)
    return Status(201, [_nomination_out(n) for n in actions.nominate(run=run)])


@router.post("/titles/runs/{run_id}/awards", response={201: list[str], **WRITE_REFUSALS})
def award_selected(request: HttpRequest, run_id: int):
    """For a title that needs no council vote: award every selected candidate not yet awarded.
    Returns the verification codes."""
    run = run_or_404(run_id, Capability.ORGANISE)
    pending = run.results.filter(selected=True, award__isnull=True)
    return Status(201, [actions.award_without_vote(candidate=c).code for c in pending])


@router.post("/titles/candidates/{candidate_id}/award", response={201: str, **WRITE_REFUSALS})
def award_candidate(request: HttpRequest, candidate_id: int):
    """For a title that needs no council vote: the awarding body awards this candidate, one
    selected or competing for a place (refused, naming the cap, when no place is left).
    Returns the verification code."""
    candidate = get_object_or_404(
        Candidate.objects.select_related("member", "unit"), pk=candidate_id
    )
    candidate.run = run_or_404(candidate.run_id, Capability.ORGANISE)
    return Status(201, actions.award_without_vote(candidate=candidate).code)


@router.post(
    "/titles/nominations/{nomination_id}/votes", response={201: NominationOut, **WRITE_REFUSALS}
)
def vote(request: HttpRequest, nomination_id: int, payload: VoteIn):
    """Cast your vote (once) as a member of the nomination's council."""
    nomination = nomination_or_404(nomination_id, Capability.VOTE)
    actions.cast_vote(nomination=nomination, choice=payload.choice)
    return Status(201, _nomination_out(nomination))


@router.post(
    "/titles/nominations/{nomination_id}/decision", response={200: NominationOut, **WRITE_REFUSALS}
)
def decide(request: HttpRequest, nomination_id: int):
    """Close the vote: the result against the rule's threshold, and the award if carried."""
    nomination = nomination_or_404(nomination_id, Capability.ORGANISE)
    return _nomination_out(actions.decide(nomination=nomination))


def _attachment_out(attachment: NominationAttachment) -> dict:
    return {
        "id": attachment.pk,
        "nomination": attachment.nomination_id,
        "kind": attachment.kind,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "added_at": attachment.added_at,
        "added_by": attachment.added_by.username if attachment.added_by_id else None,
        "withdrawn_at": attachment.withdrawn_at,
        "withdrawal_reason": attachment.withdrawal_reason,
        "url": reverse("api:titles_attachment_file", args=[attachment.pk]),
    }


def _attachment_or_404(attachment_id: int, capability: Capability) -> NominationAttachment:
    attachment = get_object_or_404(
        NominationAttachment.objects.select_related("added_by"), pk=attachment_id
    )
    attachment.nomination = nomination_or_404(attachment.nomination_id, Capability.VIEW)
    if capability is not Capability.VIEW:
        run = attachment.nomination.candidate.run
        require(current_actor(), capability, run.scope, run.movement)
    return attachment


@router.get(
    "/titles/nominations/{nomination_id}/attachments",
    response={200: list[AttachmentOut], **READ_REFUSALS},
)
def list_attachments(request: HttpRequest, nomination_id: int):
    """The nomination's dossier: its documents in the order they came, withdrawn ones marked."""
    nomination = nomination_or_404(nomination_id, Capability.VIEW)
    return [_attachment_out(a) for a in selectors.attachments_of(nomination)]


@router.post(
    "/titles/nominations/{nomination_id}/attachments",
    response={201: AttachmentOut, **WRITE_REFUSALS},
)
def add_attachment(
    request: HttpRequest,
    nomination_id: int,
    kind: Form[str],
    file: File[UploadedFile],
):
    """Add a document to an open nomination's dossier (multipart: `kind` is `report` or
    `supporting`, `file` the document). PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS, judged by the
    content; at most TITLES_ATTACHMENT_MAX_BYTES."""
    nomination = nomination_or_404(nomination_id, Capability.ORGANISE)
    added = dossiers.add_attachment(
        nomination=nomination, kind=kind, name=file.name or "", content=file, size=file.size
    )
    return Status(201, _attachment_out(added))


@router.get(
    "/titles/attachments/{attachment_id}",
    response={200: None, **READ_REFUSALS},
    url_name="titles_attachment_file",
)
def attachment_file(request: HttpRequest, attachment_id: int):
    """The document itself, as a download, for those who may see its nomination."""
    return attachment_response(_attachment_or_404(attachment_id, Capability.VIEW))


@router.post(
    "/titles/attachments/{attachment_id}/withdrawal",
    response={200: AttachmentOut, **WRITE_REFUSALS},
)
def withdraw_attachment(request: HttpRequest, attachment_id: int, payload: WithdrawAttachmentIn):
    """Withdraw a document from an open dossier, with the reason; the record stays, marked."""
    attachment = _attachment_or_404(attachment_id, Capability.ORGANISE)
    return _attachment_out(
        dossiers.withdraw_attachment(attachment=attachment, reason=payload.reason)
    )


@router.get("/titles/runs/{run_id}/minutes", response={200: None, **READ_REFUSALS})
def run_minutes(request: HttpRequest, run_id: int):
    """The council's minutes of the run as a PDF, from the recorded votes."""
    run = run_or_404(run_id)
    response = HttpResponse(minutes_pdf(run), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="minutes-{run.pk}.pdf"'
    return response


@router.post(
    "/titles/awards/import", response={200: AwardsImportOut, 201: AwardsImportOut, **WRITE_REFUSALS}
)
def import_awards(request: HttpRequest, payload: AwardsImportIn):
    """Import a body's past awards (decided before it used Pacesetter): every row is checked
    first and all are imported or none; the same award imported again is left as it is.
    With `dry_run` the answer says what would be imported (200) and nothing is kept."""
    pack = RulePack.objects.select_related("current").filter(slug=payload.pack).first()
    if pack is None:
        raise _field_error("pack", f"No rule pack {payload.pack!r}.")
    run = history.preview_awards if payload.dry_run else history.import_awards
    done = run(pack=pack, rows=payload.rows, source=payload.source)
    answer = {
        "created": done.created,
        "unchanged": done.unchanged,
        "codes": done.codes,
        "dry_run": payload.dry_run,
    }
    return Status(200 if payload.dry_run else 201, answer)


def _decision_out(decision) -> dict | None:
    if decision is None:
        return None
    return {
        "number": decision.number,
        "decided_on": decision.decided_on,
        "awarding_body": decision.awarding_body,
        "signer_name": decision.signer_name,
        "signer_position": decision.signer_position,
    }


@router.post("/titles/awards/{code}/decision", response={201: DecisionOut, **WRITE_REFUSALS})
def record_decision(request: HttpRequest, code: str, payload: DecisionIn):
    """Record the awarding body's decision (number, date, awarding body, signer's name and
    position), which makes the award final: its certificate is issued from then on."""
    award = selectors.award_by_code(code)
    if award is None:
        raise Http404(f"No award {code!r}.")
    require(current_actor(), Capability.ORGANISE, award.unit, award.movement)
    decision = history.record_decision(award=award, **payload.dict())
    return Status(201, _decision_out(decision))


@router.post(
    "/titles/awards/{code}/revocation", response={201: list[RevocationOut], **WRITE_REFUSALS}
)
def revoke(request: HttpRequest, code: str, payload: RevokeIn):
    """Revoke an award by its code; awards that depended on it are judged again and revoked
    when they no longer qualify. Returns every revocation made."""
    award = selectors.award_by_code(code)
    if award is None:
        raise Http404(f"No award {code!r}.")
    require(current_actor(), Capability.ORGANISE, award.unit, award.movement)
    made = revocation.revoke_award(
        award=award, reason=payload.reason, revoked_on=payload.revoked_on
    )
    return Status(
        201,
        [
            {
                "award": r.award.code,
                "title": r.award.title_name,
                "holder": str(r.award.subject),
                "reason": r.reason,
                "revoked_on": r.revoked_on,
            }
            for r in made
        ],
    )


@router.get("/titles/verify/{code}", response={200: VerifyOut, 404: None}, auth=None)
def verify(request: HttpRequest, code: str):
    """Public: check a certificate's code; says if it was revoked."""
    award = selectors.award_by_code(code)
    if award is None:
        raise Http404(f"No certificate {code!r}.")
    revocation = getattr(award, "revocation", None)
    decision = getattr(award, "decision", None)
    return {
        "code": award.code,
        "valid": revocation is None and decision is not None,
        "final": decision is not None,
        "imported": award.is_imported,
        "decision": _decision_out(decision),
        "title": award.title_name,
        "holder": award.member.full_name if award.member_id else award.unit.name,
        "unit": award.unit.name,
        "year": award.year,
        "movement": award.movement.title if award.movement else None,
        "period": period_text(award.period) if award.period_id else None,
        "awarded_on": award.awarded_on,
        "awarding_body": award.awarding_body,
        "rule_version": award.rule_version,
        "revoked_on": revocation.revoked_on if revocation else None,
        "revocation_reason": revocation.reason if revocation else None,
    }
