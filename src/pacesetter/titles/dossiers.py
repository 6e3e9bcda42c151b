"""A nomination's dossier: the documents attached to it (the unit's achievement report and
supporting documents), kept through Django's storage API in the "attachments" storage.

A document is taken only if its content is one of the kinds a dossier holds (PDF, PNG, JPEG,
Word/Excel and OpenDocument text/spreadsheet), read from its first bytes, and its name's
extension agrees with that content: a renamed executable or an HTML page called
`report.pdf` is refused. Adding and withdrawing are audited actions; a withdrawn document is
marked with who, when and why, and kept."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.core.files.base import File
from django.utils import timezone
from django.utils.translation import gettext as _

from pacesetter.accounts.permissions import Capability, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, ValidationFailed
from pacesetter.core.files import HEAD_BYTES, attachment_storage, sniff_head

from .actions import _user
from .models import Nomination, NominationAttachment

# content type -> the extensions a file of that content may carry
KINDS_OF_CONTENT = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
}
EXTENSIONS = sorted({e for extensions in KINDS_OF_CONTENT.values() for e in extensions})
_OOXML = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sniff(head: bytes, handle: IO[bytes] | None = None) -> str | None:
    """The content type a file's bytes show, or None when they are none of the dossier's
    kinds. Office documents are ZIP archives: their table of contents tells them apart (an
    OpenDocument names its type in its first, uncompressed `mimetype` member)."""
    simple = sniff_head(head)
    if simple is not None:
        return simple if simple in KINDS_OF_CONTENT else None
    if not head.startswith(b"PK\x03\x04") or handle is None:
        return None
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    declared = member.read(100).decode("ascii", "replace").strip()
                return declared if declared in KINDS_OF_CONTENT else None
            if "[Content_Types].xml" in names:
                return next((kind for part, kind in _OOXML.items() if part in names), None)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
        return None
    return None


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[RowError(1, field, message)])


def _require_open_dossier(nomination: Nomination) -> None:
    run = nomination.candidate.run
    require(current_actor(), Capability.ORGANISE, run.scope, run.movement)
    note(unit=run.scope, movement=run.movement)
    # Read under the lock `decide` takes: a document comes before the vote closes, or not at all.
    status = (
        Nomination.objects.select_for_update()
        .values_list("status", flat=True)
        .get(pk=nomination.pk)
    )
    if status != Nomination.Status.OPEN:
        raise StateError(_("The vote on this nomination is closed; its dossier is complete."))


@audited("titles.add_attachment")
def add_attachment(
    *, nomination: Nomination, kind: str, name: str, content: IO[bytes], size: int
) -> NominationAttachment:
    """Add a document to an open nomination's dossier (organisers of the run's scope).
    Guarantees: at most TITLES_ATTACHMENT_MAX_BYTES; the content is a kind the dossier takes
    and the name's extension agrees with it; the file is kept under a name of the storage's
    own, never the uploaded one."""
    _require_open_dossier(nomination)
    if kind not in NominationAttachment.Kind.values:
        raise _refuse("kind", _("Say what the document is: report or supporting."))
    name = PurePath(name.replace("\\", "/")).name.strip()[:200]
    if not name:
        raise _refuse("file", _("The file needs a name."))
    limit = settings.TITLES_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise _refuse(
            "file",
            _("The file has %(size)s bytes; at most %(limit)s are taken.")
            % {"size": f"{size:,}", "limit": f"{limit:,}"},
        )
    if size == 0:
        raise _refuse("file", _("The file is empty."))
    content.seek(0)
    data = content.read(limit + 1)
    if len(data) > limit:
        raise _refuse("file", _("The file is larger than %(limit)s bytes.") % {"limit": limit})
    found = sniff(data[:HEAD_BYTES], io.BytesIO(data))
    if found is None:
        raise _refuse(
            "file",
            _("This file is not a PDF, an image (PNG, JPEG) or an office document (%(ext)s).")
            % {"ext": ", ".join(EXTENSIONS)},
        )
    extension = PurePath(name).suffix.lower()
    if extension not in KINDS_OF_CONTENT[found]:
        raise _refuse(
            "file",
            _("The file is named %(ext)s but its content is %(found)s.")
            % {"ext": extension or _("without an extension"), "found": found},
        )
    storage = attachment_storage()
    stored_as = storage.save(
        f"nominations/{nomination.pk}/{uuid.uuid4().hex}{extension}", File(io.BytesIO(data))
    )
    try:
        return NominationAttachment.objects.create(
            nomination=nomination,
            kind=kind,
            name=name,
            stored_as=stored_as,
            content_type=found,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            added_by=_user(),
        )
    except Exception:
        storage.delete(stored_as)  # no row points at it: do not leave it behind
        raise


@audited("titles.withdraw_attachment")
def withdraw_attachment(*, attachment: NominationAttachment, reason: str) -> NominationAttachment:
    """Withdraw a document from an open nomination's dossier: it is marked with who, when and
    why and no longer counts as part of the dossier; the record and the file stay."""
    nomination = attachment.nomination
    _require_open_dossier(nomination)
    note(before=attachment)
    reason = reason.strip()
    if not reason:
        raise _refuse("reason", _("Give the reason for withdrawing the document."))
    if attachment.withdrawn_at is not None:
        raise StateError(_("This document is already withdrawn."))
    attachment.withdrawn_at = timezone.now()
    attachment.withdrawn_by = _user()
    attachment.withdrawal_reason = reason[:300]
    attachment.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    return attachment
