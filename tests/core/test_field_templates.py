"""core/field.html and core/form_errors.html (and the drives' field template): every id that a
control's aria-describedby names exists, and a form with errors opens on a linked summary."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string

from pacesetter.core.forms import PlainTextForm


def described_ids_are_present(html: str) -> list[str]:
    """The ids named by aria-describedby; fails on any that the page does not have."""
    named = [i for value in re.findall(r'aria-describedby="([^"]+)"', html) for i in value.split()]
    present = set(re.findall(r'\sid="([^"]+)"', html))
    assert set(named) <= present, sorted(set(named) - present)
    return named


def error_summary(html: str) -> str:
    summary = re.search(r'<div class="problems"[^>]*>.*?</div>', html, re.S)
    assert summary, "no error summary"
    opening = summary.group(0).split(">", 1)[0]
    assert 'tabindex="-1"' in opening and "autofocus" in opening and 'role="alert"' in opening
    return summary.group(0)


class ContactForm(PlainTextForm):
    contact = forms.CharField(max_length=3, help_text="A phone number or an address.")
    name = forms.CharField()
    note = forms.CharField(required=False, help_text="Anything else.")


def test_field_templates_name_only_ids_that_exist():
    form = ContactForm({"contact": "+850 2", "name": ""})
    assert not form.is_valid()
    for template in ("core/field.html", "drives/_field.html"):
        html = "".join(render_to_string(template, {"field": field}) for field in form)
        assert described_ids_are_present(html) == [
            "id_contact_helptext",
            "id_contact_error",
            "id_name_error",
            "id_note_helptext",
        ], template


def test_the_error_summary_takes_the_focus_and_links_to_each_field():
    form = ContactForm({"contact": "+850 2", "name": ""})
    form.is_valid()
    form.add_error(None, "The call is closed.")
    summary = error_summary(render_to_string("core/form_errors.html", {"form": form}))
    assert "The call is closed." in summary
    assert re.findall(r'href="#(\w+)"', summary) == ["id_contact", "id_name"]
    assert render_to_string("core/form_errors.html", {"form": ContactForm()}).strip() == ""
