"""The only write path of experience: publish a practice, adopt it, withdraw an adoption.
Each runs in a transaction and writes its audit row (`@audited`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError
from django.utils import timezone

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, ValidationFailed
from pacesetter.movements.models import Indicator, Movement, Period
from pacesetter.movements.selectors import movement_today, unit_in_movement
from pacesetter.units.models import Unit

from . import attachments as files
from .models import (
    Adoption,
    AdoptionWithdrawal,
    Practice,
    PracticeAttachment,
    PracticeIndicator,
)

TITLE_MAX = 200
TEXT_MAX = 20_000
KEY_MAX = 100


def _user():
    actor = current_actor()
    return actor.user if actor.is_authenticated and not actor.is_system else None


@audited("experience.publish_practice")
def publish_practice(
    *,
    movement: Movement,
    unit: Unit,
    title: str,
    text: str,
    period: Period,
    indicator: Indicator | None = None,
    indicators: Sequence[Indicator] = (),
    adapted_from: Practice | None = None,
    attachments: Sequence[files.Upload] = (),
    key: str = "",
) -> Practice:
    """`unit` publishes a practice that helped it over `period` on one or more indicators
    (`indicator`, then `indicators`, in that order; the first is the practice's lead), with
    its attachments (pictures, PDFs). Only someone who plans for the unit (its head, an
    organiser) may; nothing is created, and no file stored, on any error."""
    require(current_actor(), Capability.PLAN, unit, movement)
    errors: list[RowError] = []
    title, text = title.strip(), text.strip()
    if not title:
        errors.append(RowError(1, "title", "a title is required", "required"))
    elif len(title) > TITLE_MAX:
        errors.append(RowError(1, "title", f"at most {TITLE_MAX} characters", "too_long"))
    if not text:
        errors.append(RowError(1, "text", "describe the practice", "required"))
    elif len(text) > TEXT_MAX:
        errors.append(RowError(1, "text", f"at most {TEXT_MAX} characters", "too_long"))
    named = list(dict.fromkeys([*([indicator] if indicator is not None else []), *indicators]))
    if not named:
        errors.append(RowError(1, "indicators", "name the indicator it helped on", "required"))
    for other in named:
        if other.movement_id != movement.pk:
            message = f"{other.code} is not an indicator of this movement"
            field = "indicator" if other == indicator else "indicators"
            errors.append(RowError(1, field, message, "invalid"))
    if period.movement_id != movement.pk:
        errors.append(RowError(1, "period", "not a period of this movement", "invalid"))
    if adapted_from is not None and adapted_from.movement_id != movement.pk:
        errors.append(RowError(1, "adapted_from", "a practice of another movement", "invalid"))
    if not unit_in_movement(unit=unit, movement=movement):
        errors.append(RowError(1, "unit", "outside the movement's scope", "out_of_scope"))
    key = key.strip()
    if len(key) > KEY_MAX:
        errors.append(RowError(1, "key", f"at most {KEY_MAX} characters", "too_long"))
    elif key and Practice.objects.filter(movement=movement, key=key).exists():
        errors.append(RowError(1, "key", f"{key!r} names another practice here", "duplicate"))
    checked = _check_files(attachments, field="attachments", errors=errors)
    if errors:
        raise ValidationFailed("The practice is not valid; nothing was published.", errors=errors)
    practice = Practice.objects.create(
        movement=movement,
        unit=unit,
        key=key,
        title=title,
        text=text,
        indicator=named[0],
        period=period,
        adapted_from=adapted_from,
        published_by=_user(),
        published_at=timezone.now(),
    )
    PracticeIndicator.objects.bulk_create(
        PracticeIndicator(practice=practice, indicator=one, position=position)
        for position, one in enumerate(named)
    )
    files.store(practice, checked, _user())
    note(unit=unit, movement=movement)
    return practice


def _check_files(
    uploads: Sequence[files.Upload], *, field: str, errors: list[RowError], already: int = 0
) -> list[files.Checked]:
    if already + len(uploads) > files.ATTACHMENTS_MAX:
        message = f"at most {files.ATTACHMENTS_MAX} files go with one practice"
        errors.append(RowError(1, field, message, "too_many"))
        return []
    checked = []
    for position, upload in enumerate(uploads, start=1):
        found = files.check(upload, field=field, row=position)
        if isinstance(found, RowError):
            errors.append(found)
        else:
            checked.append(found)
    return checked


@audited("experience.add_attachments")
def add_attachments(
    *, practice: Practice, attachments: Sequence[files.Upload]
) -> list[PracticeAttachment]:
    """Add pictures or PDFs to a published practice: whoever may publish for its unit may.
    All the files are taken or none (each checked for type and size first)."""
    require(current_actor(), Capability.PLAN, practice.unit, practice.movement)
    errors: list[RowError] = []
    if not attachments:
        errors.append(RowError(1, "file", "choose a file", "required"))
    already = PracticeAttachment.objects.filter(practice=practice).count()
    checked = _check_files(attachments, field="file", errors=errors, already=already)
    if errors:
        raise ValidationFailed("The file was not added; nothing was stored.", errors=errors)
    note(unit=practice.unit, movement=practice.movement)
    return files.store(practice, checked, _user())


@audited("experience.adopt_practice")
def adopt_practice(
    *, practice: Practice, unit: Unit, adopted_on: dt.date | None = None, note_text: str = ""
) -> Adoption:
    """`unit` adopts `practice` from `adopted_on` (default today, movement time zone; never a
    later day). One standing adoption per unit and practice; the publisher does not adopt its
    own practice."""
    movement = practice.movement
    require(current_actor(), Capability.PLAN, unit, movement)
    today = movement_today(movement)
    adopted_on = adopted_on or today
    errors: list[RowError] = []
    if unit.pk == practice.unit_id:
        errors.append(RowError(1, "unit", "the publishing unit cannot adopt its own", "invalid"))
    elif not unit_in_movement(unit=unit, movement=movement):
        errors.append(RowError(1, "unit", "outside the movement's scope", "out_of_scope"))
    if adopted_on > today:
        errors.append(RowError(1, "adopted_on", f"a day up to today ({today})", "future"))
    if errors:
        raise ValidationFailed("The adoption is not valid; nothing was recorded.", errors=errors)
    if Adoption.objects.filter(practice=practice, unit=unit, withdrawn=False).exists():
        raise StateError(f"{unit.name} has already adopted this practice.")
    try:
        adoption = Adoption.objects.create(
            practice=practice,
            unit=unit,
            adopted_on=adopted_on,
            note=note_text.strip(),
            adopted_by=_user(),
            recorded_at=timezone.now(),
        )
    except IntegrityError as error:  # a concurrent adoption won the race
        raise StateError(f"{unit.name} has already adopted this practice.") from error
    note(unit=unit, movement=movement)
    return adoption


@audited("experience.withdraw_adoption")
def withdraw_adoption(
    *, adoption: Adoption, withdrawn_on: dt.date | None = None, reason: str = ""
) -> AdoptionWithdrawal:
    """Record that a unit no longer follows a practice: an event appended, the adoption kept."""
    movement = adoption.practice.movement
    require(current_actor(), Capability.PLAN, adoption.unit, movement)
    today = movement_today(movement)
    withdrawn_on = withdrawn_on or today
    if adoption.withdrawn:
        raise StateError("This adoption was already withdrawn.")
    if not adoption.adopted_on <= withdrawn_on <= today:
        raise ValidationFailed(
            "The withdrawal is not valid; nothing was recorded.",
            errors=[
                RowError(1, "withdrawn_on", f"from {adoption.adopted_on} to {today}", "invalid")
            ],
        )
    note(before=adoption, unit=adoption.unit, movement=movement)
    withdrawal = AdoptionWithdrawal.objects.create(
        adoption=adoption,
        withdrawn_on=withdrawn_on,
        reason=reason.strip(),
        withdrawn_by=_user(),
        recorded_at=timezone.now(),
    )
    Adoption.objects.filter(pk=adoption.pk).update(withdrawn=True)
    adoption.withdrawn = True
    return withdrawal
