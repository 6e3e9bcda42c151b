"""A certificate per award: a one-page A4 landscape PDF (WeasyPrint) with the holder, the title
as awarded, the movement, the date, the awarding body, the verification code and a QR code
pointing at the public verification page."""

from __future__ import annotations

import base64

import segno
from django.template.loader import render_to_string

from .models import Award


def qr_data_uri(url: str) -> str:
    """An SVG QR code as a data: URI (rendered into the PDF, never served to a browser)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, border=0, dark="#1a1a1a")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def certificate_pdf(award: Award, *, verify_url: str) -> bytes:
    from weasyprint import HTML  # imported here: loading it costs ~0.5 s, pages don't need it

    html = render_to_string(
        "titles/certificate.html",
        {"award": award, "verify_url": verify_url, "qr": qr_data_uri(verify_url)},
    )
    return HTML(string=html).write_pdf()
