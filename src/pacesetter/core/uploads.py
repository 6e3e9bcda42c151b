"""Uploaded files kept between a preview and its confirmation.

A web upload (reports, plans…) is previewed before anything is written: the file waits under
`var/uploads/` with a random token that only the session which uploaded it knows, for one
movement and one kind of file. Confirming, or a day without confirming, removes it.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest

UPLOAD_SUFFIXES = (".csv", ".xlsx")
UPLOAD_KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,40}")


@dataclass
class Upload:
    token: str
    name: str
    path: Path


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _forget_old_uploads() -> None:
    """Uploads never confirmed are removed after a day."""
    cutoff = time.time() - UPLOAD_KEEP_SECONDS
    for stale in upload_dir().iterdir():
        if stale.is_file() and stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)


def refusal(uploaded: UploadedFile) -> str | None:
    """Why this file is not taken, or None: its type and size, before it is read."""
    if Path(uploaded.name or "").suffix.lower() not in UPLOAD_SUFFIXES:
        return "Give a .csv or .xlsx file."
    if uploaded.size is not None and uploaded.size > settings.UPLOAD_MAX_BYTES:
        return (
            f"The file has {uploaded.size:,} bytes; at most {settings.UPLOAD_MAX_BYTES:,} "
            "are accepted here. Split it, or use the command line."
        )
    return None


def keep_upload(
    request: HttpRequest, *, kind: str, movement_id: int, uploaded: UploadedFile
) -> str:
    """Store the file for this session and return its token (check `refusal` first)."""
    _forget_old_uploads()
    suffix = Path(uploaded.name or "").suffix.lower()
    token = secrets.token_urlsafe(24)
    with (upload_dir() / f"{token}{suffix}").open("wb") as target:
        for chunk in uploaded.chunks():
            target.write(chunk)
    request.session[kind] = {
        **request.session.get(kind, {}),
        token: {
            "movement": movement_id,
            "name": Path(uploaded.name or "").name[:200],
            "suffix": suffix,
        },
    }
    return token


def stored_upload(request: HttpRequest, *, kind: str, movement_id: int, token: str) -> Upload:
    """An upload of this session for this movement; 404 for anything else (another person's
    token, an expired or already applied upload)."""
    info = request.session.get(kind, {}).get(token)
    if not _TOKEN.fullmatch(token) or not info or info["movement"] != movement_id:
        raise Http404("No such upload: it was applied already, or it expired.")
    path = upload_dir() / f"{token}{info['suffix']}"
    if not path.is_file():
        raise Http404("No such upload: it was applied already, or it expired.")
    return Upload(token, info["name"], path)


def drop_upload(request: HttpRequest, *, kind: str, upload: Upload) -> None:
    upload.path.unlink(missing_ok=True)
    uploads = dict(request.session.get(kind, {}))
    uploads.pop(upload.token, None)
    request.session[kind] = uploads
