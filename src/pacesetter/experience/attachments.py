"""A practice's attachments, checked before anything is stored: a picture (PNG, JPEG, WebP)
or a PDF, judged by the content's first bytes and agreeing with the name's extension, at most
PRACTICE_ATTACHMENT_MAX_BYTES. Files go to the "attachments" storage (core.files), never a
public URL. The audited actions that call these live in actions.py."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.core.files.base import File
from django.utils import timezone
from django.utils.translation import gettext as _

from pacesetter.core.errors import RowError
from pacesetter.core.files import HEAD_BYTES, attachment_storage, sniff_head

from .models import Practice, PracticeAttachment

# content type -> the extensions a file of that content may carry
KINDS_OF_CONTENT = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/webp": (".webp",),
}
EXTENSIONS = sorted({e for extensions in KINDS_OF_CONTENT.values() for e in extensions})
ACCEPT = ",".join(EXTENSIONS)  # the file input's `accept`
CAPTION_MAX = 300
# At most this many files go with one practice.
ATTACHMENTS_MAX = 20


@dataclass
class Upload:
    """A file as a door receives it: its name, its bytes (a file-like object) and size."""

    name: str
    content: IO[bytes]
    size: int
    caption: str = ""


@dataclass
class Checked:
    name: str
    caption: str
    data: bytes
    content_type: str
    extension: str


def check(upload: Upload, *, field: str, row: int = 1) -> Checked | RowError:
    """The upload read and judged, or the reason it is refused (naming `field`)."""

    def refuse(message: str, code: str = "invalid") -> RowError:
        return RowError(row, field, message, code)

    name = PurePath(upload.name.replace("\\", "/")).name.strip()[:200]
    if not name:
        return refuse(_("The file needs a name."), "required")
    limit = settings.PRACTICE_ATTACHMENT_MAX_BYTES
    too_large = _("%(name)s has %(size)s bytes; at most %(limit)s are taken.")
    if upload.size > limit:
        return refuse(
            too_large % {"name": name, "size": f"{upload.size:,}", "limit": f"{limit:,}"},
            "too_large",
        )
    if upload.size == 0:
        return refuse(_("%(name)s is empty.") % {"name": name}, "required")
    upload.content.seek(0)
    data = upload.content.read(limit + 1)
    if len(data) > limit:
        return refuse(
            too_large % {"name": name, "size": f"{len(data):,}", "limit": f"{limit:,}"},
            "too_large",
        )
    found = sniff_head(data[:HEAD_BYTES])
    if found not in KINDS_OF_CONTENT:
        return refuse(
            _("%(name)s is not a picture (PNG, JPEG, WebP) or a PDF.") % {"name": name},
            "wrong_type",
        )
    extension = PurePath(name).suffix.lower()
    if extension not in KINDS_OF_CONTENT[found]:
        return refuse(
            _("%(name)s is named %(ext)s but its content is %(found)s.")
            % {"name": name, "ext": extension or _("without an extension"), "found": found},
            "wrong_type",
        )
    caption = upload.caption.strip()
    if len(caption) > CAPTION_MAX:
        return RowError(row, "caption", _("at most %d characters") % CAPTION_MAX, "too_long")
    return Checked(name, caption, data, found, extension)


def store(practice: Practice, checked: list[Checked], user) -> list[PracticeAttachment]:
    """Store the checked files and their rows. Should a row fail, the files stored for this
    call are removed: no file is left that no row points at."""
    storage = attachment_storage()
    stored: list[str] = []
    try:
        rows = []
        for item in checked:
            stored_as = storage.save(
                f"practices/{practice.pk}/{uuid.uuid4().hex}{item.extension}",
                File(io.BytesIO(item.data)),
            )
            stored.append(stored_as)
            rows.append(
                PracticeAttachment.objects.create(
                    practice=practice,
                    name=item.name,
                    caption=item.caption,
                    stored_as=stored_as,
                    content_type=item.content_type,
                    size=len(item.data),
                    sha256=hashlib.sha256(item.data).hexdigest(),
                    added_by=user,
                    added_at=timezone.now(),
                )
            )
        return rows
    except Exception:
        for name in stored:
            storage.delete(name)
        raise
