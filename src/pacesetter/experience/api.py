"""The experience API: publish and list practices, adopt, withdraw, and a practice's
measured effect. Errors are problem+json like everywhere."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from pacesetter.accounts.permissions import Capability
from pacesetter.core.api_boundary import accept_uploads
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.files import stored_file_response
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.api import indicator_for_field, movement_or_404, period_for_field
from pacesetter.units.api import unit_for_field

from . import actions, domain, selectors
from .attachments import Upload
from .models import Adoption, Practice, PracticeAttachment, PracticeIndicator
from .schemas import (
    AdoptIn,
    AdoptionOut,
    AttachmentOut,
    EffectOut,
    PracticeIn,
    PracticeOut,
    WithdrawIn,
)

router = Router(tags=["experience"])
accept_uploads(r"/api/v1/practices/\d+/attachments")
CAVEAT = (
    "A comparison, not proof of cause: adopters' daily rate before and after adopting, "
    "against the units of their blocks that did not adopt over the same days."
)


def _practice_out(practice: Practice, adopted_by: int) -> dict:
    return {
        "id": practice.pk,
        "movement": practice.movement.slug,
        "unit": {"code": practice.unit.code, "name": practice.unit.name},
        "key": practice.key,
        "title": practice.title,
        "text": practice.text,
        "indicator": practice.indicator.code,
        "indicators": [i.code for i in selectors.indicators_of(practice)],
        "period": practice.period.name,
        "adapted_from": practice.adapted_from_id,
        "published_at": practice.published_at,
        "adopted_by": adopted_by,
    }


def _adoption_out(adoption: Adoption, withdrawn_on=None) -> dict:
    return {
        "id": adoption.pk,
        "practice": adoption.practice_id,
        "unit": {"code": adoption.unit.code, "name": adoption.unit.name},
        "adopted_on": adoption.adopted_on,
        "note": adoption.note,
        "withdrawn": adoption.withdrawn,
        "withdrawn_on": withdrawn_on,
    }


def _practice(practice_id: int) -> Practice:
    """A practice of a movement the caller may see (404 otherwise)."""
    practice = selectors.practice_or_none(practice_id)
    if practice is None:
        raise Http404("No such practice.")
    movement_or_404(practice.movement.slug)
    return practice


@router.get("/movements/{slug}/practices", response={200: list[PracticeOut], **READ_REFUSALS})
def list_practices(
    request: HttpRequest,
    slug: str,
    unit: str | None = Query(None, description="publishing unit's code"),
    indicator: str | None = Query(None, description="an indicator code it names"),
    adapted_from: int | None = Query(None, description="practices adapting this one"),
):
    """The movement's practices, most adopted first (at most 100)."""
    movement = movement_or_404(slug)
    found = selectors.practices_of(movement)
    if unit:
        found = found.filter(unit__code=unit)
    if indicator:
        found = found.filter(
            pk__in=PracticeIndicator.objects.filter(indicator__code=indicator).values("practice")
        )
    if adapted_from is not None:
        found = found.filter(adapted_from_id=adapted_from)
    return [
        _practice_out(p, p.adopted_by)
        for p in found.order_by("-adopted_by", "-published_at", "-pk")[: selectors.LIST_SIZE]
    ]


@router.post("/movements/{slug}/practices", response={201: PracticeOut, **WRITE_REFUSALS})
def create_practice(request: HttpRequest, slug: str, body: PracticeIn):
    """Publish a practice for a unit the caller plans for (unit head, organiser)."""
    movement = movement_or_404(slug)
    unit = unit_for_field(body.unit, field="unit", capability=Capability.PLAN)
    adapted_from = None
    if body.adapted_from is not None:
        adapted_from = Practice.objects.filter(pk=body.adapted_from, movement=movement).first()
        if adapted_from is None:
            raise ValidationFailed(
                "No such practice to adapt.",
                errors=[RowError(1, "adapted_from", "no such practice here", "not_found")],
            )
    practice = actions.publish_practice(
        movement=movement,
        unit=unit,
        title=body.title,
        text=body.text,
        indicator=indicator_for_field(movement, body.indicator) if body.indicator else None,
        indicators=[
            indicator_for_field(movement, code, field="indicators") for code in body.indicators
        ],
        period=period_for_field(movement, body.period),
        adapted_from=adapted_from,
        key=body.key,
    )
    return Status(201, _practice_out(_practice(practice.pk), 0))


