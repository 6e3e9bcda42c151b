"""Stored documents: the non-public "attachments" storage, what a file's first bytes show it
to be, and serving a stored file to whoever a view has already let through.

Used by every app that keeps uploaded documents (a nomination's dossier, a practice's
pictures and PDFs). A file is never given a public URL: a view checks who may see it first."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.http import FileResponse, Http404

# The first bytes of each simple kind of content (office documents are ZIP archives: their
# callers tell them apart by the archive's table of contents).
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
HEAD_BYTES = 16


def attachment_storage() -> Storage:
    """The storage named "attachments" in settings.STORAGES, else the default one."""
    alias = "attachments" if "attachments" in settings.STORAGES else "default"
    return storages[alias]


def sniff_head(head: bytes) -> str | None:
    """The content type a file's first HEAD_BYTES bytes show (PDF, PNG, JPEG, WebP), or None."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def stored_file_response(
    *, stored_as: str, name: str, content_type: str, as_attachment: bool = True
) -> FileResponse:
    """A stored file, with its type read from its content, no sniffing by the browser, and a
    sandbox in case a browser renders a download anyway. Images may be shown inline (an
    `<img>` of a page); everything else downloads."""
    try:
        handle = attachment_storage().open(stored_as, "rb")
    except FileNotFoundError:
        raise Http404("The document's file is missing from the storage.") from None
    response = FileResponse(
        handle, as_attachment=as_attachment, filename=name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
