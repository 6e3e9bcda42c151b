"""Donors' receipts as PDF (WeasyPrint), from a server-rendered template: the receipt
number, the donor, the item and quantity (and money estimate), the receiving unit, the day."""

from __future__ import annotations

from django.template.loader import render_to_string

from .models import DonationEntry


def receipt_html(entry: DonationEntry) -> str:
    return render_to_string("drives/receipt.html", {"entry": entry, "item": entry.item})


def receipt_pdf(entry: DonationEntry) -> bytes:
    from weasyprint import HTML  # imported here: loading it costs ~0.5 s, pages don't need it

    return HTML(string=receipt_html(entry)).write_pdf()