@router.get("/practices/{practice_id}", response={200: PracticeOut, **READ_REFUSALS})
def practice_detail(request: HttpRequest, practice_id: int):
    practice = _practice(practice_id)
    return _practice_out(practice, len(selectors.standing_adoptions(practice)))


@router.post("/practices/{practice_id}/adoptions", response={201: AdoptionOut, **WRITE_REFUSALS})
def adopt(request: HttpRequest, practice_id: int, body: AdoptIn):
    """A unit the caller plans for adopts the practice."""
    practice = _practice(practice_id)
    unit = unit_for_field(body.unit, field="unit", capability=Capability.PLAN)
    adoption = actions.adopt_practice(
        practice=practice, unit=unit, adopted_on=body.adopted_on, note_text=body.note
    )
    return Status(201, _adoption_out(adoption))


@router.post("/adoptions/{adoption_id}/withdraw", response={200: AdoptionOut, **WRITE_REFUSALS})
def withdraw(request: HttpRequest, adoption_id: int, body: WithdrawIn):
    """Withdraw an adoption (an event recorded; the adoption is kept)."""
    adoption = Adoption.objects.select_related("unit", "practice").filter(pk=adoption_id).first()
    if adoption is None:
        raise Http404("No such adoption.")
    _practice(adoption.practice_id)
    withdrawal = actions.withdraw_adoption(
        adoption=adoption, withdrawn_on=body.withdrawn_on, reason=body.reason
    )
    return _adoption_out(adoption, withdrawal.withdrawn_on)


@router.get("/practices/{practice_id}/effect", response={200: EffectOut, **READ_REFUSALS})
def effect(
    request: HttpRequest,
    practice_id: int,
    days: int = Query(domain.DEFAULT_DAYS, ge=1, le=90, description="days before and after"),
    indicator: str | None = Query(None, description="indicator code; default: the lead"),
):
    """The difference-in-differences of the practice's standing adopters against the units
    of their blocks that did not adopt, on one of its indicators, with every number; none
    below 3 units a side."""
    practice = _practice(practice_id)
    chosen = practice.indicator
    if indicator:
        chosen = next((i for i in selectors.indicators_of(practice) if i.code == indicator), None)
        if chosen is None:
            raise ValidationFailed(
                "The practice does not name this indicator.",
                errors=[RowError(1, "indicator", "not one of the practice's", "not_found")],
            )
    measured = selectors.effect_of(
        practice, selectors.standing_adoptions(practice), days=days, indicator=chosen
    )
    return {"practice": practice.pk, "indicator": chosen.code, "caveat": CAVEAT, **vars(measured)}


def _attachment_out(attachment: PracticeAttachment) -> dict:
    return {
        "id": attachment.pk,
        "practice": attachment.practice_id,
        "name": attachment.name,
        "caption": attachment.caption,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "added_at": attachment.added_at,
    }


@router.get(
    "/practices/{practice_id}/attachments", response={200: list[AttachmentOut], **READ_REFUSALS}
)
def list_attachments(request: HttpRequest, practice_id: int):
    """The practice's pictures and PDFs, in the order they were added."""
    practice = _practice(practice_id)
    return [_attachment_out(a) for a in selectors.attachments_of(practice)]


@router.post(
    "/practices/{practice_id}/attachments", response={201: AttachmentOut, **WRITE_REFUSALS}
)
def add_attachment(
    request: HttpRequest,
    practice_id: int,
    file: File[UploadedFile],
    caption: Form[str] = "",
):
    """Add a picture (PNG, JPEG, WebP) or a PDF to a practice (multipart: `file`, optional
    `caption`), for who may publish for its unit. The type is judged by the content; at most
    PRACTICE_ATTACHMENT_MAX_BYTES."""
    practice = _practice(practice_id)
    upload = Upload(name=file.name or "", content=file, size=file.size, caption=caption)
    added = actions.add_attachments(practice=practice, attachments=[upload])
    return Status(201, _attachment_out(added[0]))


@router.get(
    "/practices/attachments/{attachment_id}",
    response={200: None, **READ_REFUSALS},
    url_name="practice_attachment_file",
)
def attachment_file(request: HttpRequest, attachment_id: int):
    """The file itself, for those who may see the practice's movement."""
    attachment = PracticeAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    _practice(attachment.practice_id)
    return stored_file_response(
        stored_as=attachment.stored_as,
        name=attachment.name,
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
    )
